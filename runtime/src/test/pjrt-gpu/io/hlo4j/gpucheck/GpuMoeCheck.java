package io.hlo4j.gpucheck;

import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Backend;
import io.hlo4j.runtime.backend.PjrtBackend;
import io.hlo4j.runtime.pjrt.HostArrays;
import io.hlo4j.runtime.pjrt.PjrtBuffer;
import io.hlo4j.runtime.pjrt.PjrtDevice;
import io.hlo4j.runtime.pjrt.PjrtExecutable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static io.hlo4j.gpucheck.CheckSupport.oneLine;
import static io.hlo4j.gpucheck.CheckSupport.relErr;

/**
 * The GPU check's MoE part (issue 7, step 2 and hlo4j's side of step 3), run by scripts/gpu-check.sh from
 * the bundle: usage {@code GpuMoeCheck PLUGIN [key=value create options]}.
 *
 * 1. Correctness: the MoE layer (TOP_K routing, silu, no biases) forward and backward (gradients of
 *    sum(y*y) w.r.t. x, gate, wi, wu, wd) in f32 and bf16, every method, on the plugin's first device and on
 *    the interpreter of the same machine; prints the max error relative to each array's largest magnitude.
 * 2. Benchmark: the same forward+backward step at MOE_T tokens, MOE_H, MOE_M, MOE_E, MOE_K (environment), timed
 *    by {@link #time}: arguments resident on the device, 3 warm-ups, median of MOE_ITERS runs, each from the execute
 *    call until every output is ready; prints "BENCH hlo4j ..." lines that gpu-check.sh compares with
 *    bench/jax_moe_step.py, which times the same way. FLOPs by {@link #stepFlops}, the formula JAX's side uses.
 *    The methods benched are MOE_BENCH_METHODS (default FUSED and STANDARD: DENSE's per-row kernel copies do not
 *    fit a GPU at the default sizes, see {@link #denseBytes}; DENSE is still checked in part 1).
 * Every stage catches its own failure and prints it on one line, so one unsupported method does not hide
 * the others. Exit status: 0 when every correctness comparison passed and every bench asked for was timed (a bench
 * that fails counts, as a failed dtype does in bench/jax_moe_step.py), 1 otherwise. With PLUGIN "interpreter"
 * only part 1 runs, the interpreter against itself: a check of this harness where no plugin can run the layer.
 * {@code GpuMoeCheck --timing-selftest PLUGIN [options]} runs part 2's timing code on a single dot_general (which the
 * test mock runs) and checks its timed result against the interpreter.
 */
