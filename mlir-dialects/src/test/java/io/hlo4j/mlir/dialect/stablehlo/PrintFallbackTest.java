package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Ops missing what their pretty form spells print in generic form rather than failing inside the printer. */
class PrintFallbackTest {
    private static final TensorType T = TensorType.of(FloatType.F32, 2);

    private static String print(Operation op) { return MlirPrinter.print(op, PrintOptions.DEFAULT).strip(); }

    @Test
    void missingOrMistypedAttributesFallBackToGeneric() {
        var x = Block.builder().addArgument(T);
        Operation noDims = Operation.builder("stablehlo.broadcast_in_dim").operands(x).resultType(T).build();
        assertThat(print(noDims)).startsWith("%0 = \"stablehlo.broadcast_in_dim\"(");
        Operation badCompare = Operation.builder("stablehlo.compare").operands(x, x).resultType(T)
                .property("comparison_direction", new StringAttr("LT")).build();
        assertThat(print(badCompare)).startsWith("%0 = \"stablehlo.compare\"(").contains("comparison_direction = \"LT\"");
        Operation badPrecision = Operation.builder("stablehlo.dot_general").operands(x, x).resultType(TensorType.scalar(FloatType.F32))
                .property("dot_dimension_numbers", new DotDimensionNumbers(Dims.EMPTY, Dims.EMPTY, Dims.of(0), Dims.of(0)))
                .property("precision_config", ArrayAttr.of(IntegerAttr.i64(1))).build();
        assertThat(print(badPrecision)).startsWith("%0 = \"stablehlo.dot_general\"(");
        Operation oneOperandAdd = Operation.builder("stablehlo.add").operands(x).resultType(T).build();
        assertThat(print(oneOperandAdd)).startsWith("%0 = \"stablehlo.add\"(");
    }

    @Test
    void wellFormedOpsPrintPretty() {
        var x = Block.builder().addArgument(T);
        Operation dot = Operation.builder("stablehlo.dot_general").operands(x, x).resultType(TensorType.scalar(FloatType.F32))
                .property("dot_dimension_numbers", new DotDimensionNumbers(Dims.EMPTY, Dims.EMPTY, Dims.of(0), Dims.of(0)))
                .property("precision_config", ArrayAttr.of(io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr.precision("HIGHEST"),
                        io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr.precision("DEFAULT"))).build();
        assertThat(print(dot)).isEqualTo("%0 = stablehlo.dot_general <<UNKNOWN SSA VALUE>>, <<UNKNOWN SSA VALUE>>, "
                + "contracting_dims = [0] x [0], precision = [HIGHEST, DEFAULT] : (tensor<2xf32>, tensor<2xf32>) -> tensor<f32>");
    }
}
