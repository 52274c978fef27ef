package io.hlo4j.dsltest.moe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeConfigJson;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.NamedMoeLayer;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One golden fixture case of dsl/src/test/resources/moe and a runner of the traced layer on the interpreter. */
record MoeCase(String name, Path dir, MoeConfig config, Map<String, HostArray> inputs) {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> INPUTS = List.of("x", "gate", "wi", "wu", "wd", "wi_bias", "wu_bias", "wd_bias", "token_ids");

    static Path root() {
        try {
            return Path.of(MoeCase.class.getResource("/moe/index.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> names() throws IOException {
        List<String> names = new ArrayList<>();
        JSON.readTree(root().resolve("index.json").toFile()).get("cases").forEach(c -> names.add(c.get("name").asText()));
        return names;
    }

    static MoeCase load(String name) {
        Path d = root().resolve(name);
        Map<String, HostArray> in = new HashMap<>();
        for (String f : INPUTS) if (Files.exists(d.resolve(f + ".npy"))) in.put(f, read(d, f));
        return new MoeCase(name, d, MoeConfigJson.read(d.resolve("config.json")), in);
    }

    static HostArray read(Path d, String f) {
        try {
            return Npy.read(d.resolve(f + ".npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    HostArray expected(String f) { return read(dir, f); }

    JsonNode metricsJson() {
        try {
            return JSON.readTree(dir.resolve("metrics.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The run's results by name: output, router_logits, selected_experts, selected_weights, expert_loads, metrics. */
    record Result(Map<String, HostArray> values) {
        HostArray get(String k) { return values.get(k); }
    }

    Result run(MoEMethods method) { return run(method, MoeFusedHooks.none()); }

    /** Traces the whole layer as one function, compiles it for the interpreter and runs it on this case's inputs. */
    Result run(MoEMethods method, MoeFusedHooks<Tensor> hooks) {
        List<String> outNames = new ArrayList<>();
        HostArray[] argv = args(method).stream().map(inputs::get).toArray(HostArray[]::new);
        List<HostArray> res = jit(method, hooks, outNames).lower((Object[]) argv).compile().call(argv);
        Map<String, HostArray> r = new HashMap<>();
        for (int i = 0; i < outNames.size(); i++) r.put(outNames.get(i), res.get(i));
        return new Result(r);
    }

    /** The lowered module of the layer on this case's inputs. */
    io.hlo4j.dsl.jit.Lowered lower(MoEMethods method, MoeFusedHooks<Tensor> hooks) {
        HostArray[] argv = args(method).stream().map(inputs::get).toArray(HostArray[]::new);
        return jit(method, hooks, new ArrayList<>()).lower((Object[]) argv);
    }

    /** The argument names of the traced function, in order (token ids only for HASH). */
    List<String> args(MoEMethods method) {
        boolean hashIds = config.routingStrategy() == io.hlo4j.dsl.moe.MoeRoutingStrategy.HASH && inputs.containsKey("token_ids");
        return INPUTS.stream().filter(inputs::containsKey).filter(a -> !a.equals("token_ids") || hashIds).toList();
    }

    private Jit jit(MoEMethods method, MoeFusedHooks<Tensor> hooks, List<String> outNames) {
        return Jit.jit(NamedMoeLayer.of(config.withMoeMethod(method), hooks, args(method), outNames, true));
    }
}
