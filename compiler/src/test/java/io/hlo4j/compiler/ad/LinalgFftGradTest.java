package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/**
 * triangular_solve, cholesky and fft: gradients against central finite differences (f64, fixed seeds, rel. error
 * <= 1e-6). Complex values enter and leave through real arguments and results (complex/real/imag), so the check
 * also covers the pairing convention.
 */
class LinalgFftGradTest {
    /** A batch of 2 well-conditioned 3x3 matrices (random entries plus 3 on the diagonal). */
    private static HostArray wellConditioned(Random r) {
        double[] v = new double[18];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble() * 2 - 1;
        for (int k = 0; k < 2; k++) for (int i = 0; i < 3; i++) v[k * 9 + i * 3 + i] += 3;
        return HostArray.fromDoubles(f64(2, 3, 3), v);
    }

    @ParameterizedTest(name = "left={0} lower={1} unit={2} {3}")
    @CsvSource({
            "true, true, false, NO_TRANSPOSE", "true, false, false, TRANSPOSE", "true, true, true, ADJOINT",
            "false, true, false, TRANSPOSE", "false, false, true, NO_TRANSPOSE", "false, false, false, ADJOINT",
    })
    void triangularSolve(boolean left, boolean lower, boolean unit, String transpose) {
        String bShape = left ? "2x3x4" : "2x4x3";
        String f = """
                func.func @f(%a: tensor<2x3x3xf64>, %b: tensor<BS>) -> tensor<BS> {
                  %0 = "stablehlo.triangular_solve"(%a, %b) {left_side = LEFT, lower = LOWER, unit_diagonal = UNIT, transpose_a = #stablehlo<transpose TR>} : (tensor<2x3x3xf64>, tensor<BS>) -> tensor<BS>
                  %1 = stablehlo.sine %0 : tensor<BS>
                  return %1 : tensor<BS>
                }""".replace("BS", bShape + "xf64").replace("LEFT", "" + left).replace("LOWER", "" + lower)
                .replace("UNIT", "" + unit).replace("TR", transpose);
        Random r = new Random(f.hashCode());
        HostArray a = wellConditioned(r);
        HostArray b = left ? uniform(f64(2, 3, 4), r, -1, 1) : uniform(f64(2, 4, 3), r, -1, 1);
        GradCheck.check(f, List.of(a, b), 3);
    }

