package com.example.consumer;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeConfigJson;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.runtime.array.HostArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A user's program, built in its own Maven project against the hlo4j artifacts this build installed (the BOM and
 * io.hlo4j:hlo4j-dsl only): a 2-layer MLP's loss and gradient, and one MoE layer, traced, jitted and run on the
 * interpreter, each checked against plain Java, and an MoE config through JSON (Jackson). Run as
 * {@code Main classpath COMPILE_CP_FILE RUNTIME_CP_FILE REACTOR_DIR} it also checks the class paths Maven gave this
 * project and that its hlo4j jars are the reactor's, then runs itself again the way docs/getting-started.md says to
 * on the module path ({@code Main modulepath}). Exits 1 on any mismatch.
 */
public final class Main {
    private static final List<String> failures = new ArrayList<>();

    // x [N, D], y [N, 1]; w1 [D, H], b1 [H], w2 [H, 1], b2 [1].
    static final int N = 4, D = 3, H = 5;

    public static void main(String[] args) throws IOException, InterruptedException {
        boolean modulePath = args.length == 1 && args[0].equals("modulepath");
        if (!modulePath && !(args.length == 4 && args[0].equals("classpath")))
            throw new IllegalArgumentException("usage: Main classpath COMPILE_CP_FILE RUNTIME_CP_FILE REACTOR_DIR | Main modulepath");
        String where = modulePath ? "module path" : "class path";
        // hlo4j's jars are automatic modules on the module path, in the unnamed module on the class path.
        String module = Tensor.class.getModule().getName();
        if (modulePath != "io.hlo4j.dsl".equals(module)) failures.add("on the " + where + ", hlo4j-dsl is in module " + module);
        mlp();
        moe();
        json();
        if (!modulePath) {
            Path runtimeCp = Path.of(args[2]);
            classPaths(Path.of(args[1]), runtimeCp, Path.of(args[3]).toAbsolutePath().normalize());
            runOnModulePath(Files.readString(runtimeCp).strip());
        }
        if (!failures.isEmpty()) {
            failures.forEach(f -> System.err.println("consumer (" + where + "): FAILED " + f));
            System.exit(1);
        }
        System.out.println("consumer (" + where + "): all checks passed");
    }

    /**
     * This program again, in a new JVM, with the command docs/getting-started.md gives for the module path: the
     * dependencies on the module path, every one of them resolved (the Jackson jars are explicit modules that the
     * automatic hlo4j modules do not require), this project's classes on the class path.
     */
    static void runOnModulePath(String deps) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes;
        try {
            classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<String> cmd = List.of(java, "--module-path", deps, "--add-modules", "ALL-MODULE-PATH",
                "-cp", classes, Main.class.getName(), "modulepath");
        int rc = new ProcessBuilder(cmd).inheritIO().start().waitFor();
        if (rc != 0) failures.add("the module-path run exited " + rc + ": " + String.join(" ", cmd));
    }

    /** mean((tanh(x w1 + b1) w2 + b2 - y)^2) and its gradient in w1, b1, w2, b2. */
    static Tensor loss(Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor x, Tensor y) {
        Tensor h = x.matmul(w1).add(b1).tanh();
        return h.matmul(w2).add(b2).sub(y).square().mean();
    }

    static void mlp() {
        double[] x = seq(N * D, 0.3, -0.7), y = seq(N, 0.5, -1.0);
        double[] w1 = seq(D * H, 0.11, -0.4), b1 = seq(H, 0.07, -0.1), w2 = seq(H, 0.23, -0.5), b2 = {0.05};
        TracedFunction f = a -> loss((Tensor) a[0], (Tensor) a[1], (Tensor) a[2], (Tensor) a[3], (Tensor) a[4], (Tensor) a[5]);
        Jit vg = Jit.jit("mlp_value_and_grad", Grad.valueAndGrad(f, 0, 1, 2, 3));
        List<?> r = (List<?>) vg.call(f32(w1, D, H), f32(b1, H), f32(w2, H, 1), f32(b2, 1), f32(x, N, D), f32(y, N, 1));
        List<?> grads = (List<?>) r.get(1);

        double[][] want = mlpByHand(w1, b1, w2, b2, x, y);
        check("mlp loss", ((HostArray) r.get(0)).toDoubleArray(), want[0]);
        String[] names = {"d/dw1", "d/db1", "d/dw2", "d/db2"};
        for (int i = 0; i < 4; i++) check("mlp " + names[i], ((HostArray) grads.get(i)).toDoubleArray(), want[i + 1]);
    }

