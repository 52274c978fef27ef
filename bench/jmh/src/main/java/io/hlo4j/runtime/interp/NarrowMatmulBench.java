package io.hlo4j.runtime.interp;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * f32 products with few columns (a MoE router's [2048, 512] x [512, 8]) as {@code DotKernels.matmulF32} runs them, from
 * the operands' doubles to c's floats, in ms per product:
 * <ul>
 *   <li>{@code columns}: both operands converted to floats, then {@code DotKernels.matmulF32Into} ({@link ScalarMatmul}
 *   without the vector module, {@link VectorMatmul} with it from 8 columns): what every f32 dot_general took before
 *   {@link NarrowMatmul};</li>
 *   <li>{@code narrow}: {@link NarrowMatmul}, vectorised over rows.</li>
 * </ul>
 * Run with {@code bench/jmh.sh NarrowMatmulBench}; {@link #main} runs both interleaved in one JVM and prints per shape
 * the least process CPU and wall time of 5 calls over rounds 5-14, and whether both gave the same bits:
 * {@code bench/jmh.sh --main io.hlo4j.runtime.interp.NarrowMatmulBench [MxKxN ...]} (add
 * {@code BENCH_JAVA_OPTS="--add-modules jdk.incubator.vector"} for the module's kernel in {@code columns}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class NarrowMatmulBench {
    /** M x K x N: the router's logits, and narrower (down to one column: the kernel's column remainder alone) and wider. */
    @Param({"2048x512x8", "2048x512x1", "2048x512x2", "2048x512x4", "2048x512x16", "2048x512x32", "2048x512x48"})
    public String shape;

    int m, k, n;
    double[] a, b;
    float[] c;

    @Setup
    public void setup() {
        String[] s = shape.split("x");
        m = Integer.parseInt(s[0]);
        k = Integer.parseInt(s[1]);
        n = Integer.parseInt(s[2]);
        SplittableRandom r = new SplittableRandom(42);
        a = new double[m * k];
        b = new double[k * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextDouble() * 2 - 1);
    }

    @Benchmark
    public float[] columns() {
        float[] af = DotKernels.toFloats(a), bf = DotKernels.toFloats(b);
        c = new float[m * n];
        DotKernels.matmulF32Into(af, 0, bf, 0, c, 0, 1, m, k, n);
        return c;
    }

    @Benchmark
    public float[] narrow() {
        c = NarrowMatmul.multiply(a, b, 1, m, k, n);
        return c;
    }

    public static void main(String[] args) {
        String[] shapes = args.length > 0 ? args : new String[] {"2048x512x8", "2048x512x1", "2048x512x2", "2048x512x4", "2048x512x16", "2048x512x32", "2048x512x48"};
        for (String sh : shapes) {
            NarrowMatmulBench bench = new NarrowMatmulBench();
            bench.shape = sh;
            bench.setup();
            String[] names = {"columns", "narrow"};
            Runnable[] runs = {bench::columns, bench::narrow};
            long[] cpu = new long[names.length], wall = new long[names.length];
            java.util.Arrays.fill(cpu, Long.MAX_VALUE);
            java.util.Arrays.fill(wall, Long.MAX_VALUE);
            int[][] bits = new int[names.length][];
            for (int round = 0; round < 15; round++) {
                for (int f = 0; f < names.length; f++) {
                    long c0 = MatmulBench.processCpuNanos(), w0 = System.nanoTime();
                    for (int call = 0; call < 5; call++) runs[f].run();
                    if (round >= 5) {
                        cpu[f] = Math.min(cpu[f], (MatmulBench.processCpuNanos() - c0) / 5);
                        wall[f] = Math.min(wall[f], (System.nanoTime() - w0) / 5);
                    }
                    if (round == 0) {
                        bits[f] = new int[bench.c.length];
                        for (int i = 0; i < bench.c.length; i++) bits[f][i] = Float.floatToRawIntBits(bench.c[i]);
                    }
                }
            }
            double flops = 2.0 * bench.m * bench.k * bench.n;
            for (int f = 0; f < names.length; f++) {
                System.out.printf(java.util.Locale.ROOT, "%-13s %-8s process CPU %7.3f ms (%5.1f GFLOP per CPU-s), wall %7.3f ms%n",
                        sh, names[f], cpu[f] / 1e6, flops / cpu[f], wall[f] / 1e6);
            }
            System.out.println(sh + " same bits in both forms: " + java.util.Arrays.equals(bits[0], bits[1]));
        }
    }
}
