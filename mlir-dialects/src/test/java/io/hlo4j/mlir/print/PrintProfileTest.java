package io.hlo4j.mlir.print;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pre-properties profile prints what JAX exported before MLIR had op properties; the current profile prints
 * the same IR as today's stablehlo-opt. Both expected texts are written by hand from the two printers' rules.
 */
class PrintProfileTest {
    private static final String CURRENT = """
            module {
              func.func @main(%arg0: tensor<4x3xf32>, %arg1: tensor<3x2xf32>) -> tensor<2xf32> {
                %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
                %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
                %1 = stablehlo.slice %0 [0:2, 0:2] : (tensor<4x2xf32>) -> tensor<2x2xf32>
                %2 = stablehlo.reduce(%1 init: %cst) applies stablehlo.add across dimensions = [0] : (tensor<2x2xf32>, tensor<f32>) -> tensor<2xf32>
                return %2 : tensor<2xf32>
              }
            }
            """;

    private static final String PRE_PROPERTIES = """
            module {
              func.func @main(%arg0: tensor<4x3xf32>, %arg1: tensor<3x2xf32>) -> tensor<2xf32> {
                %0 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
                %1 = "stablehlo.dot_general"(%arg0, %arg1) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>} : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
                %2 = "stablehlo.slice"(%1) {limit_indices = array<i64: 2, 2>, start_indices = array<i64: 0, 0>, strides = array<i64: 1, 1>} : (tensor<4x2xf32>) -> tensor<2x2xf32>
                %3 = stablehlo.reduce(%2 init: %0) across dimensions = [0] : (tensor<2x2xf32>, tensor<f32>) -> tensor<2xf32>
                 reducer(%arg2: tensor<f32>, %arg3: tensor<f32>)  {
                  %4 = stablehlo.add %arg2, %arg3 : tensor<f32>
                  stablehlo.return %4 : tensor<f32>
                }
                return %3 : tensor<2xf32>
              }
            }
            """;

    @Test void bothProfilesPrintTheSameIrAndParseBackToIt() {
        Module m = MlirParser.parseModule(CURRENT, "current.mlir");
        assertThat(MlirPrinter.print(m)).isEqualTo(CURRENT);
        PrintOptions old = PrintOptions.DEFAULT.withProfile(PrintOptions.Profile.PRE_PROPERTIES);
        assertThat(MlirPrinter.print(m, old)).isEqualTo(PRE_PROPERTIES);
        Module back = MlirParser.parseModule(PRE_PROPERTIES, "old.mlir");
        assertThat(MlirPrinter.print(back)).isEqualTo(CURRENT);
        assertThat(MlirPrinter.print(back, old)).isEqualTo(PRE_PROPERTIES);
    }

    /** The generic form does not depend on the profile's pretty-form choices, only on where inherent attributes go. */
    @Test void genericPreProperties_putsInherentAttributesInTheDictionary() {
        Module m = MlirParser.parseModule(CURRENT, "current.mlir");
        String generic = MlirPrinter.print(m, PrintOptions.GENERIC);
        String oldGeneric = MlirPrinter.print(m, PrintOptions.GENERIC.withProfile(PrintOptions.Profile.PRE_PROPERTIES));
        assertThat(generic).contains("\"stablehlo.slice\"(%1) <{limit_indices");
        assertThat(oldGeneric).contains("\"stablehlo.slice\"(%1) {limit_indices").doesNotContain("<{");
        assertThat(MlirPrinter.print(MlirParser.parseModule(oldGeneric, "g.mlir"), PrintOptions.GENERIC)).isEqualTo(generic);
    }
}
