package io.hlo4j.dsltest.bench;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Frame;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.Process;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.interp.Scope;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The value and gradient of a MoE layer's loss, sum(y^2) of {@code moeCall}'s output, with respect to x, the gate
 * kernel, wi, wu and wd, traced with the DSL ({@code Grad.valueAndGrad}) and run on the interpreter: what a user
 * training on the interpreter waits for at each step. Not a test: {@code bench/moe_grad.sh} runs it and
 * {@code docs/benchmarks-moe-step.md} gives the figures.
 *
 * <p>Per method (FUSED_MOE, STANDARD_MOE by default; {@code bench.methods}, any of {@link MoEMethods}): {@code bench.warmup} untimed runs, then
 * {@code bench.repeat} timed runs of the compiled entry function through {@link Interpreter#run}, reporting the
 * median and the best of the wall time and of the process CPU time (every thread's schedstat: the kernel pool's
 * workers, the JIT and GC threads). Then, with {@code bench.profile} (default true), {@code bench.profileRepeat}
 * runs op by op: each top-level op of {@code @main} through {@link Interpreter#evalOp}, timed alone and summed per op
 * name. That path skips the interpreter's element-wise fusion (each element-wise op runs its own kernel), so the
 * element-wise rows are an upper bound; the profile total is printed beside the fused run's so the two can be
 * compared. The table's last column, a hash of the raw bits of every output, shows whether a change of the
 * interpreter changed any bit of the step's results.
 *
 * <p>Sizes: {@code bench.tokens} (2048), {@code bench.hidden} (512), {@code bench.inter} (1024), {@code bench.experts}
 * (8), {@code bench.topk} (2).
 */
public final class MoeGradBench {
    private MoeGradBench() {}

    public static void main(String[] args) {
        int tokens = Integer.getInteger("bench.tokens", 2048), h = Integer.getInteger("bench.hidden", 512);
        int m = Integer.getInteger("bench.inter", 1024), e = Integer.getInteger("bench.experts", 8), k = Integer.getInteger("bench.topk", 2);
        int warmup = Integer.getInteger("bench.warmup", 2), repeat = Integer.getInteger("bench.repeat", 5);
        int profileRepeat = Integer.getInteger("bench.profileRepeat", 3);
        boolean profile = Boolean.parseBoolean(System.getProperty("bench.profile", "true"));
        List<MoEMethods> methods = Arrays.stream(System.getProperty("bench.methods", "FUSED_MOE,STANDARD_MOE").split(","))
                .map(s -> MoEMethods.valueOf(s.trim().toUpperCase(Locale.ROOT))).toList();
        System.out.printf(Locale.ROOT, "MoE value-and-grad on the interpreter: %d tokens, H %d, M %d, top-%d of %d experts, f32; "
                + "%d warm-up + %d timed runs%n", tokens, h, m, k, e, warmup, repeat);

        SplittableRandom rng = new SplittableRandom(7);
        HostArray x = random(rng, 1.0, 1, tokens, h), gate = random(rng, 1 / Math.sqrt(h), h, e);
        HostArray wi = random(rng, 1 / Math.sqrt(h), e, h, m), wu = random(rng, 1 / Math.sqrt(h), e, h, m);
        HostArray wd = random(rng, 1 / Math.sqrt(m), e, m, h);
        HostArray[] argv = {x, gate, wi, wu, wd};
        List<String> rows = new ArrayList<>();
        for (MoEMethods method : methods) {
            MoeConfig cfg = MoeConfig.of(e, k, h, m).withMoeMethod(method);
            TracedFunction loss = a -> {
                Tensor y = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                        ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), false).output();
                return Reductions.sum(Ops.mul(y, y), 0, 1, 2);
            };
            Lowered lowered = Jit.jit("moe_value_and_grad", Grad.valueAndGrad(loss, 0, 1, 2, 3, 4)).lower((Object[]) argv);
            Interpreter interp = new Interpreter(lowered.module());
            List<RtValue> in = HostArrays.toValues(List.of(argv));
            double[] wall = new double[repeat], cpu = new double[repeat];
            double value = 0;
            String digest = "";
            for (int r = 0; r < warmup + repeat; r++) {
                long c0 = processCpuNanos(), t0 = System.nanoTime();
                List<RtValue> out = interp.run(in);
                double ms = (System.nanoTime() - t0) / 1e6, cms = (processCpuNanos() - c0) / 1e6;
                value = HostArrays.toHost(out.subList(0, 1)).get(0).toDoubleArray()[0];
                digest = digest(out);
                if (r >= warmup) {
                    wall[r - warmup] = ms;
                    cpu[r - warmup] = cms;
                }
            }
            Operation main = lowered.module().entryFunction();
            int ops = main.region(0).entry().operations().size();
            rows.add(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.6g | %s |", method, ops,
                    median(wall), min(wall), median(cpu), min(cpu), value, digest));
            System.out.printf(Locale.ROOT, "%s: %d top-level ops; wall ms median %.0f best %.0f; process CPU ms median %.0f best %.0f; loss %.6g; "
                    + "outputs' bits %s%n", method, ops, median(wall), min(wall), median(cpu), min(cpu), value, digest);
            if (profile) profile(method, interp, main, in, profileRepeat);
        }
        System.out.println();
        System.out.println("| method | top-level ops | wall median (ms) | wall best (ms) | CPU median (ms) | CPU best (ms) | loss | outputs' bits |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---|");
        rows.forEach(System.out::println);
    }

    /** Runs {@code @main}'s top-level ops one at a time; prints wall and process CPU per op name (mean over runs). */
    static void profile(MoEMethods method, Interpreter interp, Operation main, List<RtValue> in, int runs) {
        Map<String, double[]> byName = new TreeMap<>(); // name -> {count per run, wall ns, cpu ns}
        double totalWall = 0, totalCpu = 0;
        var block = main.region(0).entry();
        Map<Operation, Long> opCpu = new java.util.IdentityHashMap<>();
        for (int run = 0; run < runs; run++) {
            Scope scope = new Scope(null);
            for (int i = 0; i < in.size(); i++) scope.bind(block.argument(i), in.get(i));
            Frame frame = new Frame(interp, scope, Process.single());
            for (Operation op : block.operations()) {
                if (op.name().equals("func.return")) break;
                List<RtValue> operands = new ArrayList<>(op.numOperands());
                for (var v : op.operands()) operands.add(scope.lookup(v));
                long c0 = processCpuNanos(), t0 = System.nanoTime();
                List<RtValue> res = interp.evalOp(op, operands, frame);
                long dt = System.nanoTime() - t0, dc = processCpuNanos() - c0;
                for (int r = 0; r < res.size(); r++) scope.bind(op.result(r), res.get(r));
                double[] acc = byName.computeIfAbsent(op.name(), n -> new double[3]);
                if (run == 0) acc[0]++;
                acc[1] += dt;
                acc[2] += dc;
                opCpu.merge(op, dc, Long::sum);
                totalWall += dt;
                totalCpu += dc;
            }
        }
        double tw = totalWall, tc = totalCpu;
        System.out.printf(Locale.ROOT, "%s op by op (no fusion), mean of %d runs: wall %.0f ms, CPU %.0f ms%n", method, runs,
                tw / runs / 1e6, tc / runs / 1e6);
        System.out.println("| op | count | wall (ms) | CPU (ms) | CPU share |");
        System.out.println("|---|---:|---:|---:|---:|");
        byName.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[2], a.getValue()[2])).forEach(en -> {
            double[] v = en.getValue();
            if (v[2] / tc < 0.002) return;
            System.out.printf(Locale.ROOT, "| `%s` | %d | %.1f | %.1f | %.1f%% |%n", en.getKey(), (int) v[0], v[1] / runs / 1e6,
                    v[2] / runs / 1e6, 100 * v[2] / tc);
        });
        int top = Integer.getInteger("bench.top", 8);
        System.out.println("costliest single ops (CPU ms, mean of the runs):");
        opCpu.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(top).forEach(en ->
                System.out.printf(Locale.ROOT, "  %8.1f  %s%n", en.getValue() / runs / 1e6, signature(en.getKey())));
    }

    /** The op's name, operand and result types and the attributes that say which form it is (dimension numbers). */
    static String signature(Operation op) {
        StringBuilder b = new StringBuilder(op.name()).append(" (");
        for (int i = 0; i < op.numOperands(); i++) b.append(i == 0 ? "" : ", ").append(op.operand(i).type());
        b.append(") -> ").append(op.result(0).type());
        op.attributes().asMap().forEach((k, v) -> {
            if (k.contains("dimension")) b.append(' ').append(v);
        });
        return b.toString();
    }

    static HostArray random(SplittableRandom rng, double scale, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) (scale * (2 * rng.nextDouble() - 1));
        return HostArray.fromDoubles(Spec.of(DType.F32, shape).tensorType(), v);
    }

    /**
     * A hash of the raw bits of every output (the loss and the five gradients), so that a kernel change can be
     * checked to leave the whole step bit-identical: compare this column before and after.
     */
    static String digest(List<RtValue> out) {
        long h = 1125899906842597L;
        for (HostArray a : HostArrays.toHost(out)) {
            for (double v : a.toDoubleArray()) h = 31 * h + Double.doubleToRawLongBits(v);
        }
        return String.format("%016x", h);
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double min(double[] a) { return Arrays.stream(a).min().orElse(Double.NaN); }

    /** CPU time of the whole process: the sum of every thread's time on a CPU in /proc/self/task/N/schedstat. */
    static long processCpuNanos() {
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        long sum = 0;
        if (tasks == null) return 0;
        for (java.io.File t : tasks) {
            try {
                String line = java.nio.file.Files.readString(t.toPath().resolve("schedstat")).trim();
                sum += Long.parseLong(line.substring(0, line.indexOf(' ')));
            } catch (java.io.IOException | RuntimeException e) {
                // a thread that ended while we read: its time is lost for this sample
            }
        }
        return sum;
    }
}
