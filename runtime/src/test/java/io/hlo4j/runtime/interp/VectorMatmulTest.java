package io.hlo4j.runtime.interp;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The vectorised f32 matmul gives the scalar loop's bits, tails (rows, columns past a panel) included. */
class VectorMatmulTest {
    @Test
    void surefireAddsTheVectorModule() {
        assertThat(DotKernels.VECTOR).as("runtime/pom.xml surefire argLine adds jdk.incubator.vector").isTrue();
    }

    @Test
    void smallIntegersGiveExactProducts() {
        // integer values below 2^24 in every partial sum: the f32 result is the exact integer product
        int B = 2, M = 7, K = 33, N = VectorMatmul.panelWidth() + 5;
        float[] a = new float[B * M * K], b = new float[B * K * N], c = new float[B * M * N];
        for (int i = 0; i < a.length; i++) a[i] = (i * 7 % 11) - 5;
        for (int i = 0; i < b.length; i++) b[i] = (i * 5 % 13) - 6;
        VectorMatmul.multiply(a, b, c, B, M, K, N);
        for (int bb = 0; bb < B; bb++) {
            for (int i = 0; i < M; i++) {
                for (int j = 0; j < N; j++) {
                    long s = 0;
                    for (int k = 0; k < K; k++) s += (long) a[(bb * M + i) * K + k] * (long) b[(bb * K + k) * N + j];
                    assertThat(c[(bb * M + i) * N + j]).as("c[%d,%d,%d]", bb, i, j).isEqualTo((float) s);
                }
            }
        }
    }

    @Test
    void randomValuesMatchTheScalarLoopBitForBit() {
        SplittableRandom rng = new SplittableRandom(7);
        int B = 3, M = 37, K = 129, N = 2 * VectorMatmul.panelWidth() + 11;
        float[] a = new float[B * M * K], b = new float[B * K * N], c = new float[B * M * N];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextDouble() * 2 - 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextDouble() * 2 - 1);
        VectorMatmul.multiply(a, b, c, B, M, K, N);
        double[] ref = new double[c.length];
        DotKernels.matmulF32Scalar(a, b, ref, B, M, K, N);
        for (int i = 0; i < c.length; i++) {
            assertThat(Float.floatToRawIntBits(c[i])).as("element %d", i).isEqualTo(Float.floatToRawIntBits((float) ref[i]));
        }
    }

    @Test
    void narrowProductsUseOnePaddedPanelBitForBit() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int n : new int[] {8, 13, VectorMatmul.panelWidth() - 1}) {
            int B = 2, M = 9, K = 301;
            float[] a = new float[B * M * K], b = new float[B * K * n], c = new float[B * M * n];
            for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextDouble() * 2 - 1);
            for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextDouble() * 2 - 1);
            VectorMatmul.multiply(a, b, c, B, M, K, n);
            double[] ref = new double[c.length];
            DotKernels.matmulF32Scalar(a, b, ref, B, M, K, n);
            for (int i = 0; i < c.length; i++) {
                assertThat(Float.floatToRawIntBits(c[i])).as("N=%d element %d", n, i).isEqualTo(Float.floatToRawIntBits((float) ref[i]));
            }
        }
    }
}
