package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import static io.hlo4j.mlir.dialect.stablehlo.RegionTestIr.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * gather's constraints C1-C23, one valid and one refused case each, on the spec's batched example: operand
 * 2x3x4x2, indices 2x2x3x2 with index vectors along dim 3, operand dim 0 batched with indices dim 1, result 2x2x3x2x2.
 */
class GatherVerifierTest {
    static final TensorType OPERAND = t(I64, 2, 3, 4, 2), INDICES = t(I64, 2, 2, 3, 2), RESULT = t(I64, 2, 2, 3, 2, 2);
    static final String SHAPES = "; operand tensor<2x3x4x2xi64>, start_indices tensor<2x2x3x2xi64>";

    /** The spec example's dims with the named field replaced. */
    static GatherDimensionNumbers dn(long[] offsets, long[] collapsed, long[] ob, long[] ib, long[] map, long ivd) {
        return new GatherDimensionNumbers(Dims.of(offsets), Dims.of(collapsed), Dims.of(ob), Dims.of(ib), Dims.of(map), ivd);
    }

    static final GatherDimensionNumbers GOOD = dn(l(3, 4), l(1), l(0), l(1), l(2, 1), 3);

    static long[] l(long... v) { return v; }

    static Operation gather(TensorType operand, TensorType indices, GatherDimensionNumbers dn, long[] sizes, TensorType result) {
        return Operation.builder("stablehlo.gather").operands(value(operand), value(indices)).property("dimension_numbers", dn)
                .property("slice_sizes", DenseArrayAttr.ofI64(sizes)).resultType(result).build();
    }

    static Operation gather(GatherDimensionNumbers dn, long... sizes) { return gather(OPERAND, INDICES, dn, sizes, RESULT); }

    /** Refused by the verifier and, for the rules that need no result type, by the type inference with the same text. */
    static void refused(Operation op, String rule, String text) {
        rejects(op, rule, text);
        if (rule.equals("gather_c22") || rule.equals("gather_c23")) return;
        assertThatThrownBy(() -> infer(op)).isInstanceOf(VerificationException.class)
                .hasMessageContaining("'stablehlo.gather' op (" + rule + ") " + text);
    }

    @Test
    void theSpecExampleVerifiesAndInfersItsResult() {
        Operation ok = gather(GOOD, 1, 1, 2, 2);
        verifies(ok);
        assertThat(infer(ok)).containsExactly(RESULT);
        // No batching, implicit index vector (index_vector_dim = rank): rows of a 5x4 matrix.
        Operation rows = gather(t(F32, 5, 4), t(I32, 3), dn(l(1), l(0), l(), l(), l(0), 1), l(1, 4), t(F32, 3, 4));
        verifies(rows);
        assertThat(infer(rows)).containsExactly(t(F32, 3, 4));
    }

    @Test
    void indexVectorDimAndIndexTypes() {
        refused(gather(OPERAND, t(F32, 2, 2, 3, 2), GOOD, l(1, 1, 2, 2), RESULT), "gather_i2",
                "start_indices must have integer elements; operand tensor<2x3x4x2xi64>, start_indices tensor<2x2x3x2xf32>");
        refused(gather(dn(l(3, 4), l(1), l(0), l(1), l(2, 1), 5), 1, 1, 2, 2), "gather_c2",
                "index_vector_dim 5 is out of range [0, 4] of start_indices" + SHAPES);
        refused(gather(dn(l(3, 4), l(1), l(0), l(1), l(2), 3), 1, 1, 2, 2), "gather_c3",
                "start_index_map [2] has 1 entries but the index vectors (dim 3 of start_indices) have size 2" + SHAPES);
    }

    @Test
    void offsetDims() {
        refused(gather(dn(l(3), l(1), l(0), l(1), l(2, 1), 3), 1, 1, 2, 2), "gather_c1",
                "offset_dims [3], collapsed_slice_dims [1] and operand_batching_dims [0] must have 4 entries in all (the operand's rank), got 3");
        refused(gather(dn(l(4, 3), l(1), l(0), l(1), l(2, 1), 3), 1, 1, 2, 2), "gather_c4", "offset_dims [4, 3] must be sorted and unique");
        refused(gather(dn(l(3, 5), l(1), l(0), l(1), l(2, 1), 3), 1, 1, 2, 2), "gather_c5",
                "offset_dims [3, 5]: entry 5 is out of range [0, 5) of the result's rank");
    }

    @Test
    void collapsedSliceDims() {
        refused(gather(dn(l(3, 4), l(0), l(0), l(1), l(2, 1), 3), 1, 1, 2, 2), "gather_c6",
                "collapsed_slice_dims [0] and operand_batching_dims [0] repeat dim 0");
        refused(gather(dn(l(3), l(2, 1), l(0), l(1), l(2, 1), 3), 1, 1, 1, 2), "gather_c7", "collapsed_slice_dims [2, 1] must be sorted");
        refused(gather(dn(l(3, 4), l(4), l(0), l(1), l(2, 1), 3), 1, 1, 2, 2), "gather_c8",
                "collapsed_slice_dims [4]: entry 4 is out of range [0, 4) of the operand's rank");
        refused(gather(GOOD, 1, 2, 2, 2), "gather_c9", "slice_sizes[1] = 2 must be 0 or 1: dim 1 is in collapsed_slice_dims");
    }

