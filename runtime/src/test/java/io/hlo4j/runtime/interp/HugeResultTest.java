package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Found by compiler/.../fuzz/TokenFuzzTest (a huge type in interpret/check.mlir): a constant declared as
 * {@code tensor<65536x65536xf32>} (2^32 elements) parses and verifies; the interpreter then overflowed an int sizing it
 * (an ArithmeticException inside Tensor.zeros). The interpreter itself, not only the CLI's pre-run check, now refuses a
 * result past its per-tensor limit by op and line before anything in the block runs.
 */
class HugeResultTest {
    private static void refused(String text, String says) {
        Module m = MlirParser.parseModule(text, "huge.mlir");
        Interpreter interp = new Interpreter(m);
        assertThatThrownBy(() -> interp.call(m.entryFunction(), List.of(), Process.single()))
                .isInstanceOfSatisfying(InterpreterException.class, e -> {
                    assertThat(e.format()).isEqualTo(says);
                    assertThat(e.getCause()).isNull();
                });
    }

    @Test void aConstantOfTwoToTheThirtyTwoElementsIsRefusedByName() {
        refused("""
                func.func @main() {
                  %operand = stablehlo.constant dense<5.0000> : tensor<65536x65536xf32>
                  func.return
                }
                """, "huge.mlir:2:3: stablehlo.constant: result #0 tensor<65536x65536xf32> has 4294967296 elements; "
                + "the interpreter holds at most 1073741807 per tensor");
    }

    @Test void aBroadcastToTwoToTheSixtyTwoElementsIsRefusedByName() {
        refused("""
                func.func @main() -> tensor<2147483648x2147483648xf32> {
                  %c = stablehlo.constant dense<1.0> : tensor<f32>
                  %b = stablehlo.broadcast_in_dim %c, dims = [] : (tensor<f32>) -> tensor<2147483648x2147483648xf32>
                  return %b : tensor<2147483648x2147483648xf32>
                }
                """, "huge.mlir:3:3: stablehlo.broadcast_in_dim: result #0 tensor<2147483648x2147483648xf32> has 4611686018427387904 "
                + "elements; the interpreter holds at most 1073741807 per tensor");
    }

    /** Inside a region: refused when the region runs, before its first op; the ops before the region ran as usual. */
    @Test void aHugeResultInsideARegionIsRefusedWhenTheRegionRuns() {
        refused("""
                func.func @main() -> tensor<f32> {
                  %p = stablehlo.constant dense<true> : tensor<i1>
                  %r = "stablehlo.if"(%p) ({
                    %big = stablehlo.constant dense<0.0> : tensor<2147483648xf32>
                    %z = stablehlo.constant dense<0.0> : tensor<f32>
                    stablehlo.return %z : tensor<f32>
                  }, {
                    %z = stablehlo.constant dense<1.0> : tensor<f32>
                    stablehlo.return %z : tensor<f32>
                  }) : (tensor<i1>) -> tensor<f32>
                  return %r : tensor<f32>
                }
                """, "huge.mlir:4:5: stablehlo.constant: result #0 tensor<2147483648xf32> has 2147483648 elements; "
                + "the interpreter holds at most 1073741807 per tensor");
    }

    /**
     * The one size rule the interpreter and the CLI's pre-run check share: a count that overflows a long (TensorType
     * throws ArithmeticException from multiplyExact) is over the limit, said as such, not an ArithmeticException.
     */
    @Test void theSizeRuleCallsACountPastALongOverTheLimit() {
        var f32 = io.hlo4j.mlir.types.FloatType.F32;
        assertThat(TensorLimit.tooLarge(io.hlo4j.mlir.types.TensorType.of(f32, 4294967296L, 4294967296L)))
                .isEqualTo("tensor<4294967296x4294967296xf32> has more than 9223372036854775807 elements; the interpreter holds at most 1073741807 per tensor");
        assertThat(TensorLimit.tooLarge(io.hlo4j.mlir.types.TensorType.of(f32, 65536, 65536)))
                .isEqualTo("tensor<65536x65536xf32> has 4294967296 elements; the interpreter holds at most 1073741807 per tensor");
        assertThat(TensorLimit.tooLarge(io.hlo4j.mlir.types.TensorType.of(f32, 1073741807))).isNull();
        assertThat(TensorLimit.tooLarge(io.hlo4j.mlir.types.TensorType.of(f32, 1073741808))).isNotNull();
        assertThat(TensorLimit.tooLarge(io.hlo4j.mlir.types.FloatType.F32)).isNull();
    }
}
