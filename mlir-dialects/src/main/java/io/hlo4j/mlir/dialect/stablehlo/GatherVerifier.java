package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;

/** The spec's gather / dynamic_gather constraints on dimension numbers and slice sizes. */
final class GatherVerifier {
    private GatherVerifier() {}

    static void verifyGather(Operation op) {
        Verify.arity(op, 2, 1);
        long[] sizes = Verify.i64Array(op, "slice_sizes", true).longs();
        common(op, "gather", sizes);
    }

    static void verifyDynamicGather(Operation op) {
        Verify.arity(op, 3, 1);
        TensorType sizes = Verify.operandTensor(op, 2);
        Verify.check(sizes.rank() == 1 && Verify.isInt(sizes.elementType()), op, "dynamic_gather_i3",
                "slice_sizes must be a 1-D integer tensor, got " + sizes);
        common(op, "dynamic_gather", null);
    }

    private static void common(Operation op, String name, long[] sliceSizes) {
        TensorType operand = Verify.operandTensor(op, 0), indices = Verify.operandTensor(op, 1), out = Verify.resultTensor(op, 0);
        Verify.check(Verify.isInt(indices.elementType()), op, name + "_i2", "start_indices must have integer elements, got " + indices);
        Verify.check(Verify.sameElement(operand.elementType(), out.elementType()), op, name + "_c23",
                "operand and result must have the same element type, got " + Verify.describe(op));
        GatherDimensionNumbers dn = Verify.attr(op, "dimension_numbers", GatherDimensionNumbers.class, true);
        Verify.bool(op, "indices_are_sorted", false);
        long ivd = dn.indexVectorDim();
        Verify.check(ivd >= 0 && ivd <= indices.rank(), op, name + "_c2",
                "index_vector_dim " + ivd + " must be in [0, " + indices.rank() + "]");
        long batchRank = indices.rank() - (ivd < indices.rank() ? 1 : 0);
        Verify.check(out.rank() == batchRank + dn.offsetDims().size(), op, name + "_c22",
                "result rank must be " + (batchRank + dn.offsetDims().size()) + " (batch dims + offset_dims), got " + out);
        sortedInRange(op, name + "_c7", "offset_dims", dn.offsetDims(), out.rank());
        sortedInRange(op, name + "_c5", "collapsed_slice_dims", dn.collapsedSliceDims(), operand.rank());
        sortedInRange(op, name + "_c9", "operand_batching_dims", dn.operandBatchingDims(), operand.rank());
        Verify.dimsInRange(op, name + "_c11", "start_index_map entry", dn.startIndexMap().toArray(), operand.rank());
        long indexVectorSize = ivd < indices.rank() ? indices.dim((int) ivd) : 1;
        if (ivd >= indices.rank() || !indices.isDynamicDim((int) ivd)) {
            Verify.check(dn.startIndexMap().size() == indexVectorSize, op, name + "_c10",
                    "start_index_map has " + dn.startIndexMap().size() + " entries but the index vector has " + indexVectorSize);
        }
        Verify.check(dn.offsetDims().size() + dn.collapsedSliceDims().size() + dn.operandBatchingDims().size() == operand.rank(),
                op, name + "_c1", "offset_dims, collapsed_slice_dims and operand_batching_dims must add up to the operand rank "
                        + operand.rank());
        if (sliceSizes != null) {
            Verify.check(sliceSizes.length == operand.rank(), op, name + "_c12",
                    "slice_sizes must have " + operand.rank() + " entries, got " + sliceSizes.length);
            for (int i = 0; i < sliceSizes.length; i++) {
                boolean collapsed = dn.collapsedSliceDims().contains(i) || dn.operandBatchingDims().contains(i);
                Verify.check(!collapsed || sliceSizes[i] <= 1, op, name + "_c13",
                        "slice_sizes[" + i + "] = " + sliceSizes[i] + " must be 0 or 1 for a collapsed or batching dimension");
                Verify.check(sliceSizes[i] >= 0 && (operand.isDynamicDim(i) || sliceSizes[i] <= operand.dim(i)), op, name + "_c14",
                        "slice_sizes[" + i + "] = " + sliceSizes[i] + " must be in [0, " + operand.dim(i) + "]");
            }
        }
    }

    private static void sortedInRange(Operation op, String rule, String what, Dims d, int rank) {
        for (int i = 0; i < d.size(); i++) {
            Verify.check(d.get(i) >= 0 && d.get(i) < rank, op, rule, what + " entry " + d.get(i) + " is out of range [0, " + rank + ")");
            Verify.check(i == 0 || d.get(i) > d.get(i - 1), op, rule, what + " must be sorted and unique, got " + d);
        }
    }
}