    @ParameterizedTest(name = "lower={0}")
    @CsvSource({"true, tril", "false, triu"})
    void cholesky(boolean lower, String tri) {
        // The result's other triangle is implementation-defined: the function masks it, as jnp.linalg.cholesky does.
        String dir = lower ? "GE" : "LE";
        String f = """
                func.func @f(%a: tensor<2x3x3xf64>) -> tensor<2x3x3xf64> {
                  %0 = stablehlo.cholesky %a, lower = LOWER : tensor<2x3x3xf64>
                  %r = stablehlo.iota dim = 1 : tensor<2x3x3xi64>
                  %c = stablehlo.iota dim = 2 : tensor<2x3x3xi64>
                  %m = stablehlo.compare DIR, %r, %c : (tensor<2x3x3xi64>, tensor<2x3x3xi64>) -> tensor<2x3x3xi1>
                  %z = stablehlo.constant dense<0.0> : tensor<2x3x3xf64>
                  %t = stablehlo.select %m, %0, %z : tensor<2x3x3xi1>, tensor<2x3x3xf64>
                  %1 = stablehlo.multiply %t, %t : tensor<2x3x3xf64>
                  return %1 : tensor<2x3x3xf64>
                }""".replace("LOWER", "" + lower).replace("DIR", dir);
        // A = M M^T + 3 I (positive definite), the unread triangle filled with unrelated values.
        Random r = new Random(17 + tri.hashCode());
        double[] v = new double[18];
        for (int k = 0; k < 2; k++) {
            double[] m = new double[9];
            for (int i = 0; i < 9; i++) m[i] = r.nextDouble() * 2 - 1;
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) {
                double s = i == j ? 3 : 0;
                for (int q = 0; q < 3; q++) s += m[i * 3 + q] * m[j * 3 + q];
                boolean read = lower ? i >= j : i <= j;
                v[k * 9 + i * 3 + j] = read ? s : r.nextDouble();
            }
        }
        GradCheck.check(f, List.of(HostArray.fromDoubles(f64(2, 3, 3), v)), 5);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"FFT, 8", "IFFT, 8", "FFT, 5"})
    void complexFft(String type, int n) {
        String f = """
                func.func @f(%re: tensor<2xNNxf64>, %im: tensor<2xNNxf64>) -> (tensor<2xNNxf64>, tensor<2xNNxf64>) {
                  %z = stablehlo.complex %re, %im : tensor<2xNNxcomplex<f64>>
                  %0 = stablehlo.fft %z, type = TYPE, length = [NN] : (tensor<2xNNxcomplex<f64>>) -> tensor<2xNNxcomplex<f64>>
                  %r = stablehlo.real %0 : (tensor<2xNNxcomplex<f64>>) -> tensor<2xNNxf64>
                  %i = stablehlo.imag %0 : (tensor<2xNNxcomplex<f64>>) -> tensor<2xNNxf64>
                  %s = stablehlo.multiply %r, %i : tensor<2xNNxf64>
                  return %s, %r : tensor<2xNNxf64>, tensor<2xNNxf64>
                }""".replace("NN", "" + n).replace("TYPE", type);
        Random r = new Random(type.hashCode() + n);
        GradCheck.check(f, List.of(uniform(f64(2, n), r, -1, 1), uniform(f64(2, n), r, -1, 1)), 7);
    }

    @ParameterizedTest(name = "n={0}")
    @CsvSource({"8", "7"})
    void rfft(int n) {
        int m = n / 2 + 1;
        String f = """
                func.func @f(%x: tensor<3xNNxf64>) -> (tensor<3xMMxf64>, tensor<3xMMxf64>) {
                  %0 = stablehlo.fft %x, type = RFFT, length = [NN] : (tensor<3xNNxf64>) -> tensor<3xMMxcomplex<f64>>
                  %r = stablehlo.real %0 : (tensor<3xMMxcomplex<f64>>) -> tensor<3xMMxf64>
                  %i = stablehlo.imag %0 : (tensor<3xMMxcomplex<f64>>) -> tensor<3xMMxf64>
                  %s = stablehlo.multiply %r, %i : tensor<3xMMxf64>
                  return %s, %i : tensor<3xMMxf64>, tensor<3xMMxf64>
                }""".replace("NN", "" + n).replace("MM", "" + m);
        Random r = new Random(100 + n);
        GradCheck.check(f, List.of(uniform(f64(3, n), r, -1, 1)), 8);
    }

    /** IRFFT ignores the imaginary parts of the DC and (n even) Nyquist bins: their gradient is zero. */
    @ParameterizedTest(name = "n={0}")
    @CsvSource({"8", "7"})
    void irfft(int n) {
        int m = n / 2 + 1;
        String f = """
                func.func @f(%re: tensor<3xMMxf64>, %im: tensor<3xMMxf64>) -> tensor<3xNNxf64> {
                  %z = stablehlo.complex %re, %im : tensor<3xMMxcomplex<f64>>
                  %0 = stablehlo.fft %z, type = IRFFT, length = [NN] : (tensor<3xMMxcomplex<f64>>) -> tensor<3xNNxf64>
                  %s = stablehlo.multiply %0, %0 : tensor<3xNNxf64>
                  return %s : tensor<3xNNxf64>
                }""".replace("NN", "" + n).replace("MM", "" + m);
        Random r = new Random(200 + n);
        GradCheck.check(f, List.of(uniform(f64(3, m), r, -1, 1), uniform(f64(3, m), r, -1, 1)), 9);
    }

    /** Two-dimensional RFFT and IRFFT: complex FFT on the leading fft axis, the real transform on the last. */
    @Test
    void twoDimensionalRealTransforms() {
        String f = """
                func.func @f(%x: tensor<2x4x6xf64>) -> tensor<2x4x6xf64> {
                  %0 = stablehlo.fft %x, type = RFFT, length = [4, 6] : (tensor<2x4x6xf64>) -> tensor<2x4x4xcomplex<f64>>
                  %1 = stablehlo.multiply %0, %0 : tensor<2x4x4xcomplex<f64>>
                  %2 = stablehlo.fft %1, type = IRFFT, length = [4, 6] : (tensor<2x4x4xcomplex<f64>>) -> tensor<2x4x6xf64>
                  return %2 : tensor<2x4x6xf64>
                }""";
        Random r = new Random(300);
        GradCheck.check(f, List.of(uniform(f64(2, 4, 6), r, -1, 1)), 10);
    }
}
