package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** dynamic_conv's result shape is checked with its constant padding operand, not as if unpadded. */
class DynamicConvPaddingTest {
    private static Module conv(String resultShape) {
        // 1-D: lhs [1, 8, 2] (b, 0, f), kernel [3, 2, 4] (0, i, o), padding (2, 1): 8 + 3 - 3 + 1 = 9 outputs.
        String text = """
                func.func @f(%x: tensor<1x8x2xf32>, %k: tensor<3x2x4xf32>) -> tensor<RESULT> {
                  %p = stablehlo.constant dense<[[2, 1]]> : tensor<1x2xi64>
                  %0 = "stablehlo.dynamic_conv"(%x, %k, %p) <{batch_group_count = 1 : i64, dimension_numbers = #stablehlo.conv<[b, 0, f]x[0, i, o]->[b, 0, f]>, feature_group_count = 1 : i64, window_strides = array<i64: 1>}> : (tensor<1x8x2xf32>, tensor<3x2x4xf32>, tensor<1x2xi64>) -> tensor<RESULT>
                  return %0 : tensor<RESULT>
                }
                """.replace("RESULT", resultShape);
        return MlirParser.parseModule(text, "conv.mlir");
    }

    @Test
    void paddedResultShapeIsAccepted() {
        assertThatCode(() -> ModuleVerifier.verify(conv("1x9x4xf32"))).doesNotThrowAnyException();
    }

    @Test
    void unpaddedResultShapeIsRejected() {
        assertThatThrownBy(() -> ModuleVerifier.verify(conv("1x6x4xf32")))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("stablehlo.dynamic_conv")
                .hasMessageContaining("1x9x4");
    }
}