public final class GpuMoeCheck {
    static final double F32_TOL = 2e-2;   // XLA:GPU may run f32 dots in TF32 (10-bit mantissa)
    static final double BF16_TOL = 6e-2;  // bf16 rounding at different points than the interpreter

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: GpuMoeCheck PLUGIN|interpreter [key=value ...] | GpuMoeCheck --timing-selftest PLUGIN [key=value ...]");
            System.exit(2);
        }
        int[] small = {env("MOE_CHECK_T", 64), env("MOE_CHECK_H", 128), env("MOE_CHECK_M", 256), env("MOE_CHECK_E", 8), env("MOE_CHECK_K", 2)};
        int failures = 0;
        if (args[0].equals("interpreter")) {   // the harness checked against itself (gpu-check.sh selftest)
            for (MoeDtype dtype : List.of(MoeDtype.FLOAT32, MoeDtype.BFLOAT16))
                for (MoEMethods m : MoEMethods.values())
                    failures += check(Backend.interpreter(), dtype, m, small);
            System.out.println(failures == 0 ? "MOE CHECK OK" : "MOE CHECK FAILED: " + failures + " comparison(s)");
            System.exit(failures == 0 ? 0 : 1);
        }
        if (args[0].equals("--timing-selftest") && args.length >= 2)
            System.exit(timingSelftest(Path.of(args[1]), Backend.pjrtOptions(Arrays.asList(args).subList(2, args.length))));
        Path plugin = Path.of(args[0]);
        Map<String, Object> opts = Backend.pjrtOptions(Arrays.asList(args).subList(1, args.length));
        List<String> only;
        try {
            only = benchMethods(System.getenv("MOE_BENCH_METHODS"));
        } catch (RuntimeException e) {
            System.out.println("MOE_BENCH_METHODS: " + oneLine(e));
            System.exit(2);
            return;
        }
        try (PjrtBackend gpu = PjrtBackend.open(plugin, opts)) {
            System.out.println("backend " + gpu.name() + ", devices " + gpu.devices());
            for (MoeDtype dtype : List.of(MoeDtype.FLOAT32, MoeDtype.BFLOAT16))
                for (MoEMethods m : MoEMethods.values())
                    failures += check(gpu, dtype, m, small);
            int[] big = {env("MOE_T", 4096), env("MOE_H", 2048), env("MOE_M", 5632), env("MOE_E", 8), env("MOE_K", 2)};
            int iters = env("MOE_ITERS", 20);
            long denseMax = env("MOE_DENSE_MAX_GIB", 64) * (1L << 30);
            // The bench's arguments once for all programs (~280M normal draws: seconds each time at the default sizes).
            HostArray[] bigArgs = inputs(big, 11);
            // Method by method, both dtypes each, FUSED first: a stage cut at its time still has both dtypes' ratios.
            int asked = 0, benchFailures = 0, skipped = 0;
            for (MoEMethods m : MoEMethods.values())
                for (MoeDtype dtype : List.of(MoeDtype.FLOAT32, MoeDtype.BFLOAT16)) {
                    if (!only.contains(m.value())) continue;
                    asked++;
                    if (m == MoEMethods.DENSE_MOE && denseBytes(big, dtype) > denseMax) {
                        skipped++;
                        System.out.printf(Locale.ROOT, "BENCH hlo4j %s %s SKIPPED: its per-row kernel copies (3 x [T*k, H, M] = %.1f GiB, "
                                + "T*k/E = %d times the expert weights) exceed MOE_DENSE_MAX_GIB=%d%n", dtype.value(), m.value(),
                                denseBytes(big, dtype) / (double) (1L << 30), (long) big[0] * big[4] / big[3], denseMax >> 30);
                        continue;
                    }
                    benchFailures += bench(gpu, dtype, m, big, bigArgs, iters);
                }
            System.out.println(failures == 0 ? "MOE CHECK OK" : "MOE CHECK FAILED: " + failures + " comparison(s)");
            String skips = skipped == 0 ? "" : ", " + skipped + " skipped by size";
            System.out.println(benchFailures == 0 ? "MOE BENCH OK (" + (asked - skipped) + " timed" + skips + ")"
                    : "MOE BENCH FAILED: " + benchFailures + " of " + (asked - skipped) + " timed" + skips);
            System.exit(failures == 0 && benchFailures == 0 ? 0 : 1);
        }
    }

    /** MOE_BENCH_METHODS: method names separated by commas or spaces; unset or blank: fused_moe, standard_moe. */
    static List<String> benchMethods(String v) {
        if (v == null || v.isBlank()) return List.of(MoEMethods.FUSED_MOE.value(), MoEMethods.STANDARD_MOE.value());
        List<String> names = Arrays.stream(v.strip().split("[,\\s]+")).toList();
        for (String n : names) MoEMethods.fromValue(n);   // an unknown name fails here, by name
        return names;
    }

    /**
     * DENSE's forward alone: ExpertFfn.gathered takes, for each of the T*k routed rows, its own copy of the expert's
     * kernels (wi, wu [H, M], wd [M, H]) before a batched dot_general, so it materialises 3 arrays of T*k*H*M elements:
     * T*k/E times the expert weights (its backward adds cotangents of the same size). At the default sizes that is
     * 3 x 8192*2048*5632 x 4 bytes = 1.13 TB in f32, 567 GB in bf16, against the H200's 139 GiB.
     */
    static long denseBytes(int[] s, MoeDtype dtype) {
        return 3L * s[0] * s[4] * s[1] * s[2] * (dtype == MoeDtype.BFLOAT16 ? 2 : 4);
    }

    static int env(String name, int dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : Integer.parseInt(v.strip());
    }

    /** x [1, T, H], gate [H, E], wi/wu [E, H, M], wd [E, M, H]: seeded, scaled by 1/sqrt(fan-in). */
    static HostArray[] inputs(int[] s, long seed) {
        int t = s[0], h = s[1], mm = s[2], e = s[3];
        Random r = new Random(seed);
        return new HostArray[] {
                CheckSupport.random(r, 1.0, 1, t, h), CheckSupport.random(r, 1 / Math.sqrt(h), h, e),
                CheckSupport.random(r, 1 / Math.sqrt(h), e, h, mm), CheckSupport.random(r, 1 / Math.sqrt(h), e, h, mm), CheckSupport.random(r, 1 / Math.sqrt(mm), e, mm, h)};
    }


    /** value_and_grad of sum(y*y) for the layer: [loss, d/dx, d/dgate, d/dwi, d/dwu, d/dwd]; the timed step (as bench/). */
    static TracedFunction step(MoeConfig cfg) { return step(cfg, false); }

    /**
     * As {@link #step(MoeConfig)}; with {@code f32Loss} the sum runs over y converted to f32. The comparison uses it: a bf16
     * sum of 8,192 squares accumulated in bf16 depends on the order of the adds (the interpreter adds in order, as the
     * spec's reduce; XLA's GPU reduction does not), so the bf16 loss differed by 190% on the H200 (2026-11-30) while every
     * gradient agreed within 1.7e-2; the gradients inside the layer stay bf16 either way.
     */
    static TracedFunction step(MoeConfig cfg, boolean f32Loss) {
        return Grad.valueAndGrad(a -> {
            Tensor y = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                    ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), false).output();
            if (f32Loss) y = Ops.astype(y, io.hlo4j.dsl.DType.F32);
            return Reductions.sum(Ops.mul(y, y), 0, 1, 2);
        }, 0, 1, 2, 3, 4);
    }

    static MoeConfig config(MoeDtype dtype, MoEMethods m, int[] s) {
        return MoeConfig.of(s[3], s[4], s[1], s[2]).withMoeMethod(m).withDtype(dtype);
    }

    static String label(MoeDtype dtype, MoEMethods m) { return dtype.value() + " " + m.value(); }

    static int check(Backend gpu, MoeDtype dtype, MoEMethods m, int[] s) {
        String what = "check " + label(dtype, m) + String.format(Locale.ROOT, " (T=%d H=%d M=%d E=%d k=%d)", s[0], s[1], s[2], s[3], s[4]);
        try {
            HostArray[] argv = inputs(s, 7);
            MoeConfig cfg = config(dtype, m, s);
            long t0 = System.nanoTime();
            Lowered lowered = Jit.jit(step(cfg, true)).lower((Object[]) argv);
            dump(lowered, dtype, m, "check");
            List<HostArray> want = flat(lowered.compile(Backend.interpreter()).call(argv));
            long t1 = System.nanoTime();
            List<HostArray> got = flat(lowered.compile(gpu).call(argv));
            long t2 = System.nanoTime();
            String[] names = {"loss", "d/dx", "d/dgate", "d/dwi", "d/dwu", "d/dwd"};
            double tol = dtype == MoeDtype.BFLOAT16 ? BF16_TOL : F32_TOL;
            double worst = 0;
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < want.size(); i++) {
                double err = relErr(got.get(i), want.get(i));
                worst = Math.max(worst, err);
                b.append(String.format(Locale.ROOT, " %s %.2e", i < names.length ? names[i] : "#" + i, err));
            }
            boolean ok = worst <= tol && got.size() == want.size();
            System.out.printf(Locale.ROOT, "%s: interpreter %.0f ms, %s (compile+run) %.0f ms, max rel err%s -> %s (tol %.0e)%n", what,
                    (t1 - t0) / 1e6, gpu.name(), (t2 - t1) / 1e6, b, ok ? "ok" : "WRONG", tol);
            return ok ? 0 : 1;
        } catch (RuntimeException | Error e) {
            System.out.println(what + ": FAILED " + oneLine(e));
            return 1;
        }
    }

    static List<HostArray> flat(List<HostArray> xs) { return xs; }

    /**
     * With MOE_DUMP_DIR set (gpu-check.sh sets it to its work folder, packed into $OUT): the traced module's text as
     * DIR/&lt;dtype&gt;-&lt;method&gt;-&lt;check|bench&gt;.mlir, so that XLA's "-:L:C: error" can be read at line L here.
     */
    static void dump(Lowered lowered, MoeDtype dtype, MoEMethods m, String what) {
        String dir = System.getenv("MOE_DUMP_DIR");
        if (dir == null || dir.isBlank()) return;
        try {
            Path d = Files.createDirectories(Path.of(dir));
            Files.writeString(d.resolve(dtype.value() + "-" + m.value() + "-" + what + ".mlir"), lowered.asText());
        } catch (java.io.IOException | RuntimeException e) {
            System.out.println("dump " + label(dtype, m) + " " + what + ": not written (" + oneLine(e) + ")");
        }
    }

    /**
     * What one timed program gave: compile time, the median, fastest and slowest of the timed runs, the outputs of the
     * last timed run read back to the host (when asked), and the executable's cost analysis (or why there is none).
     */
    record Timing(double compileMs, double medianMs, double minMs, double maxMs, List<HostArray> outputs, Map<String, Object> cost) {}

    static final int WARMUPS = 3;

    /**
     * The timing both sides of the hlo4j/JAX ratio follow (bench/jax_moe_step.py does the same in JAX): compile once
     * (timed apart), put the arguments on the device once, then WARMUPS untimed and {@code iters} timed runs, each
     * timed from the execute call until every output buffer is ready (so: execution only; no host transfer, no
     * compile in it). Output buffers are closed after the clock stops, as JAX frees a step's results when they are
     * dropped. With {@code readBack}, the last run's outputs are copied to the host after its timing.
     */
    static Timing time(PjrtBackend gpu, Lowered lowered, HostArray[] argv, int iters, boolean readBack) {
        long c0 = System.nanoTime();
        PjrtBackend.Compiled compiled = (PjrtBackend.Compiled) lowered.compile(gpu).executable();
        double compileMs = (System.nanoTime() - c0) / 1e6;
        PjrtExecutable exe = compiled.executable();
        PjrtDevice dev = compiled.devices().getFirst();
        List<PjrtBuffer> in = new ArrayList<>();
        try {
            for (HostArray a : argv) in.add(gpu.client().toDevice(HostArrays.toHostData(a), dev));
            PjrtBuffer[] args = in.toArray(PjrtBuffer[]::new);
            double[] ms = new double[iters];
            List<HostArray> outputs = List.of();
            for (int i = -WARMUPS; i < iters; i++) {
                long t0 = System.nanoTime();
                List<PjrtBuffer> out = exe.execute(args);
                for (PjrtBuffer b : out) b.awaitReady();
                long t1 = System.nanoTime();
                if (readBack && i == iters - 1) outputs = out.stream().map(b -> HostArrays.toHostArray(b.toHost())).toList();
                for (PjrtBuffer b : out) b.close();
                if (i >= 0) ms[i] = (t1 - t0) / 1e6;
            }
            Arrays.sort(ms);
            Map<String, Object> cost = new LinkedHashMap<>();
            try {
                cost.putAll(exe.costAnalysis());
            } catch (RuntimeException ex) {
                cost.put("unavailable", oneLine(ex));
            }
            return new Timing(compileMs, ms[iters / 2], ms[0], ms[iters - 1], outputs, cost);
        } finally {
            for (PjrtBuffer b : in) b.close();
            exe.close();
        }
    }

    /**
     * The step's floating-point operations, counted as bench/jax_moe_step.py counts them: the routed experts' three
     * matmuls (x wi, x wu: [T*k, H] x [H, M]; act wd: [T*k, M] x [M, H]: 2*T*k*3*H*M) and the router (2*T*H*E),
     * times 3 for forward + backward (each matmul's backward is two matmuls of its size). DENSE_MOE does the same
     * multiply-adds, but over per-row copies of the kernels ({@link #denseBytes}): its time is dominated by moving
     * T*k/E times the expert weights, not by these FLOPs.
     */
    static double stepFlops(int[] s) {
        double t = s[0], h = s[1], mm = s[2], e = s[3], k = s[4];
        return 3 * (2 * t * k * 3 * h * mm + 2 * t * h * e);
    }

    /** Times one method and dtype; returns 1 when it failed (its line says why), else 0. */
    static int bench(PjrtBackend gpu, MoeDtype dtype, MoEMethods m, int[] s, HostArray[] argv, int iters) {
        try {
            Lowered lowered = Jit.jit(step(config(dtype, m, s))).lower((Object[]) argv);
            dump(lowered, dtype, m, "bench");
            Timing t = time(gpu, lowered, argv, iters, false);
            System.out.printf(Locale.ROOT, "BENCH hlo4j %s %s %.3f ms %.1f TFLOP/s (compile %.0f ms, T=%d H=%d M=%d E=%d k=%d, median of %d after %d warm-ups, min %.3f max %.3f)%n",
                    dtype.value(), m.value(), t.medianMs(), stepFlops(s) / (t.medianMs() * 1e-3) / 1e12, t.compileMs(), s[0], s[1], s[2], s[3], s[4],
                    iters, WARMUPS, t.minMs(), t.maxMs());
            System.out.println("  cost analysis: flops=" + t.cost().getOrDefault("flops", t.cost().get("unavailable"))
                    + " bytes accessed=" + t.cost().get("bytes accessed") + String.format(Locale.ROOT, " (counted here: %.4g flops)", stepFlops(s)));
            return 0;
        } catch (RuntimeException | Error e) {
            System.out.println("BENCH hlo4j " + dtype.value() + " " + m.value() + " FAILED " + oneLine(e));
            return 1;
        }
    }

    /**
     * The timing harness on a plugin that can run one dot_general (the test mock: gpu-check.sh selftest): a [16, 32] .
     * [32, 8] product traced by Jit, timed by {@link #time} exactly as the MoE step is, its last timed run's result read
     * back and compared with the interpreter's; prints a BENCH line of the MoE bench's form. Exit 0 when it agrees.
     */
    static int timingSelftest(Path plugin, Map<String, Object> opts) {
        Random r = new Random(3);
        HostArray[] argv = {CheckSupport.random(r, 1, 16, 32), CheckSupport.random(r, 1, 32, 8)};
        Lowered lowered = Jit.jit(a -> Linalg.matmul((Tensor) a[0], (Tensor) a[1])).lower((Object[]) argv);
        try (PjrtBackend gpu = PjrtBackend.open(plugin, opts)) {
            Timing t = time(gpu, lowered, argv, 5, true);
            List<HostArray> want = lowered.compile(Backend.interpreter()).call(argv);
            double err = t.outputs().size() == 1 ? relErr(t.outputs().getFirst(), want.getFirst()) : Double.NaN;
            boolean ok = err <= 1e-6;
            System.out.printf(Locale.ROOT, "BENCH hlo4j float32 dot_selftest %.3f ms %.6f TFLOP/s (compile %.0f ms, median of 5 after %d warm-ups, min %.3f max %.3f)%n",
                    t.medianMs(), 2.0 * 16 * 32 * 8 / (t.medianMs() * 1e-3) / 1e12, t.compileMs(), WARMUPS, t.minMs(), t.maxMs());
            System.out.printf(Locale.ROOT, "timing selftest on %s: %d outputs, last timed run vs interpreter max rel err %.2e, cost analysis %s -> %s%n",
                    gpu.name(), t.outputs().size(), err, t.cost(), ok ? "ok" : "FAIL");
            return ok ? 0 : 1;
        } catch (RuntimeException | Error e) {
            System.out.println("timing selftest: FAILED " + oneLine(e));
            return 1;
        }
    }
}
