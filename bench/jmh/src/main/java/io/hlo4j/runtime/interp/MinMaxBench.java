package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * f32 {@code maximum} and max-reduce kernels on 2^20 elements, one thread, in ns per element, three forms side by side
 * in the same forks:
 * <ul>
 *   <li>{@code *Old}: plain {@link Math#max}, as before {@code Floats.max} (the NaN it returns depends on the JIT);
 *   kept here only as the baseline;</li>
 *   <li>{@code *PerElement}: {@link Floats#max} per element, the first form that kept the first NaN;</li>
 *   <li>{@code *Kernel}: the interpreter's kernel as it is now ({@link FloatLoops#binaryRange},
 *   {@link ReduceKernels#reduceRuns}).</li>
 * </ul>
 * {@code nans}: {@code none}, or {@code sparse} (one NaN per 4,096 elements in each operand, so about half of
 * {@link MinMaxLoops}' blocks hold one). Run with {@code bench/jmh.sh MinMaxBench}.
 *
 * <p>{@link #main} runs the same methods without JMH, interleaved in one JVM, and prints the least thread CPU time per
 * element over rounds 20-59 (5 calls each): on a shared machine JMH's wall time mostly measures the scheduler. Run
 * with {@code bench/jmh.sh --main io.hlo4j.runtime.interp.MinMaxBench [none|sparse]}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xmx2g"})
public class MinMaxBench {
    static final int N = 1 << 20, ROW = 1024, ROWS = N / ROW;

    @Param({"none", "sparse"})
    public String nans;

    double[] x, y, out, acc, inPlace;
    /** Sizes read from fields, not constants, as the kernels get them (C2 would specialise the loops on constants). */
    int n = N, len = ROW, rows = ROWS;
    ScalarOp maxOp;

    @Setup
    public void setup() {
        SplittableRandom r = new SplittableRandom(42);
        x = new double[N];
        y = new double[N];
        for (int i = 0; i < N; i++) {
            x[i] = (float) r.nextDouble(-100, 100);
            y[i] = (float) r.nextDouble(-100, 100);
        }
        if (nans.equals("sparse")) {
            for (int i = 0; i < N; i += 4096) {
                x[i + 17] = Float.intBitsToFloat(0x7fc00123);
                y[i + 2048] = Float.intBitsToFloat(0xffc00456);
            }
        }
        out = new double[N];
        acc = new double[ROWS];
        inPlace = x.clone(); // max(max(x, y), y) = max(x, y): the in-place benchmarks see the same data every call
        Operation f = MlirParser.parseModule("""
                func.func @main(%x: tensor<2x4xf32>, %i: tensor<f32>) -> tensor<2xf32> {
                  %r = stablehlo.reduce(%x init: %i) applies stablehlo.maximum across dimensions = [1] : (tensor<2x4xf32>, tensor<f32>) -> tensor<2xf32>
                  func.return %r : tensor<2xf32>
                }
                """, "bench.mlir").functions().get(0);
        maxOp = ScalarOp.of(f.region(0).entry().operations().get(0).region(0), FloatType.F32);
    }

    public static void main(String[] args) {
        MinMaxBench b = new MinMaxBench();
        b.nans = args.length > 0 ? args[0] : "none";
        b.setup();
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        String[] names = {"maximumOld", "maximumPerElement", "maximumKernel", "maximumInPlaceOld", "maximumInPlaceKernel",
                "reduceRowsOld", "reduceRowsPerElement", "reduceRowsKernel"};
        Runnable[] runs = {b::maximumOld, b::maximumPerElement, b::maximumKernel, b::maximumInPlaceOld,
                b::maximumInPlaceKernel, b::reduceRowsOld, b::reduceRowsPerElement, b::reduceRowsKernel};
        long[] best = new long[runs.length];
        Arrays.fill(best, Long.MAX_VALUE);
        for (int round = 0; round < 60; round++) {
            for (int k = 0; k < runs.length; k++) {
                long t0 = cpu.getCurrentThreadCpuTime();
                for (int c = 0; c < 5; c++) runs[k].run();
                if (round >= 20) best[k] = Math.min(best[k], (cpu.getCurrentThreadCpuTime() - t0) / 5);
            }
        }
        for (int k = 0; k < runs.length; k++) {
            System.out.printf(java.util.Locale.ROOT, "%-22s %s %.3f ns/element (thread CPU, best)%n", names[k], b.nans, best[k] / (double) N);
        }
    }

    // element-wise maximum: out = max(x, y)

    @Benchmark
    @OperationsPerInvocation(N)
    public double[] maximumOld() {
        maxOld(x, y, out, 0, n);
        return out;
    }

    static void maxOld(double[] x, double[] y, double[] out, int lo, int hi) {
        for (int i = lo; i < hi; i++) out[i] = (float) Math.max(x[i], y[i]);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double[] maximumPerElement() {
        maxPerElement(x, y, out, 0, n);
        return out;
    }

    static void maxPerElement(double[] x, double[] y, double[] out, int lo, int hi) {
        for (int i = lo; i < hi; i++) out[i] = (float) Floats.max(x[i], y[i]);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double[] maximumKernel() {
        FloatLoops.binaryRange("stablehlo.maximum", FloatType.F32, x, y, out, null).run(0, n);
        return out;
    }

    // in place, a = max(a, y) (a fused chain writing into its operand; the column reduction's loop)

    @Benchmark
    @OperationsPerInvocation(N)
    public double[] maximumInPlaceOld() {
        maxOld(inPlace, y, inPlace, 0, n);
        return inPlace;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double[] maximumInPlaceKernel() {
        FloatLoops.binaryRange("stablehlo.maximum", FloatType.F32, inPlace, y, inPlace, null).run(0, n);
        return inPlace;
    }

    // reduce max over rows of 1,024 (the scalar path, without jdk.incubator.vector: eight rows at a time)

    @Benchmark
    @OperationsPerInvocation(N)
    public double[] reduceRowsOld() {
        Arrays.fill(acc, Double.NEGATIVE_INFINITY);
        rowsOld(x, acc, len, 0, rows);
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double[] reduceRowsPerElement() {
        Arrays.fill(acc, Double.NEGATIVE_INFINITY);
        rowsPerElement(x, acc, len, 0, rows);
        return acc;
    }

    /** ReduceKernels.reduceRuns' f32 max loop before Floats.max: eight rows at a time, then one. */
    static void rowsOld(double[] x, double[] acc, int len, int lo, int hi) {
        int o = lo;
        for (; o + 8 <= hi; o += 8) {
            float a0 = (float) acc[o], a1 = (float) acc[o + 1], a2 = (float) acc[o + 2], a3 = (float) acc[o + 3];
            float a4 = (float) acc[o + 4], a5 = (float) acc[o + 5], a6 = (float) acc[o + 6], a7 = (float) acc[o + 7];
            int b0 = o * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len, b4 = b3 + len, b5 = b4 + len, b6 = b5 + len, b7 = b6 + len;
            for (int i = 0; i < len; i++) {
                a0 = Math.max(a0, (float) x[b0 + i]); a1 = Math.max(a1, (float) x[b1 + i]);
                a2 = Math.max(a2, (float) x[b2 + i]); a3 = Math.max(a3, (float) x[b3 + i]);
                a4 = Math.max(a4, (float) x[b4 + i]); a5 = Math.max(a5, (float) x[b5 + i]);
                a6 = Math.max(a6, (float) x[b6 + i]); a7 = Math.max(a7, (float) x[b7 + i]);
            }
            acc[o] = a0; acc[o + 1] = a1; acc[o + 2] = a2; acc[o + 3] = a3;
            acc[o + 4] = a4; acc[o + 5] = a5; acc[o + 6] = a6; acc[o + 7] = a7;
        }
        for (; o < hi; o++) {
            double a = acc[o];
            for (int i = o * len; i < (o + 1) * len; i++) a = (float) Math.max(a, x[i]);
            acc[o] = a;
        }
    }

    /** The same with Floats.max per element (the first NaN kept). */
    static void rowsPerElement(double[] x, double[] acc, int len, int lo, int hi) {
        int o = lo;
        for (; o + 8 <= hi; o += 8) {
            float a0 = (float) acc[o], a1 = (float) acc[o + 1], a2 = (float) acc[o + 2], a3 = (float) acc[o + 3];
            float a4 = (float) acc[o + 4], a5 = (float) acc[o + 5], a6 = (float) acc[o + 6], a7 = (float) acc[o + 7];
            int b0 = o * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len, b4 = b3 + len, b5 = b4 + len, b6 = b5 + len, b7 = b6 + len;
            for (int i = 0; i < len; i++) {
                a0 = Floats.max(a0, (float) x[b0 + i]); a1 = Floats.max(a1, (float) x[b1 + i]);
                a2 = Floats.max(a2, (float) x[b2 + i]); a3 = Floats.max(a3, (float) x[b3 + i]);
                a4 = Floats.max(a4, (float) x[b4 + i]); a5 = Floats.max(a5, (float) x[b5 + i]);
                a6 = Floats.max(a6, (float) x[b6 + i]); a7 = Floats.max(a7, (float) x[b7 + i]);
            }
            acc[o] = a0; acc[o + 1] = a1; acc[o + 2] = a2; acc[o + 3] = a3;
            acc[o + 4] = a4; acc[o + 5] = a5; acc[o + 6] = a6; acc[o + 7] = a7;
        }
        for (; o < hi; o++) {
            double a = acc[o];
            for (int i = o * len; i < (o + 1) * len; i++) a = (float) Floats.max(a, x[i]);
            acc[o] = a;
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double[] reduceRowsKernel() {
        Arrays.fill(acc, Double.NEGATIVE_INFINITY);
        ReduceKernels.reduceRuns(maxOp, x, acc, len, 0, rows);
        return acc;
    }
}
