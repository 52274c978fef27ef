package io.hlo4j.mlir.verify;

import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.parse.MlirParser;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Found by the structure fuzz (compiler/.../fuzz/StructureFuzzTest, a mutant of interpret/fft.mlir in the generic form with
 * {@code fft_type = #stablehlo<transpose NO_TRANSPOSE>}): the verifier checked that an enum attribute was an enum, not
 * which one, so the module verified and its pretty form ({@code type = NO_TRANSPOSE}) did not parse again. Each op's
 * enum attributes must now be of their own kind, named by the verifier at the op's line.
 */
class EnumAttrKindTest {
    private static void refused(String op, String says) {
        String text = "func.func @main(%a: tensor<2xcomplex<f64>>, %x: tensor<2xf32>, %m: tensor<2x2xf32>) {\n  " + op + "\n  func.return\n}\n";
        assertThatThrownBy(() -> ModuleVerifier.verify(MlirParser.parseModule(text, "enum.mlir")))
                .isInstanceOfSatisfying(VerificationException.class, e -> assertThat(e.format()).startsWith("enum.mlir:2:3: ").contains(says));
    }

    @Test void anFftTypeThatIsATransposeIsRefused() {
        refused("%1 = \"stablehlo.fft\"(%a) <{fft_length = array<i64: 2>, fft_type = #stablehlo<transpose NO_TRANSPOSE>}> : (tensor<2xcomplex<f64>>) -> tensor<2xcomplex<f64>>",
                "attribute 'fft_type' must be a #stablehlo<fft_type ...> (one of [FFT, IFFT, RFFT, IRFFT]), got #stablehlo<transpose NO_TRANSPOSE>");
    }

    @Test void aComparisonDirectionOrTypeOfAnotherKindIsRefused() {
        refused("%1 = \"stablehlo.compare\"(%x, %x) <{comparison_direction = #stablehlo<precision HIGH>}> : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>",
                "attribute 'comparison_direction' must be a #stablehlo<comparison_direction ...> (one of [EQ, NE, GE, GT, LE, LT]), got #stablehlo<precision HIGH>");
        refused("%1 = \"stablehlo.compare\"(%x, %x) <{comparison_direction = #stablehlo<comparison_direction LT>, compare_type = #stablehlo<fft_type FFT>}> : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>",
                "attribute 'compare_type' must be a #stablehlo<comparison_type ...>");
    }

    @Test void aTransposeAThatIsAComparisonDirectionIsRefused() {
        refused("%1 = \"stablehlo.triangular_solve\"(%m, %m) <{left_side = true, lower = true, unit_diagonal = false, transpose_a = #stablehlo<comparison_direction EQ>}> : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>",
                "attribute 'transpose_a' must be a #stablehlo<transpose ...>");
    }

    /** The same ops with their own enums verify. */
    @Test void eachOpsOwnEnumsVerify() {
        ModuleVerifier.verify(MlirParser.parseModule("""
                func.func @main(%a: tensor<2xcomplex<f64>>, %x: tensor<2xf32>, %m: tensor<2x2xf32>) {
                  %1 = "stablehlo.fft"(%a) <{fft_length = array<i64: 2>, fft_type = #stablehlo<fft_type FFT>}> : (tensor<2xcomplex<f64>>) -> tensor<2xcomplex<f64>>
                  %2 = "stablehlo.compare"(%x, %x) <{comparison_direction = #stablehlo<comparison_direction LT>, compare_type = #stablehlo<comparison_type FLOAT>}> : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
                  %3 = "stablehlo.triangular_solve"(%m, %m) <{left_side = true, lower = true, unit_diagonal = false, transpose_a = #stablehlo<transpose NO_TRANSPOSE>}> : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
                  func.return
                }
                """, "enum.mlir"));
    }
}