    /** The same loss and its gradient in plain Java (f64, backpropagation written out): the oracle. */
    static double[][] mlpByHand(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, double[] y) {
        double[] h = new double[N * H], dh = new double[N * H];
        double[] gw1 = new double[D * H], gb1 = new double[H], gw2 = new double[H], gb2 = new double[1];
        double loss = 0;
        for (int n = 0; n < N; n++) {
            double out = b2[0];
            for (int j = 0; j < H; j++) {
                double z = b1[j];
                for (int d = 0; d < D; d++) z += x[n * D + d] * w1[d * H + j];
                h[n * H + j] = Math.tanh(z);
                out += h[n * H + j] * w2[j];
            }
            double e = out - y[n];
            loss += e * e / N;
            double dout = 2 * e / N;
            gb2[0] += dout;
            for (int j = 0; j < H; j++) {
                gw2[j] += dout * h[n * H + j];
                dh[n * H + j] = dout * w2[j] * (1 - h[n * H + j] * h[n * H + j]);
                gb1[j] += dh[n * H + j];
                for (int d = 0; d < D; d++) gw1[d * H + j] += dh[n * H + j] * x[n * D + d];
            }
        }
        return new double[][]{{loss}, gw1, gb1, gw2, gb2};
    }

    /**
     * One top-2 MoE layer (E=4, H=4, M=2) on two tokens, checked against its values by hand. Expert e's kernels are
     * all ones but its down kernel is scaled by e + 1, so the output depends on which experts a token goes to and
     * with which weights.
     */
    static void moe() {
        MoeConfig cfg = MoeConfig.of(4, 2, 4, 2);
        HostArray x = f32(new double[]{1, 0, 0, 0, 0, 0, 1, 0}, 1, 2, 4);
        HostArray gate = f32(new double[]{2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0}, 4, 4);
        double[] ones = new double[4 * 4 * 2], down = new double[4 * 2 * 4];
        Arrays.fill(ones, 1);
        for (int i = 0; i < down.length; i++) down[i] = i / (2 * 4) + 1; // expert e = i / (2 * 4): e + 1
        HostArray wi = f32(ones, 4, 4, 2), wu = wi, wd = f32(down, 4, 2, 4);
        Jit jit = Jit.jit("moe", a -> {
            MoeOutput o = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0],
                    BaseMoeModule.linearGate((Tensor) a[1]), ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), true);
            MoeMetrics<Tensor> m = o.metrics().orElseThrow();
            return List.of(o.output(), m.selectedExperts(), m.selectedWeights());
        });
        List<HostArray> r = jit.callList(x, gate, wi, wu, wd);
        // Token 0's logits are [2, 1, 0, 0] (experts 0, 1), token 1's [0, 0, 1, 2] (experts 3, 2); the top-2 weights
        // renormalised are e/(e+1) and 1/(e+1). Expert e maps a one-hot token to silu(1) * 1 in both intermediate
        // columns, hence (e + 1) 2 silu(1) in every output column: token 0 gets 2 silu(1) (w0 * 1 + (1 - w0) * 2),
        // token 1 2 silu(1) (w0 * 4 + (1 - w0) * 3).
        double silu1 = 1 / (1 + Math.exp(-1)), w0 = Math.E / (Math.E + 1);
        double[] out = new double[8];
        Arrays.fill(out, 0, 4, 2 * silu1 * (w0 * 1 + (1 - w0) * 2));
        Arrays.fill(out, 4, 8, 2 * silu1 * (w0 * 4 + (1 - w0) * 3));
        check("moe output", r.get(0).toDoubleArray(), out);
        check("moe selected experts", Arrays.stream(r.get(1).toLongArray()).asDoubleStream().toArray(), new double[]{0, 1, 3, 2});
        check("moe selected weights", r.get(2).toDoubleArray(), new double[]{w0, 1 - w0, w0, 1 - w0});
    }

    /** An MoE config to JSON and back, and one written by hand read (Jackson, which the module path must resolve). */
    static void json() {
        MoeConfig cfg = MoeConfig.of(8, 2, 16, 32);
        MoeConfig back = MoeConfigJson.parse(MoeConfigJson.write(cfg));
        if (!back.equals(cfg)) failures.add("moe config JSON round trip: " + back + ", expected " + cfg);
        MoeConfig read = MoeConfigJson.parse(
                "{\"n_routed_experts\": 8, \"num_experts_per_tok\": 2, \"hidden_size\": 16, \"moe_intermediate_size\": 32}");
        int[] got = {read.nRoutedExperts(), read.numExpertsPerTok(), read.hiddenSize(), read.moeIntermediateSize()};
        check("moe config from JSON", Arrays.stream(got).asDoubleStream().toArray(), new double[]{8, 2, 16, 32});
    }

    /**
     * The compile and runtime class paths Maven resolved for this project (written by dependency:build-classpath):
     * exactly the hlo4j libraries and their own dependencies; antlr4-runtime and protobuf-java only at run time;
     * no test or build-only artifact (junit, assertj, picocli, test-jars); each hlo4j jar byte for byte the one the
     * reactor just built in REACTOR_DIR/MODULE/target (not a stale one, e.g. from ~/.m2 when the build ran without -am).
     */
    static void classPaths(Path compile, Path runtime, Path reactor) throws IOException {
        Set<String> api = Set.of("hlo4j-dsl", "hlo4j-compiler", "hlo4j-runtime", "hlo4j-mlir-dialects",
                "jackson-databind", "jackson-core", "jackson-annotations");
        Set<String> runOnly = Set.of("antlr4-runtime", "protobuf-java");
        Set<String> all = new TreeSet<>(api);
        all.addAll(runOnly);
        checkJars("compile class path", compile, new TreeSet<>(api), reactor);
        checkJars("runtime class path", runtime, all, reactor);
    }

    static void checkJars(String what, Path file, Set<String> want, Path reactor) throws IOException {
        Set<String> got = new TreeSet<>();
        for (String entry : Files.readString(file).strip().split(java.io.File.pathSeparator)) {
            if (entry.isBlank()) continue;
            String name = Path.of(entry).getFileName().toString();
            if (!name.endsWith(".jar") || name.contains("-tests") || name.contains("-sources")) {
                failures.add(what + ": unexpected entry " + name);
                continue;
            }
            // artifactId-version.jar: drop the version (the first '-' followed by a digit).
            String artifact = name.replaceFirst("-\\d.*$", "");
            got.add(artifact);
            if (artifact.startsWith("hlo4j-")) {
                Path built = reactor.resolve(artifact.substring("hlo4j-".length())).resolve("target").resolve(name);
                if (!Files.isRegularFile(built)) failures.add(what + ": " + built + " is missing (build the reactor: -am)");
                else if (Files.mismatch(Path.of(entry), built) != -1) failures.add(what + ": " + entry + " differs from " + built + ", this build's");
            }
        }
        if (!got.equals(want)) failures.add(what + ": " + got + ", expected " + want);
        else System.out.println("consumer: " + what + " " + got);
    }

    static void check(String what, double[] got, double[] want) {
        double worst = 0;
        boolean ok = got.length == want.length;
        for (int i = 0; ok && i < got.length; i++) {
            double err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
            worst = Math.max(worst, err);
            ok = err <= 1e-5; // f32 program against an f64 oracle
        }
        if (!ok) failures.add(what + ": " + Arrays.toString(got) + ", expected " + Arrays.toString(want));
        else System.out.printf("consumer: %-22s ok (max rel. error %.1e)%n", what, worst);
    }

    /** a, a + step, ... wrapped into [-1, 1): deterministic inputs of both signs. */
    static double[] seq(int n, double step, double start) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = ((start + i * step) % 2 + 3) % 2 - 1;
        return v;
    }

    static HostArray f32(double[] values, long... shape) {
        return HostArray.fromDoubles(Spec.of(DType.F32, shape).tensorType(), values);
    }
}