    @Test
    void operandBatchingDims() {
        refused(gather(dn(l(4), l(1), l(3, 0), l(1, 2), l(2, 1), 3), 1, 1, 2, 1), "gather_c10", "operand_batching_dims [3, 0] must be sorted");
        refused(gather(dn(l(3, 4), l(1), l(4), l(1), l(2, 1), 3), 1, 1, 2, 2), "gather_c11",
                "operand_batching_dims [4]: entry 4 is out of range [0, 4) of the operand's rank");
        refused(gather(GOOD, 2, 1, 2, 2), "gather_c12", "slice_sizes[0] = 2 must be 0 or 1: dim 0 is in operand_batching_dims");
    }

    @Test
    void startIndicesBatchingDims() {
        refused(gather(dn(l(4), l(1), l(0, 3), l(1, 1), l(2, 1), 3), 1, 1, 2, 1), "gather_c13",
                "start_indices_batching_dims [1, 1] repeats dim 1");
        refused(gather(dn(l(3, 4), l(1), l(0), l(4), l(2, 1), 3), 1, 1, 2, 2), "gather_c14",
                "start_indices_batching_dims [4]: entry 4 is out of range [0, 4) of start_indices' rank");
        refused(gather(dn(l(3, 4), l(1), l(0), l(3), l(2, 1), 3), 1, 1, 2, 2), "gather_c15",
                "start_indices_batching_dims [3] contains index_vector_dim 3");
        refused(gather(dn(l(3, 4), l(1), l(0), l(), l(2, 1), 3), 1, 1, 2, 2), "gather_c16",
                "operand_batching_dims [0] and start_indices_batching_dims [] must have the same size");
        refused(gather(dn(l(3, 4), l(1), l(0), l(2), l(2, 1), 3), 1, 1, 2, 2), "gather_c17",
                "operand_batching_dims[0] = dim 0 of the operand (size 2) and start_indices_batching_dims[0] = dim 2 of start_indices (size 3)"
                        + " must have the same size" + SHAPES);
        // A dynamic size on either side is not refused.
        verifies(gather(OPERAND, t(I64, 2, TensorType.DYNAMIC, 3, 2), GOOD, l(1, 1, 2, 2), t(I64, 2, TensorType.DYNAMIC, 3, 2, 2)));
    }

    @Test
    void startIndexMap() {
        refused(gather(dn(l(3, 4), l(1), l(0), l(1), l(2, 0), 3), 1, 1, 2, 2), "gather_c18",
                "start_index_map [2, 0] and operand_batching_dims [0] repeat dim 0");
        refused(gather(dn(l(3, 4), l(1), l(0), l(1), l(2, 4), 3), 1, 1, 2, 2), "gather_c19",
                "start_index_map [2, 4]: entry 4 is out of range [0, 4) of the operand's rank");
    }

    @Test
    void sliceSizes() {
        refused(gather(GOOD, 1, 1, 2), "gather_c20", "slice_sizes has 3 entries for an operand of rank 4");
        refused(gather(GOOD, 1, 1, 5, 2), "gather_c21", "slice_sizes[2] = 5 is out of range [0, 4] of operand dim 2" + SHAPES
                + ", slice_sizes [1, 1, 5, 2]");
        refused(gather(GOOD, 1, 1, -1, 2), "gather_c21", "slice_sizes[2] = -1 is out of range [0, 4]");
    }

    @Test
    void resultType() {
        rejects(gather(OPERAND, INDICES, GOOD, l(1, 1, 2, 2), t(I64, 2, 2, 3, 2, 3)), "gather_c22",
                "result tensor<2x2x3x2x3xi64> must have shape [2, 2, 3, 2, 2]");
        rejects(gather(OPERAND, INDICES, GOOD, l(1, 1, 2, 2), t(I64, 2, 2, 3, 2)), "gather_c22", "must have shape [2, 2, 3, 2, 2]");
        rejects(gather(OPERAND, INDICES, GOOD, l(1, 1, 2, 2), t(F32, 2, 2, 3, 2, 2)), "gather_c23",
                "operand and result must have the same element type, got result tensor<2x2x3x2x2xf32>");
    }

    @Test
    void dynamicGatherSharesTheChecks() {
        verifies(dynamicGather(GOOD, t(I64, 4), RESULT));
        rejects(dynamicGather(GOOD, t(I64, 3), RESULT), "dynamic_gather_c20", "slice_sizes must have 4 entries (the operand's rank)");
        rejects(dynamicGather(dn(l(3, 4), l(1), l(0), l(2), l(2, 1), 3), t(I64, 4), RESULT), "dynamic_gather_c17",
                "operand_batching_dims[0] = dim 0 of the operand (size 2)");
        rejects(dynamicGather(GOOD, t(I64, 4), t(I64, 2, 2, 3, 2)), "dynamic_gather_c22", "must have rank 5");
    }

    static Operation dynamicGather(GatherDimensionNumbers dn, TensorType sizes, TensorType result) {
        return Operation.builder("stablehlo.dynamic_gather").operands(value(OPERAND), value(INDICES), value(sizes))
                .property("dimension_numbers", dn).resultType(result).build();
    }
}
