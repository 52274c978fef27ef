package io.hlo4j.mlir.verify;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.parse.MlirParser;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Verifier gaps the pipeline fuzzer (compiler/.../fuzz) found, each from its minimized mutant: the module used to
 * verify and reach the interpreter, which refused it later. Each now stops at the verifier, naming the op, the rule
 * and the values; the unmutated form still verifies.
 */
class FuzzFoundVerifierTest {
    private static Module fn(String sig, String body) {
        return MlirParser.parseModule("func.func @main" + sig + " {\n" + body + "\n}\n", "mutant.mlir");
    }

    private static void refused(String sig, String body, String... says) {
        var a = assertThatThrownBy(() -> ModuleVerifier.verify(fn(sig, body))).isInstanceOf(VerificationException.class)
                .hasMessageStartingWith("'stablehlo.fft' op");
        for (String s : says) a.hasMessageContaining(s);
    }

    /** interpret/fft.mlir's RFFT and IRFFT, as upstream writes them: still valid. */
    @Test void theUnmutatedTransformsVerify() {
        assertThatCode(() -> ModuleVerifier.verify(fn("(%a: tensor<2x4xf64>) -> tensor<2x3xcomplex<f64>>",
                "  %r = stablehlo.fft %a, type = RFFT, length = [4] : (tensor<2x4xf64>) -> tensor<2x3xcomplex<f64>>\n  return %r : tensor<2x3xcomplex<f64>>")))
                .doesNotThrowAnyException();
        assertThatCode(() -> ModuleVerifier.verify(fn("(%a: tensor<2x3xcomplex<f64>>) -> tensor<2x4xf64>",
                "  %r = stablehlo.fft %a, type = IRFFT, length = [2, 4] : (tensor<2x3xcomplex<f64>>) -> tensor<2x4xf64>\n  return %r : tensor<2x4xf64>")))
                .doesNotThrowAnyException();
        assertThatCode(() -> ModuleVerifier.verify(fn("(%a: tensor<2x2x2xcomplex<f64>>) -> tensor<2x2x2xcomplex<f64>>",
                "  %r = stablehlo.fft %a, type = IFFT, length = [2, 2, 2] : (tensor<2x2x2xcomplex<f64>>) -> tensor<2x2x2xcomplex<f64>>\n  return %r : tensor<2x2x2xcomplex<f64>>")))
                .doesNotThrowAnyException();
    }

    /** Mutant 1987 (negdim of interpret/fft.mlir): the interpreter said "IFFT: dimension 0 ... must equal its fft_length -9". */
    @Test void aNegativeLengthIsRefused() {
        refused("(%a: tensor<2x2x2xcomplex<f64>>) -> tensor<2x2x2xcomplex<f64>>",
                "  %r = stablehlo.fft %a, type = IFFT, length = [-9, 2, 2] : (tensor<2x2x2xcomplex<f64>>) -> tensor<2x2x2xcomplex<f64>>\n  return %r : tensor<2x2x2xcomplex<f64>>",
                "(fft_length) fft_length entries must be non-negative, got [-9, 2, 2]");
    }

    /** Mutant 5317 (attr of interpret/fft.mlir): RFFT whose length is not the operand's last dimension. */
    @Test void anRfftLengthThatIsNotTheOperandsIsRefused() {
        refused("(%a: tensor<4x4xf64>) -> tensor<4x3xcomplex<f64>>",
                "  %r = stablehlo.fft %a, type = RFFT, length = [7] : (tensor<4x4xf64>) -> tensor<4x3xcomplex<f64>>\n  return %r : tensor<4x3xcomplex<f64>>",
                "(fft_c4) dimension 1 of the real operand tensor<4x4xf64> must be its fft_length 7");
    }

    @Test void anIrfftWhoseComplexSideIsNotHalfIsRefused() {
        refused("(%a: tensor<2x4xcomplex<f64>>) -> tensor<2x4xf64>",
                "  %r = stablehlo.fft %a, type = IRFFT, length = [4] : (tensor<2x4xcomplex<f64>>) -> tensor<2x4xf64>\n  return %r : tensor<2x4xf64>",
                "(fft_c5) the last dimension of the complex operand tensor<2x4xcomplex<f64>> must be fft_length/2+1 = 3");
    }

    @Test void aResultOfTheWrongElementTypeOrShapeIsRefused() {
        refused("(%a: tensor<4xf32>) -> tensor<3xf32>",
                "  %r = stablehlo.fft %a, type = RFFT, length = [4] : (tensor<4xf32>) -> tensor<3xf32>\n  return %r : tensor<3xf32>",
                "(fft_c2) RFFT of tensor<4xf32> gives complex<f32> elements, got result tensor<3xf32>");
        refused("(%a: tensor<2x3xcomplex<f32>>) -> tensor<3x3xcomplex<f32>>",
                "  %r = stablehlo.fft %a, type = FFT, length = [3] : (tensor<2x3xcomplex<f32>>) -> tensor<3x3xcomplex<f32>>\n  return %r : tensor<3x3xcomplex<f32>>",
                "(fft_c5) dimension 0 of the result tensor<3x3xcomplex<f32>> must be the operand's 2");
    }
}
