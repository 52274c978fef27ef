package io.hlo4j.runtime.interp;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ScalarMatmul} (dot_general's and ragged_dot's f32 product without the vector module) against the plain
 * triple loop written here: per element a float sum from +0, one {@link Math#fma} per k, k ascending. Bits are compared
 * raw, except that a NaN only has to be a NaN (Java leaves a NaN's payload unspecified, and a vector fma may keep another
 * operand's). Shapes cross every block boundary of the kernel: 4-row groups, {@link ScalarMatmul#ROWS}-row tasks,
 * {@link ScalarMatmul#NC}-column tiles, {@link ScalarMatmul#KC}-deep panels; they include empty and unit dimensions,
 * batches, operands and result at offsets inside larger arrays, products large enough to run in parallel, and -0.0,
 * infinities, NaN and subnormals in the operands.
 */
class ScalarMatmulTest {
    /** The reference: c (B x M x N) = a (B x M x K) x b (B x K x N) at the given offsets, nothing shared with the kernel. */
    private static float[] byHand(float[] a, int aOff, float[] b, int bOff, int B, int M, int K, int N) {
        float[] c = new float[B * M * N];
        for (int bb = 0; bb < B; bb++) {
            for (int i = 0; i < M; i++) {
                for (int j = 0; j < N; j++) {
                    float s = 0f;
                    for (int k = 0; k < K; k++) s = Math.fma(a[aOff + (bb * M + i) * K + k], b[bOff + (bb * K + k) * N + j], s);
                    c[(bb * M + i) * N + j] = s;
                }
            }
        }
        return c;
    }

    /** Runs one shape at offsets, with a sentinel around the result that the kernel must leave alone. */
    private static void check(SplittableRandom rng, int B, int M, int K, int N, Fill fill) {
        int aOff = rng.nextInt(5), bOff = rng.nextInt(5), cOff = rng.nextInt(5), tail = 3;
        float[] a = new float[aOff + B * M * K + tail], b = new float[bOff + B * K * N + tail];
        for (int i = 0; i < a.length; i++) a[i] = fill.value(rng);
        for (int i = 0; i < b.length; i++) b[i] = fill.value(rng);
        float[] c = new float[cOff + B * M * N + tail];
        java.util.Arrays.fill(c, 12345f); // garbage where the result goes, too: every element must be written
        ScalarMatmul.multiply(a, aOff, b, bOff, c, cOff, B, M, K, N);
        float[] want = byHand(a, aOff, b, bOff, B, M, K, N);
        String shape = "B=%d M=%d K=%d N=%d offsets %d/%d/%d".formatted(B, M, K, N, aOff, bOff, cOff);
        for (int i = 0; i < cOff; i++) assertThat(c[i]).as("%s: before the result, %d", shape, i).isEqualTo(12345f);
        for (int i = cOff + want.length; i < c.length; i++) assertThat(c[i]).as("%s: after the result, %d", shape, i).isEqualTo(12345f);
        for (int i = 0; i < want.length; i++) {
            float got = c[cOff + i];
            if (Float.isNaN(want[i])) assertThat(got).as("%s: element %d", shape, i).isNaN();
            else assertThat(Float.floatToRawIntBits(got)).as("%s: element %d (%s, expected %s)", shape, i, got, want[i])
                    .isEqualTo(Float.floatToRawIntBits(want[i]));
        }
    }

    private interface Fill { float value(SplittableRandom rng); }

    private static final Fill UNIFORM = rng -> (float) (rng.nextDouble() * 2 - 1);

    /** Mostly uniform, with -0.0, +0.0, tiny and subnormal values, infinities and NaN mixed in. */
    private static final Fill SPECIAL = rng -> switch (rng.nextInt(40)) {
        case 0 -> -0.0f;
        case 1 -> 0.0f;
        case 2 -> Float.MIN_VALUE * (1 + rng.nextInt(1000)) * (rng.nextBoolean() ? 1 : -1); // subnormal
        case 3 -> Float.MIN_NORMAL * (float) rng.nextDouble(); // subnormal or zero
        case 4 -> 1e-20f * (float) (rng.nextDouble() - 0.5); // products underflow
        default -> (float) (rng.nextDouble() * 2 - 1);
    };

    /** Rare infinities and NaN: most sums stay finite, some become inf or NaN. */
    private static final Fill NON_FINITE = rng -> switch (rng.nextInt(500)) {
        case 0 -> Float.POSITIVE_INFINITY;
        case 1 -> Float.NEGATIVE_INFINITY;
        case 2 -> Float.NaN;
        default -> SPECIAL.value(rng);
    };

    @Test
    void edgeShapesBitForBit() {
        SplittableRandom rng = new SplittableRandom(1);
        int[] dims = {0, 1, 3, 4, 5};
        for (int m : dims) for (int k : dims) for (int n : dims) check(rng, 1 + rng.nextInt(2), m, k, n, UNIFORM);
    }

    @Test
    void blockBoundariesBitForBit() {
        SplittableRandom rng = new SplittableRandom(2);
        int rows = ScalarMatmul.ROWS, nc = ScalarMatmul.NC, kc = ScalarMatmul.KC;
        int[][] shapes = {
            {1, rows - 1, 7, 9}, {1, rows, 1, nc}, {1, rows + 1, kc, nc + 1}, {2, 2 * rows + 3, kc + 1, 2 * nc - 1},
            {1, 9, 2 * kc + 5, 17}, {3, 7, 13, nc + 13}, {1, 1, 3 * kc, 2 * nc + 1}, {2, 4 * rows, 9, 8},
        };
        for (int[] s : shapes) check(rng, s[0], s[1], s[2], s[3], UNIFORM);
    }

    @Test
    void randomShapesBitForBit() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int t = 0; t < 40; t++) {
            int B = 1 + rng.nextInt(3), M = rng.nextInt(80), K = rng.nextInt(300), N = rng.nextInt(300);
            check(rng, B, M, K, N, t % 2 == 0 ? UNIFORM : SPECIAL);
        }
    }

    @Test
    void parallelProductsBitForBit() {
        // past 2^20 multiply-adds the tasks run in parallel (called directly, outside a run: on the common pool)
        SplittableRandom rng = new SplittableRandom(4);
        int[][] shapes = {
            {2, 3 * ScalarMatmul.ROWS + 5, ScalarMatmul.KC + 44, ScalarMatmul.NC + 30}, // 8 tasks: 2 tiles x 4 row chunks per batch
            {2, 700, 517, 3}, // narrow: 2,171,400 multiply-adds, 22 tasks of one 3-column tile x 64 rows, through rows4 and row1
        };
        for (int[] s : shapes) {
            assertThat(ScalarMatmul.parallel(s[0], s[1], s[2], s[3])).as("B=%d M=%d K=%d N=%d runs in parallel", s[0], s[1], s[2], s[3]).isTrue();
            assertThat((long) s[0] * s[1] * s[2] * s[3]).isGreaterThan(1L << 20); // the threshold, independently of the kernel
        }
        check(rng, shapes[0][0], shapes[0][1], shapes[0][2], shapes[0][3], SPECIAL);
        check(rng, shapes[1][0], shapes[1][1], shapes[1][2], shapes[1][3], UNIFORM);
        assertThat(ScalarMatmul.parallel(1, 64, 256, 64)).as("exactly 2^20 stays serial").isFalse();
    }

    @Test
    void zerosInfinitiesAndNanBitForBit() {
        SplittableRandom rng = new SplittableRandom(5);
        for (int t = 0; t < 12; t++) check(rng, 1 + rng.nextInt(2), 1 + rng.nextInt(40), 1 + rng.nextInt(300), 1 + rng.nextInt(300), NON_FINITE);
    }

    @Test
    void negativeZeroProductsSumToPositiveZero() {
        // every term is -0 (+x times -0): each fma adds -0 to the running sum, which starts at +0 and so stays +0
        int M = 5, K = 3, N = 6;
        float[] a = new float[M * K], b = new float[K * N], c = new float[M * N];
        java.util.Arrays.fill(a, 2f);
        java.util.Arrays.fill(b, -0.0f);
        java.util.Arrays.fill(c, -1f);
        ScalarMatmul.multiply(a, 0, b, 0, c, 0, 1, M, K, N);
        for (float v : c) assertThat(Float.floatToRawIntBits(v)).isEqualTo(0);
    }
}
