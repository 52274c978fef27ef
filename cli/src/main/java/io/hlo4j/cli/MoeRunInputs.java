package io.hlo4j.cli;

import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The arrays of {@code moe run}, read from the weights folder and the input file and checked against the config
 * before anything is traced, so that a wrong shape is reported by file name and expected shape.
 *
 * @param arrays by argument name (x, gate, wi, wu, wd, the present biases, token_ids for HASH), in argument order
 * @param ignoredTokenIds a token_ids.npy present but unused (routing is not HASH)
 */
record MoeRunInputs(Map<String, HostArray> arrays, boolean ignoredTokenIds) {
    static final List<String> REQUIRED = List.of("gate", "wi", "wu", "wd");
    static final List<String> OPTIONAL = List.of("wi_bias", "wu_bias", "wd_bias");

    static MoeRunInputs load(MoeConfig cfg, Path weights, Path input) throws IOException {
        if (!Files.isDirectory(weights)) {
            throw new IllegalArgumentException("--weights " + weights + ": not a directory");
        }
        Map<String, HostArray> a = new LinkedHashMap<>();
        HostArray x = Npy.read(input);
        long[] xs = x.shape();
        int e = cfg.nRoutedExperts(), h = cfg.hiddenSize(), m = cfg.moeIntermediateSize();
        if (xs.length != 3 || xs[2] != h) {
            throw bad(input, x, "[B, S, " + h + "] (hidden_size " + h + ")");
        }
        requireFloat(input, x);
        a.put("x", x);
        for (String n : REQUIRED) {
            Path f = weights.resolve(n + ".npy");
            if (!Files.isRegularFile(f)) throw new NoSuchFileException(f.toString());
            a.put(n, Npy.read(f));
        }
        HostArray gate = a.get("gate");
        if (gate.shape().length == 2 && gate.shape()[0] == h && gate.shape()[1] != e) {
            throw new IllegalArgumentException(weights.resolve("gate.npy") + ": " + gate.shape()[1]
                    + " experts (shape " + Arrays.toString(gate.shape()) + "), but the config's n_routed_experts is " + e);
        }
        check(weights, "gate", gate, h, e);
        check(weights, "wi", a.get("wi"), e, h, m);
        check(weights, "wu", a.get("wu"), e, h, m);
        check(weights, "wd", a.get("wd"), e, m, h);
        for (String n : OPTIONAL) {
            Path f = weights.resolve(n + ".npy");
            if (!Files.exists(f)) continue;
            HostArray b = Npy.read(f);
            if (n.equals("wd_bias")) check(weights, n, b, e, h);
            else check(weights, n, b, e, m);
            a.put(n, b);
        }
        Path ids = weights.resolve("token_ids.npy");
        boolean hash = cfg.routingStrategy() == MoeRoutingStrategy.HASH;
        if (Files.exists(ids) && hash) {
            HostArray t = Npy.read(ids);
            if (!Arrays.equals(t.shape(), new long[] {xs[0], xs[1]}) || !(t.type().elementType() instanceof IntegerType)) {
                throw bad(ids, t, "an integer array [" + xs[0] + ", " + xs[1] + "] (x's [B, S])");
            }
            a.put("token_ids", t);
        }
        return new MoeRunInputs(a, Files.exists(ids) && !hash);
    }

    private static void check(Path dir, String name, HostArray arr, long... want) {
        Path f = dir.resolve(name + ".npy");
        if (!Arrays.equals(arr.shape(), want)) throw bad(f, arr, Arrays.toString(want));
        requireFloat(f, arr);
    }

    private static void requireFloat(Path f, HostArray arr) {
        if (!(arr.type().elementType() instanceof FloatType)) {
            throw new IllegalArgumentException(f + ": element type " + arr.type().elementType() + ", expected a float type");
        }
    }

    private static IllegalArgumentException bad(Path f, HostArray arr, String want) {
        return new IllegalArgumentException(f + ": shape " + Arrays.toString(arr.shape()) + " " + arr.type().elementType()
                + ", expected " + want);
    }
}
