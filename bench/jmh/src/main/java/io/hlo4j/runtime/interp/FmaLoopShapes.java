package io.hlo4j.runtime.interp;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Which plain-Java f32 fma loops C2 vectorises (why {@link ScalarMatmul} is shaped as it is). Each shape runs one k
 * step over a row of 256 floats, for 16 k of a packed panel, all in L1, on one thread; the figure is the least thread
 * CPU time per fma over rounds 3-7. "1 row", "4 rows" and "4 rows, k unrolled by 2" call ScalarMatmul's own loops
 * ({@link ScalarMatmul#row1}, {@link ScalarMatmul#rows4}, {@link ScalarMatmul#rows4By2}); the others are written here
 * for comparison. Compare with C2's vectoriser off, which gives the scalar figure of each shape:
 * <pre>
 * bench/jmh.sh --main io.hlo4j.runtime.interp.FmaLoopShapes
 * BENCH_JAVA_OPTS=-XX:-UseSuperWord bench/jmh.sh --main io.hlo4j.runtime.interp.FmaLoopShapes
 * </pre>
 */
public final class FmaLoopShapes {
    private FmaLoopShapes() {}

    static final int W = 256, KS = 16;

    /**
     * One row of sums with B read in place, at an offset per k: the loop ScalarMatmul replaced (DotKernels'
     * {@code acc[j] = Math.fma(av, bf[bk + j], acc[j])}, one row of c at a time, k outer).
     */
    static void row1Offset(float x, float[] b, int bk, float[] c0, int w) {
        for (int j = 0; j < w; j++) c0[j] = Math.fma(x, b[bk + j], c0[j]);
    }

    /** The same with a multiply and an add (two roundings: not the interpreter's bits; for comparison only). */
    static void row1MulAdd(float x, float[] p, float[] c0, int w) {
        for (int j = 0; j < w; j++) c0[j] = x * p[j] + c0[j];
    }

    /** Four rows, the panel one array read at an offset per k (p[pk + j] beside c[j]). */
    static void rows4Offset(float x0, float x1, float x2, float x3, float[] p, int pk, int w, float[] c0, float[] c1, float[] c2, float[] c3) {
        for (int j = 0; j < w; j++) {
            float v = p[pk + j];
            c0[j] = Math.fma(x0, v, c0[j]);
            c1[j] = Math.fma(x1, v, c1[j]);
            c2[j] = Math.fma(x2, v, c2[j]);
            c3[j] = Math.fma(x3, v, c3[j]);
        }
    }

    /** One row, two k per pass: a chain of two fmas per element (the same order, half the loads and stores of c). */
    static void row1K2(float x0, float x1, float[] p0, float[] p1, float[] c0, int w) {
        for (int j = 0; j < w; j++) c0[j] = Math.fma(x1, p1[j], Math.fma(x0, p0[j], c0[j]));
    }

    /** Eight rows sharing each load of p. */
    static void rows8(float[] x, float[] p, int w, float[] c0, float[] c1, float[] c2, float[] c3, float[] c4, float[] c5, float[] c6, float[] c7) {
        float x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4], x5 = x[5], x6 = x[6], x7 = x[7];
        for (int j = 0; j < w; j++) {
            float v = p[j];
            c0[j] = Math.fma(x0, v, c0[j]);
            c1[j] = Math.fma(x1, v, c1[j]);
            c2[j] = Math.fma(x2, v, c2[j]);
            c3[j] = Math.fma(x3, v, c3[j]);
            c4[j] = Math.fma(x4, v, c4[j]);
            c5[j] = Math.fma(x5, v, c5[j]);
            c6[j] = Math.fma(x6, v, c6[j]);
            c7[j] = Math.fma(x7, v, c7[j]);
        }
    }

    public static void main(String[] args) {
        SplittableRandom r = new SplittableRandom(42);
        float[][] panel = new float[KS][W], c = new float[8][W];
        float[] flat = new float[KS * W], x = new float[8];
        for (int k = 0; k < KS; k++) for (int j = 0; j < W; j++) flat[k * W + j] = panel[k][j] = (float) (r.nextDouble() * 2 - 1);
        for (int i = 0; i < 8; i++) x[i] = (float) (r.nextDouble() * 2 - 1) * 1e-3f;
        int w = Integer.getInteger("w", W); // read at run time, as the kernel gets it
        String[] names = {"1 row", "1 row, b at offset", "1 row, a*b+c", "4 rows", "4 rows, k unrolled by 2", "4 rows, panel at offset",
            "1 row, k unrolled by 2", "8 rows"};
        int[] fmas = {1, 1, 1, 4, 4, 4, 1, 8};
        Runnable[] shapes = {
            () -> { for (int k = 0; k < KS; k++) ScalarMatmul.row1(x[0], panel[k], w, c[0]); },
            () -> { for (int k = 0; k < KS; k++) row1Offset(x[0], flat, k * w, c[0], w); },
            () -> { for (int k = 0; k < KS; k++) row1MulAdd(x[0], panel[k], c[0], w); },
            () -> { for (int k = 0; k < KS; k++) ScalarMatmul.rows4(x[0], x[1], x[2], x[3], panel[k], w, c[0], c[1], c[2], c[3]); },
            () -> {
                for (int k = 0; k < KS; k += 2) {
                    ScalarMatmul.rows4By2(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], panel[k], panel[k + 1], w, c[0], c[1], c[2], c[3]);
                }
            },
            () -> { for (int k = 0; k < KS; k++) rows4Offset(x[0], x[1], x[2], x[3], flat, k * w, w, c[0], c[1], c[2], c[3]); },
            () -> { for (int k = 0; k < KS; k += 2) row1K2(x[0], x[1], panel[k], panel[k + 1], c[0], w); },
            () -> { for (int k = 0; k < KS; k++) rows8(x, panel[k], w, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]); },
        };
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        double[] best = new double[shapes.length];
        java.util.Arrays.fill(best, Double.MAX_VALUE);
        int calls = 20_000;
        for (int round = 0; round < 8; round++) {
            for (int s = 0; s < shapes.length; s++) {
                for (float[] row : c) java.util.Arrays.fill(row, 0f); // sums stay small: no overflow, no subnormals
                long t0 = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < calls; i++) shapes[s].run();
                double ns = (cpu.getCurrentThreadCpuTime() - t0) / ((double) calls * KS * w * fmas[s]);
                if (round >= 3) best[s] = Math.min(best[s], ns);
            }
        }
        for (int s = 0; s < shapes.length; s++) System.out.printf(Locale.ROOT, "%-28s %.3f ns per fma (thread CPU, best)%n", names[s], best[s]);
    }
}
