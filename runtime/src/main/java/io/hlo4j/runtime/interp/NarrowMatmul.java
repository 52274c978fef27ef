package io.hlo4j.runtime.interp;

import java.util.stream.IntStream;

/**
 * The f32 matmul of {@link DotKernels#matmulF32} when c has few columns (a MoE router's logits: [2048, 512] x [512, 8]),
 * vectorised over rows instead of columns. {@link ScalarMatmul}'s loops run over the columns of a tile, so a row of 8
 * columns is one short loop (scalar on a 16-lane machine) per row and k; {@link VectorMatmul} pads 8 columns to its
 * panel of 3 vectors. Here each task packs a block of A transposed (one {@code float[]} per k holding that k of
 * {@link #ROWS} rows, converted from the operand's doubles as it goes), keeps one {@code float[]} of sums per column
 * of c, and the inner loop runs over the rows, where C2 vectorises it as it does {@link ScalarMatmul}'s.
 *
 * <p>The inner loops are {@link ScalarMatmul}'s, called transposed: its scalars are B's values, its arrays A's packed
 * rows and c's columns of sums. Each element of c is still one f32 {@link Math#fma} per k, k ascending from +0: the
 * terms and order of {@link ScalarMatmul} and {@link VectorMatmul}, with the factors swapped, which changes no bit
 * (the product is exact before the fma's one rounding, and its sign is the factors' signs' xor). So every non-NaN
 * element has their bits; a NaN stays a NaN, but which NaN operand's payload and sign it carries depends on the
 * operands' order in the machine's fma (as between those two kernels, and between C2's scalar and vector code), so it
 * is not fixed. Tasks are (batch, block of rows), in parallel past 2^20 multiply-adds; each polls the op's stop once
 * per block of k.
 */
final class NarrowMatmul {
    private NarrowMatmul() {}

    /** Rows per task, values of k per packed block (KC x ROWS floats: 256 KiB, in L2). */
    static final int ROWS = 256, KC = 256;

    /** Rows below which the column-vectorised kernels keep the product: too few to fill this one's vectors. */
    static final int MIN_ROWS = 64;

    /**
     * The most columns this kernel takes with the vector module: from 8 columns {@link VectorMatmul} runs, and from 12 it
     * was as fast or faster (NarrowMatmulBench, docs/benchmarks-matmul.md). Without the module, every width below
     * {@link ScalarMatmul#WIDE}, where ScalarMatmul runs its one-k loop over short tiles: this kernel was 2.1 to 2.8x
     * faster there from 4 to 63 columns, and more at 1 and 2.
     */
    static final int VECTOR_MAX_N = 8;

    /** Whether a product of this shape takes this kernel: few columns, and enough rows to fill the vectors. */
    static boolean applies(int M, int K, int N) {
        int widest = DotKernels.VECTOR ? VECTOR_MAX_N : ScalarMatmul.WIDE - 1;
        return N > 0 && N <= widest && M >= MIN_ROWS && K > 0;
    }

    /** c (B x M x N, f32) = a (B x M x K) x b (B x K x N), row-major; a's and b's values are exact floats. */
    static float[] multiply(double[] a, double[] b, int B, int M, int K, int N) {
        float[] c = new float[B * M * N];
        int chunks = (M + ROWS - 1) / ROWS;
        IntStream tasks = IntStream.range(0, B * chunks);
        if (ScalarMatmul.parallel(B, M, K, N)) tasks = tasks.parallel();
        StopCheck stop = StopCheck.current(); // workers check for the op's thread
        stop.forEach(tasks, t -> {
            int bb = t / chunks, r0 = (t % chunks) * ROWS, rows = Math.min(ROWS, M - r0);
            float[][] acc = new float[N][rows]; // one column of c's sums per array, +0: every sum starts there
            float[][] panel = new float[Math.min(KC, K)][rows];
            int ao = (bb * M + r0) * K, bo = bb * K * N;
            for (int k0 = 0; k0 < K; k0 += KC) {
                int kc = Math.min(KC, K - k0);
                stop.poll((long) rows * kc * N);
                pack(a, ao + k0, K, rows, kc, panel);
                int j = 0;
                for (; j + 4 <= N; j += 4) {
                    float[] c0 = acc[j], c1 = acc[j + 1], c2 = acc[j + 2], c3 = acc[j + 3];
                    int k = 0;
                    if (rows >= ScalarMatmul.WIDE) { // as in ScalarMatmul: its two-k loop never sees a short array
                        for (; k + 2 <= kc; k += 2) {
                            int p = bo + (k0 + k) * N + j, q = p + N;
                            ScalarMatmul.rows4By2((float) b[p], (float) b[p + 1], (float) b[p + 2], (float) b[p + 3], (float) b[q],
                                    (float) b[q + 1], (float) b[q + 2], (float) b[q + 3], panel[k], panel[k + 1], rows, c0, c1, c2, c3);
                        }
                    }
                    for (; k < kc; k++) {
                        int p = bo + (k0 + k) * N + j;
                        ScalarMatmul.rows4((float) b[p], (float) b[p + 1], (float) b[p + 2], (float) b[p + 3], panel[k], rows, c0, c1, c2, c3);
                    }
                }
                for (; j < N; j++) {
                    float[] c0 = acc[j];
                    for (int k = 0; k < kc; k++) ScalarMatmul.row1((float) b[bo + (k0 + k) * N + j], panel[k], rows, c0);
                }
            }
            int co = (bb * M + r0) * N;
            for (int i = 0; i < rows; i++) for (int j = 0; j < N; j++) c[co + i * N + j] = acc[j][i];
        });
        return c;
    }

    /**
     * panel[k][i] = a[at + i * K + k] as a float, for i < rows, k < kc: 8 rows at a time, so that each k's 8 values go
     * to adjacent floats while the 8 source rows are read in order.
     */
    static void pack(double[] a, int at, int K, int rows, int kc, float[][] panel) {
        int i = 0;
        for (; i + 8 <= rows; i += 8) {
            int s = at + i * K;
            for (int k = 0; k < kc; k++, s++) {
                float[] p = panel[k];
                p[i] = (float) a[s];
                p[i + 1] = (float) a[s + K];
                p[i + 2] = (float) a[s + 2 * K];
                p[i + 3] = (float) a[s + 3 * K];
                p[i + 4] = (float) a[s + 4 * K];
                p[i + 5] = (float) a[s + 5 * K];
                p[i + 6] = (float) a[s + 6 * K];
                p[i + 7] = (float) a[s + 7 * K];
            }
        }
        for (; i < rows; i++) for (int k = 0, s = at + i * K; k < kc; k++) panel[k][i] = (float) a[s + k];
    }
}
