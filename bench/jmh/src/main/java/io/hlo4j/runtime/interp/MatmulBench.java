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
import java.util.stream.IntStream;

/**
 * The interpreter's f32 matmul kernels called directly, c (M x N) = a (M x K) x b (K x N), in ms per product:
 * <ul>
 *   <li>{@code rowLoop}: the loop {@code DotKernels.matmulF32Scalar} ran before {@link ScalarMatmul} (one row of c at a
 *   time over all of b, k outer, {@code Math.fma} over j), kept here only as the baseline;</li>
 *   <li>{@code scalar}: {@link ScalarMatmul}, what runs without {@code jdk.incubator.vector};</li>
 *   <li>{@code vector}: {@link VectorMatmul}; needs the module (BENCH_JAVA_OPTS="--add-modules jdk.incubator.vector"),
 *   fails without it.</li>
 * </ul>
 * All three use both cores past 2^20 multiply-adds, as in the interpreter. Run with {@code bench/jmh.sh MatmulBench}.
 *
 * <p>{@link #main} runs them without JMH, interleaved in one JVM, and prints per shape the least process CPU time
 * (every thread, the kernel's workers too, from /proc/self/task/N/schedstat) and the least wall time of 5 calls, over rounds 5-14, and whether every
 * form gave the same bits: {@code bench/jmh.sh --main io.hlo4j.runtime.interp.MatmulBench [MxKxN ...]}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class MatmulBench {
    /** M x K x N: a MoE expert's up projection (one group of 512 rows), a square product, a router (N = 8). */
    @Param({"512x512x1024", "1024x1024x1024", "2048x512x8"})
    public String shape;

    int m, k, n;
    float[] a, b, c;

    @Setup
    public void setup() {
        String[] s = shape.split("x");
        m = Integer.parseInt(s[0]);
        k = Integer.parseInt(s[1]);
        n = Integer.parseInt(s[2]);
        SplittableRandom r = new SplittableRandom(42);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextDouble() * 2 - 1);
    }

    @Benchmark
    public float[] rowLoop() {
        rowLoop(a, b, c, m, k, n);
        return c;
    }

    @Benchmark
    public float[] scalar() {
        ScalarMatmul.multiply(a, 0, b, 0, c, 0, 1, m, k, n);
        return c;
    }

    @Benchmark
    public float[] vector() {
        VectorMatmul.multiply(a, b, c, 1, m, k, n);
        return c;
    }

    /** The former DotKernels.matmulF32Scalar, for one batch: rows in parallel past 2^20 multiply-adds. */
    static void rowLoop(float[] af, float[] bf, float[] c, int M, int K, int N) {
        IntStream rows = IntStream.range(0, M);
        if ((long) M * N * K > 1 << 20) rows = rows.parallel();
        rows.forEach(row -> {
            int ao = row * K;
            float[] acc = new float[N];
            for (int kk = 0; kk < K; kk++) {
                float av = af[ao + kk];
                int bk = kk * N;
                for (int j = 0; j < N; j++) acc[j] = Math.fma(av, bf[bk + j], acc[j]);
            }
            System.arraycopy(acc, 0, c, row * N, N);
        });
    }

    public static void main(String[] args) {
        String[] shapes = args.length > 0 ? args : new String[] {"512x512x1024", "1024x1024x1024", "2048x512x8"};
        for (String sh : shapes) {
            MatmulBench bench = new MatmulBench();
            bench.shape = sh;
            bench.setup();
            String[] names = DotKernels.VECTOR ? new String[] {"rowLoop", "scalar", "vector"} : new String[] {"rowLoop", "scalar"};
            Runnable[] runs = {bench::rowLoop, bench::scalar, bench::vector};
            long[] cpu = new long[names.length], wall = new long[names.length];
            java.util.Arrays.fill(cpu, Long.MAX_VALUE);
            java.util.Arrays.fill(wall, Long.MAX_VALUE);
            int[][] bits = new int[names.length][];
            for (int round = 0; round < 15; round++) {
                for (int f = 0; f < names.length; f++) {
                    long c0 = processCpuNanos(), w0 = System.nanoTime();
                    for (int call = 0; call < 5; call++) runs[f].run();
                    if (round >= 5) {
                        cpu[f] = Math.min(cpu[f], (processCpuNanos() - c0) / 5);
                        wall[f] = Math.min(wall[f], (System.nanoTime() - w0) / 5);
                    }
                    if (round == 0) {
                        bits[f] = new int[bench.c.length];
                        for (int i = 0; i < bench.c.length; i++) bits[f][i] = Float.floatToRawIntBits(bench.c[i]);
                    }
                }
            }
            boolean same = true;
            for (int[] x : bits) same &= java.util.Arrays.equals(x, bits[0]);
            double flops = 2.0 * bench.m * bench.k * bench.n;
            for (int f = 0; f < names.length; f++) {
                System.out.printf(java.util.Locale.ROOT, "%-15s %-8s process CPU %8.2f ms (%5.1f GFLOP per CPU-s), wall %8.2f ms%n",
                        sh, names[f], cpu[f] / 1e6, flops / cpu[f], wall[f] / 1e6);
            }
            System.out.println(sh + " same bits in every form: " + same);
        }
    }

    /** Every thread's CPU time in ns, from /proc/self/task/N/schedstat (the JVM's process CPU time counts in 10 ms ticks). */
    static long processCpuNanos() {
        long sum = 0;
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path t : tasks.toList()) {
                try {
                    sum += Long.parseLong(java.nio.file.Files.readString(t.resolve("schedstat")).split(" ")[0]);
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return sum;
    }
}
