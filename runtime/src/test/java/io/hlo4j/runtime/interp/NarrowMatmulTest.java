package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link NarrowMatmul} (f32 products with few columns, vectorised over rows) against two oracles: the column kernels
 * every f32 dot_general ran before it (the operands converted to floats, then {@link ScalarMatmul}, and
 * {@link VectorMatmul} where it runs), and the fma sum of each element written out here (one f32 fma per k, k ascending
 * from +0). Against each, every non-NaN element bit for bit, and a NaN where the oracle has a NaN: which NaN operand's
 * payload and sign a NaN result carries depends on the operands' order in the machine's fma, which differs among these
 * kernels (and between C2's scalar and vector code), so it is not compared. Shapes on both sides of every block (256
 * rows a task, 256 values of k a panel, 4 columns a group, 2 values of k a pass), 1 to 63 columns, batches; values with
 * signed zeros, products that underflow to -0, subnormals, infinities, NaN, and NaNs with payloads of both signs, quiet
 * and signalling (as bitcast_convert and host arrays bring them: {@link Floats#fromF32Bits}).
 */
class NarrowMatmulTest {
    @Test
    void randomShapesLikeTheColumnKernelsAndTheFmaSum() {
        SplittableRandom rng = new SplittableRandom(11);
        int[] ms = {64, 65, 100, 255, 256, 257, 511, 600};
        int[] ks = {1, 2, 3, 7, 255, 256, 257, 513};
        int nans = 0;
        for (int trial = 0; trial < 90; trial++) {
            int B = 1 + rng.nextInt(trial % 10 == 0 ? 3 : 1), M = ms[rng.nextInt(ms.length)], K = ks[rng.nextInt(ks.length)];
            int N = trial < 63 ? 1 + trial : 1 + rng.nextInt(63);
            nans += check(rng, B, M, K, N, trial % 5);
        }
        check(rng, 1, 2048, 512, 8, 0); // the router's logits
        check(rng, 1, 2048, 512, 8, 3);
        nans += check(rng, 1, 2048, 512, 8, 4);
        assertThat(nans).as("NaN elements in the products with payload NaNs").isGreaterThan(1000);
    }

    @Test
    void whichProductsItTakes() {
        // with the module (as in this test's JVM) up to 8 columns, where VectorMatmul's panels would be mostly padding
        int widest = DotKernels.VECTOR ? NarrowMatmul.VECTOR_MAX_N : ScalarMatmul.WIDE - 1;
        assertThat(NarrowMatmul.applies(2048, 512, 8)).isTrue();
        assertThat(NarrowMatmul.applies(2048, 512, widest)).isTrue();
        assertThat(NarrowMatmul.applies(2048, 512, widest + 1)).isFalse();
        assertThat(NarrowMatmul.applies(63, 512, 8)).isFalse();
        assertThat(NarrowMatmul.applies(64, 512, 8)).isTrue();
        assertThat(NarrowMatmul.applies(2048, 0, 8)).isFalse();
        assertThat(NarrowMatmul.applies(2048, 512, 0)).isFalse();
    }

    /** dot_general through the interpreter, f32 and bf16 results and a batch dimension, against the fma sum. */
    @Test
    void dotGeneralTakesItAndRoundsOnce() {
        SplittableRandom rng = new SplittableRandom(12);
        for (FloatType ft : new FloatType[] {FloatType.F32, FloatType.BF16, FloatType.F16}) {
            int B = 2, M = 130, K = 37, N = 5;
            String e = ft.toString(), lt = "tensor<" + B + "x" + M + "x" + K + "x" + e + ">", rt = "tensor<" + B + "x" + K + "x" + N + "x" + e + ">";
            String ot = "tensor<" + B + "x" + M + "x" + N + "x" + e + ">";
            String text = "func.func @main(%a: " + lt + ", %b: " + rt + ") -> " + ot + " {\n"
                    + "  %r = stablehlo.dot_general %a, %b, batching_dims = [0] x [0], contracting_dims = [2] x [1] : (" + lt + ", " + rt + ") -> " + ot + "\n"
                    + "  return %r : " + ot + "\n}\n";
            assertThat(NarrowMatmul.applies(M, K, N)).isTrue();
            double[] a = values(rng, B * M * K, 0), b = values(rng, B * K * N, 0);
            for (int i = 0; i < a.length; i++) a[i] = Elem.round(ft, a[i]);
            for (int i = 0; i < b.length; i++) b[i] = Elem.round(ft, b[i]);
            Tensor ta = Tensor.ofDoubles((TensorType) MlirParser.parseType(lt), a.clone()), tb = Tensor.ofDoubles((TensorType) MlirParser.parseType(rt), b.clone());
            Tensor got = (Tensor) new Interpreter(MlirParser.parseModule(text, "narrow.mlir")).run(List.of(ta, tb)).get(0);
            float[] want = fmaSum(a, b, B, M, K, N);
            for (int i = 0; i < want.length; i++) {
                assertThat(Double.doubleToRawLongBits(got.re[i])).as("%s element %d", ft, i).isEqualTo(Double.doubleToRawLongBits(Elem.round(ft, want[i])));
            }
        }
    }

    /**
     * One product: {@code special} 0 plain values, 1 mostly signed zeros and products that underflow
     * (sums of -0), 2 zeros and subnormals, 3 infinities and NaN as well, 4 NaNs with payloads too. Returns how many
     * elements of c are NaN when {@code special} is 4, else 0.
     */
    static int check(SplittableRandom rng, int B, int M, int K, int N, int special) {
        double[] a = values(rng, B * M * K, special), b = values(rng, B * K * N, special);
        float[] got = NarrowMatmul.multiply(a, b, B, M, K, N);
        float[] af = DotKernels.toFloats(a), bf = DotKernels.toFloats(b);
        float[] scalar = new float[B * M * N];
        ScalarMatmul.multiply(af, 0, bf, 0, scalar, 0, B, M, K, N);
        String what = B + "x" + M + "x" + K + "x" + N + " special " + special;
        assertSameOrBothNaN(got, scalar, "against ScalarMatmul: " + what);
        if (DotKernels.VECTOR && N >= 8) {
            float[] vector = new float[B * M * N];
            VectorMatmul.multiply(af, 0, bf, 0, vector, 0, B, M, K, N);
            assertSameOrBothNaN(got, vector, "against VectorMatmul: " + what);
        }
        assertSameOrBothNaN(got, fmaSum(a, b, B, M, K, N), "against the fma sum: " + what);
        int nans = 0;
        for (float x : got) if (x != x) nans++;
        return special == 4 ? nans : 0;
    }

    /** Every element of {@code want} that is not NaN, bit for bit; a NaN where {@code want} has one (any NaN). */
    static void assertSameOrBothNaN(float[] got, float[] want, String what) {
        assertThat(got).as(what).hasSameSizeAs(want);
        for (int i = 0; i < want.length; i++) {
            if (Float.isNaN(want[i])) assertThat(got[i]).as("%s element %d", what, i).isNaN();
            else assertThat(Float.floatToRawIntBits(got[i])).as("%s element %d", what, i).isEqualTo(Float.floatToRawIntBits(want[i]));
        }
    }

    /** Each element of c: one f32 fma per k, k ascending, from +0, A's value first. */
    static float[] fmaSum(double[] a, double[] b, int B, int M, int K, int N) {
        float[] c = new float[B * M * N];
        for (int bb = 0; bb < B; bb++) {
            for (int i = 0; i < M; i++) {
                for (int j = 0; j < N; j++) {
                    float s = 0f;
                    for (int k = 0; k < K; k++) s = Math.fma((float) a[(bb * M + i) * K + k], (float) b[(bb * K + k) * N + j], s);
                    c[(bb * M + i) * N + j] = s;
                }
            }
        }
        return c;
    }

    static double[] values(SplittableRandom rng, int n, int special) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            int r = rng.nextInt(100);
            float x = (float) rng.nextGaussian();
            if (special == 1 && r < 30) x = r < 15 ? -0.0f : 0.0f;
            else if (special == 1 && r < 90) x = (r % 2 == 0 ? -1e-30f : 1e-30f) * (1 + rng.nextInt(4)); // products underflow: -0 sums
            else if (special >= 2 && r < 4) x = r < 2 ? -0.0f : 0.0f;
            else if (special >= 2 && r < 11) x = Float.MIN_VALUE * (1 + rng.nextInt(1000)) * (r % 2 == 0 ? -1 : 1);
            else if (special >= 3 && r == 11) x = rng.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            else if (special >= 3 && r == 12 && rng.nextInt(8) == 0) x = Float.NaN;
            else if (special == 4 && r == 13 && rng.nextInt(4) == 0) {
                // an f32 NaN by its bits: either sign, quiet or signalling, a nonzero payload in the other 22 bits
                int bits = (rng.nextBoolean() ? 0x8000_0000 : 0) | 0x7F80_0000 | (rng.nextBoolean() ? 0x0040_0000 : 0) | (1 + rng.nextInt(0x003F_FFFF));
                v[i] = Floats.fromF32Bits(bits);
                continue;
            }
            v[i] = x;
        }
        return v;
    }
}
