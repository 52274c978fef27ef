package io.hlo4j.runtime.interp;

import java.util.stream.IntStream;

/**
 * The f32 matmul of {@link DotKernels#matmulF32Scalar} in plain Java, shaped so that C2 vectorises it: what runs when
 * {@code jdk.incubator.vector} is absent ({@code ./hlo4j}, library users), or the product is too small for
 * {@link VectorMatmul}. Each output element is one f32 {@link Math#fma} per k, k ascending from +0, as in
 * {@link VectorMatmul}, so both give the same bits.
 *
 * <p>C2's auto-vectoriser (JDK 25) turns {@code acc[j] = Math.fma(x, p[j], acc[j])} into vector fmas, also with
 * several rows of sums sharing the load of {@code p[j]} and with two k per element in a chain, but only while every
 * array in the loop is indexed by the same {@code [j]}: {@code p[pk + j]} beside {@code acc[j]} stays scalar (it
 * cannot rule out that the two arrays overlap, and has no runtime check for it; measured in
 * docs/benchmarks-matmul.md, "f32 matmul without the vector module"). So the B panel is packed as one
 * {@code float[]} per k (columns [j0, j0 + {@link #NC}), {@link #KC} values of k at a time, in L2), each row's sums
 * live in their own {@code float[]} (in L1) until they are copied into c, and the inner loop ({@link #rows4By2})
 * gives 4 rows two k each per pass.
 * Tasks are (batch, column tile, chunk of {@link #ROWS} rows), in parallel when the product is large; each polls the
 * op's stop once per block of k.
 */
final class ScalarMatmul {
    private ScalarMatmul() {}

    /** Columns per tile, rows of k per packed panel (KC x NC floats: 256 KiB, meant to stay in L2), rows of A per task. */
    static final int NC = 256, KC = 256, ROWS = 64;

    /**
     * Tiles at least this wide take {@link #rows4By2}; narrower ones (a router's 8 columns) take {@link #rows4}. C2
     * compiles a loop for the trip counts it has seen: after a narrow product had run through the wide tiles' loop, a
     * wide one ran markedly slower (seen in a scratch harness during the work, not reproduced in the repository), so the
     * wide loop never sees a narrow tile.
     */
    static final int WIDE = 64;

    /** Whether {@link #multiply} runs its tasks in parallel (on the kernel pool inside a run): past 2^20 multiply-adds. */
    static boolean parallel(int B, int M, int K, int N) {
        return (long) B * M * N * K > 1 << 20;
    }

    /** c[cOff..] (B x M x N) = a[aOff..] (B x M x K) x b[bOff..] (B x K x N), row-major. */
    static void multiply(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int B, int M, int K, int N) {
        int tiles = (N + NC - 1) / NC, chunks = (M + ROWS - 1) / ROWS;
        IntStream tasks = IntStream.range(0, B * tiles * chunks);
        if (parallel(B, M, K, N)) tasks = tasks.parallel();
        StopCheck stop = StopCheck.current(); // workers check for the op's thread
        stop.forEach(tasks, t -> {
            int bb = t / (tiles * chunks), j0 = (t / chunks % tiles) * NC, r0 = (t % chunks) * ROWS;
            int w = Math.min(NC, N - j0), rows = Math.min(ROWS, M - r0);
            float[][] acc = new float[rows][w]; // +0: every sum starts there
            float[][] panel = new float[Math.min(KC, K)][w];
            int ao = aOff + (bb * M + r0) * K, bo = bOff + bb * K * N + j0;
            for (int k0 = 0; k0 < K; k0 += KC) {
                int kc = Math.min(KC, K - k0);
                stop.poll((long) rows * kc * w);
                for (int k = 0; k < kc; k++) System.arraycopy(b, bo + (k0 + k) * N, panel[k], 0, w);
                int i = 0;
                for (; i + 4 <= rows; i += 4) {
                    float[] c0 = acc[i], c1 = acc[i + 1], c2 = acc[i + 2], c3 = acc[i + 3];
                    int a0 = ao + i * K + k0, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K, k = 0;
                    if (w >= WIDE) {
                        for (; k + 2 <= kc; k += 2) {
                            rows4By2(a[a0 + k], a[a1 + k], a[a2 + k], a[a3 + k], a[a0 + k + 1], a[a1 + k + 1], a[a2 + k + 1],
                                    a[a3 + k + 1], panel[k], panel[k + 1], w, c0, c1, c2, c3);
                        }
                    }
                    for (; k < kc; k++) rows4(a[a0 + k], a[a1 + k], a[a2 + k], a[a3 + k], panel[k], w, c0, c1, c2, c3);
                }
                for (; i < rows; i++) {
                    float[] c0 = acc[i];
                    int a0 = ao + i * K + k0;
                    for (int k = 0; k < kc; k++) row1(a[a0 + k], panel[k], w, c0);
                }
            }
            int co = cOff + (bb * M + r0) * N + j0;
            for (int i = 0; i < rows; i++) System.arraycopy(acc[i], 0, c, co + i * N, w);
        });
    }

    /**
     * Two k (x then y) for 4 rows: each sum takes its two fmas in k order, and each vector of sums is loaded and stored
     * once per two k: about 1.7x the speed of {@link #rows4} per fma. Package-private, as are the other loops, so that
     * FmaLoopShapes (bench/jmh) times these very loops (docs/benchmarks-matmul.md, "f32 matmul without the vector
     * module"), and so that {@link NarrowMatmul} runs them transposed (B's values as the scalars, A's packed rows as
     * the arrays).
     */
    static void rows4By2(float x0, float x1, float x2, float x3, float y0, float y1, float y2, float y3, float[] p, float[] q,
                         int w, float[] c0, float[] c1, float[] c2, float[] c3) {
        for (int j = 0; j < w; j++) {
            float v = p[j], u = q[j];
            c0[j] = Math.fma(y0, u, Math.fma(x0, v, c0[j]));
            c1[j] = Math.fma(y1, u, Math.fma(x1, v, c1[j]));
            c2[j] = Math.fma(y2, u, Math.fma(x2, v, c2[j]));
            c3[j] = Math.fma(y3, u, Math.fma(x3, v, c3[j]));
        }
    }

    /** One k for 4 rows: each row's sums take one fma with the same B row (one vector load of p for four fmas). */
    static void rows4(float x0, float x1, float x2, float x3, float[] p, int w, float[] c0, float[] c1, float[] c2, float[] c3) {
        for (int j = 0; j < w; j++) {
            float v = p[j];
            c0[j] = Math.fma(x0, v, c0[j]);
            c1[j] = Math.fma(x1, v, c1[j]);
            c2[j] = Math.fma(x2, v, c2[j]);
            c3[j] = Math.fma(x3, v, c3[j]);
        }
    }

    /** One k for one row (the rows left over from groups of 4). */
    static void row1(float x, float[] p, int w, float[] c0) {
        for (int j = 0; j < w; j++) c0[j] = Math.fma(x, p[j], c0[j]);
    }
}
