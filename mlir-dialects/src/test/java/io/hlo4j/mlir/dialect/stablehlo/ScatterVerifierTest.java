package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import static io.hlo4j.mlir.dialect.stablehlo.RegionTestIr.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * scatter's batching-dims constraints (C9, C12-C18) and C6, one valid and one refused case each, on the spec's
 * batched example: input 2x3x4x2, indices 2x2x3x2 (index vectors along dim 3), input dim 0 batched with indices
 * dim 1, updates 2x2x3x2x2.
 */
class ScatterVerifierTest {
    static final TensorType INPUT = t(I64, 2, 3, 4, 2), INDICES = t(I64, 2, 2, 3, 2), UPDATES = t(I64, 2, 2, 3, 2, 2);
    static final String SHAPES = "; input tensor<2x3x4x2xi64>, scatter_indices tensor<2x2x3x2xi64>, update tensor<2x2x3x2x2xi64>";

    static long[] l(long... v) { return v; }

    static ScatterDimensionNumbers dn(long[] window, long[] inserted, long[] ib, long[] sb, long[] toOperand, long ivd) {
        return new ScatterDimensionNumbers(Dims.of(window), Dims.of(inserted), Dims.of(ib), Dims.of(sb), Dims.of(toOperand), ivd);
    }

    static final ScatterDimensionNumbers GOOD = dn(l(3, 4), l(1), l(0), l(1), l(2, 1), 3);

    static Operation scatter(ScatterDimensionNumbers dn, TensorType updates) {
        return Operation.builder("stablehlo.scatter").operands(value(INPUT), value(INDICES), value(updates))
                .property("scatter_dimension_numbers", dn).region(binary("stablehlo.add", s(I64))).resultType(INPUT).build();
    }

    static Operation scatter(ScatterDimensionNumbers dn) { return scatter(dn, UPDATES); }

    @Test
    void theSpecExampleVerifiesAndInfersItsResult() {
        Operation ok = scatter(GOOD);
        verifies(ok);
        assertThat(infer(ok)).containsExactly(INPUT);
        // A dynamic size on either side of a batching pair is not refused.
        verifies(Operation.builder("stablehlo.scatter").operands(value(INPUT), value(t(I64, 2, TensorType.DYNAMIC, 3, 2)),
                        value(t(I64, 2, TensorType.DYNAMIC, 3, 2, 2))).property("scatter_dimension_numbers", GOOD)
                .region(binary("stablehlo.add", s(I64))).resultType(INPUT).build());
    }

    @Test
    void updatesHaveTheInputsElementType() {
        rejects(scatter(GOOD, t(FloatType.F32, 2, 2, 3, 2, 2)), "scatter_c6",
                "update #0 tensor<2x2x3x2x2xf32> must have the element type of input #0 tensor<2x3x4x2xi64>");
    }

    @Test
    void insertedAndInputBatchingDims() {
        rejects(scatter(dn(l(3, 4), l(0), l(0), l(1), l(2, 1), 3)), "scatter_c9",
                "has duplicated dimension from inserted_window_dims and input_batching_dims: 0" + SHAPES);
        rejects(scatter(dn(l(3), l(1), l(3, 0), l(1, 2), l(2, 1), 3), t(I64, 2, 2, 3, 2)), "scatter_c12",
                "Expects input_batching_dims to be sorted; got: [3, 0].; input tensor<2x3x4x2xi64>");
        rejects(scatter(dn(l(3, 4), l(1), l(4), l(1), l(2, 1), 3)), "scatter_c13",
                "Expects each element of input_batching_dims to be in range [0, rank-of('operand')) i.e. [0, 4). got: 4." + SHAPES);
    }

    @Test
    void scatterIndicesBatchingDims() {
        rejects(scatter(dn(l(3), l(1), l(0, 3), l(1, 1), l(2, 1), 3), t(I64, 2, 2, 3, 2)), "scatter_c14",
                "Expects scatter_indices_batching_dims to not repeat; got: [1, 1].; input tensor<2x3x4x2xi64>");
        rejects(scatter(dn(l(3, 4), l(1), l(0), l(4), l(2, 1), 3)), "scatter_c15",
                "Expects each element of scatter_indices_batching_dims to be in range [0, rank-of('scatter_indices')) i.e. [0, 4). got: 4."
                        + SHAPES);
        rejects(scatter(dn(l(3, 4), l(1), l(0), l(3), l(2, 1), 3)), "scatter_c16",
                "expects scatter_indices_batching_dims not to include index_vector_dim 3." + SHAPES);
        rejects(scatter(dn(l(3, 4), l(1), l(0), l(), l(2, 1), 3)), "scatter_c17",
                "input_batching_dims and scatter_indices_batching_dims should have the same size." + SHAPES);
        rejects(scatter(dn(l(3, 4), l(1), l(0), l(2), l(2, 1), 3)), "scatter_c18",
                "input_batching_dims[0] and scatter_indices_batching_dims[0] must have compatible sizes, but got 2 and 3." + SHAPES);
    }

    @Test
    void scatterDimsToOperandDims() {
        rejects(scatter(dn(l(3, 4), l(1), l(0), l(1), l(2, 0), 3)), "scatter_c20",
                "has duplicated dimension from scatter_dims_to_operand_dims and input_batching_dims: 0" + SHAPES);
        rejects(scatter(dn(l(3, 4), l(1), l(0), l(1), l(2), 3)), "scatter_c19",
                "Scatter op has 1 elements in scatter_dims_to_operand_dims and the bound of dimension index_vector_dim=3 of"
                        + " scatter_indices is 2. These two numbers must be equal." + SHAPES);
    }
}
