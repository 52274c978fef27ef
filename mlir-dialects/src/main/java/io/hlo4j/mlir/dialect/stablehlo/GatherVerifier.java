package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.Arrays;
import java.util.List;

/**
 * The constraints of gather and dynamic_gather (the spec's gather C1-C23; dynamic_gather's labels use the same
 * numbers, as upstream does) and gather's result type rule. The checks that need no result type run both in the
 * verifier and in the type inference, so a builder that infers the result is refused with the same message.
 */
final class GatherVerifier {
    private GatherVerifier() {}

    static void verifyGather(Operation op) {
        Verify.arity(op, 2, 1);
        long[] sizes = Verify.i64Array(op, "slice_sizes", true).longs();
        Gather g = Gather.of(op, "gather", sizes);
        long[] want = g.resultShape();
        TensorType out = Verify.resultTensor(op, 0);
        g.check(Verify.compatibleShapes(out, out.withShape(want)), "gather_c22",
                "result " + out + " must have shape " + shapeText(want) + " (the indices' batch dims at the non-offset dims, the kept"
                        + " slice_sizes at offset_dims)");
        g.check(Verify.sameElement(g.operand.elementType(), out.elementType()), "gather_c23",
                "operand and result must have the same element type, got result " + out);
    }

    static void verifyDynamicGather(Operation op) {
        Verify.arity(op, 3, 1);
        TensorType sizes = Verify.operandTensor(op, 2);
        Verify.check(sizes.rank() == 1 && Verify.isInt(sizes.elementType()), op, "dynamic_gather_i3",
                () -> "slice_sizes must be a 1-D integer tensor, got " + sizes);
        Gather g = Gather.of(op, "dynamic_gather", null);
        g.check(sizes.isDynamicDim(0) || sizes.dim(0) == g.operand.rank(), "dynamic_gather_c20",
                "slice_sizes must have " + g.operand.rank() + " entries (the operand's rank), got " + sizes);
        TensorType out = Verify.resultTensor(op, 0);
        int batchRank = g.indices.rank() - (g.dn.indexVectorDim() < g.indices.rank() ? 1 : 0);
        g.check(out.rank() == batchRank + g.dn.offsetDims().size(), "dynamic_gather_c22",
                "result " + out + " must have rank " + (batchRank + g.dn.offsetDims().size()) + " (batch dims + offset_dims)");
        g.check(Verify.sameElement(g.operand.elementType(), out.elementType()), "dynamic_gather_c23",
                "operand and result must have the same element type, got result " + out);
    }

    /** gather's result type (C22) from the operand and indices types, after every check that needs no result. */
    static List<Type> inferGather(List<Type> operands, DictionaryAttr props, List<Region> regions) {
        if (operands.size() != 2 || !(operands.get(0) instanceof TensorType operand) || !(operands.get(1) instanceof TensorType indices)) {
            throw new VerificationException("stablehlo.gather", "(arity) expects a tensor operand and tensor start_indices, got " + operands,
                    Location.UNKNOWN);
        }
        GatherDimensionNumbers dn = required(props, "dimension_numbers", GatherDimensionNumbers.class);
        long[] sizes = required(props, "slice_sizes", DenseArrayAttr.class).longs();
        Gather g = new Gather("gather", null, operand, indices, dn, sizes);
        g.checkDims();
        return List.of(operand.withShape(g.resultShape()));
    }

    private static <T extends Attribute> T required(DictionaryAttr props, String name, Class<T> kind) {
        Attribute a = props.get(name);
        if (kind.isInstance(a)) return kind.cast(a);
        throw new VerificationException("stablehlo.gather", "(attributes) requires attribute '" + name + "' of kind "
                + kind.getSimpleName() + ", got " + a, Location.UNKNOWN);
    }

    /**
     * One gather under check: {@code op} is null while inferring (failures then carry no location; the builder
     * adds it). {@code sliceSizes} is null for dynamic_gather, whose slice sizes are a runtime operand.
     */
    private record Gather(String name, Operation op, TensorType operand, TensorType indices, GatherDimensionNumbers dn,
                          long[] sliceSizes) {
        static Gather of(Operation op, String name, long[] sliceSizes) {
            Gather g = new Gather(name, op, Verify.operandTensor(op, 0), Verify.operandTensor(op, 1),
                    Verify.attr(op, "dimension_numbers", GatherDimensionNumbers.class, true), sliceSizes);
            Verify.bool(op, "indices_are_sorted", false);
            g.checkDims();
            return g;
        }

        /** Failures name the rule and end with the operand and indices types, which most constraints relate. */
        void check(boolean ok, String rule, String message) {
            if (ok) return;
            String text = message + "; operand " + operand + ", start_indices " + indices
                    + (sliceSizes == null ? "" : ", slice_sizes " + Arrays.toString(sliceSizes));
            if (op != null) throw Verify.fail(op, rule, text);
            throw new VerificationException("stablehlo." + name, "(" + rule + ") " + text, Location.UNKNOWN);
        }

        private String c(int n) { return name + "_c" + n; }

        /** C1-C21 and C5: everything that does not involve the result type. */
        void checkDims() {
            check(Verify.isInt(indices.elementType()), name + "_i2",
                    "start_indices must have integer elements");
            int r = operand.rank(), ri = indices.rank();
            long ivd = dn.indexVectorDim();
            check(ivd >= 0 && ivd <= ri, c(2), "index_vector_dim " + ivd + " is out of range [0, " + ri + "] of start_indices");
            Dims offsets = dn.offsetDims(), collapsed = dn.collapsedSliceDims(), ob = dn.operandBatchingDims(),
                    ib = dn.startIndicesBatchingDims(), map = dn.startIndexMap();
            sortedUnique(c(4), "offset_dims", offsets);
            disjoint(c(6), "collapsed_slice_dims", collapsed, "operand_batching_dims", ob);
            sortedUnique(c(7), "collapsed_slice_dims", collapsed);
            inRange(c(8), "collapsed_slice_dims", collapsed, r, "the operand's rank");
            sortedUnique(c(10), "operand_batching_dims", ob);
            inRange(c(11), "operand_batching_dims", ob, r, "the operand's rank");
            disjoint(c(13), "start_indices_batching_dims", ib, null, Dims.EMPTY);
            inRange(c(14), "start_indices_batching_dims", ib, ri, "start_indices' rank");
            check(!ib.contains(ivd), c(15), "start_indices_batching_dims " + ib + " contains index_vector_dim " + ivd);
            check(ob.size() == ib.size(), c(16), "operand_batching_dims " + ob + " and start_indices_batching_dims " + ib
                    + " must have the same size");
            for (int i = 0; i < ob.size(); i++) {
                long a = operand.dim((int) ob.get(i)), b = indices.dim((int) ib.get(i));
                check(a == TensorType.DYNAMIC || b == TensorType.DYNAMIC || a == b, c(17), "operand_batching_dims[" + i + "] = dim "
                        + ob.get(i) + " of the operand (size " + a + ") and start_indices_batching_dims[" + i + "] = dim " + ib.get(i)
                        + " of start_indices (size " + b + ") must have the same size");
            }
            disjoint(c(18), "start_index_map", map, "operand_batching_dims", ob);
            inRange(c(19), "start_index_map", map, r, "the operand's rank");
            if (ivd >= ri || !indices.isDynamicDim((int) ivd)) {
                long vector = ivd < ri ? indices.dim((int) ivd) : 1;
                check(map.size() == vector, c(3), "start_index_map " + map + " has " + map.size() + " entries but the index vectors"
                        + (ivd < ri ? " (dim " + ivd + " of start_indices)" : " (implicit, index_vector_dim = rank)") + " have size " + vector);
            }
            check(offsets.size() + collapsed.size() + ob.size() == r, c(1), "offset_dims " + offsets + ", collapsed_slice_dims "
                    + collapsed + " and operand_batching_dims " + ob + " must have " + r + " entries in all (the operand's rank), got "
                    + (offsets.size() + collapsed.size() + ob.size()));
            long resultRank = ri - (ivd < ri ? 1 : 0) + offsets.size();
            inRange(c(5), "offset_dims", offsets, resultRank, "the result's rank (batch dims + offset_dims)");
            if (sliceSizes == null) return;
            check(sliceSizes.length == r, c(20), "slice_sizes has " + sliceSizes.length + " entries for an operand of rank " + r);
            for (int i = 0; i < r; i++) {
                check(sliceSizes[i] >= 0 && (operand.isDynamicDim(i) || sliceSizes[i] <= operand.dim(i)), c(21),
                        "slice_sizes[" + i + "] = " + sliceSizes[i] + " is out of range [0, " + operand.dim(i) + "] of operand dim " + i);
                check(!collapsed.contains(i) || sliceSizes[i] <= 1, c(9),
                        "slice_sizes[" + i + "] = " + sliceSizes[i] + " must be 0 or 1: dim " + i + " is in collapsed_slice_dims");
                check(!ob.contains(i) || sliceSizes[i] <= 1, c(12),
                        "slice_sizes[" + i + "] = " + sliceSizes[i] + " must be 0 or 1: dim " + i + " is in operand_batching_dims");
            }
        }

        /** C22: the indices' batch dims in order at the non-offset dims, the kept slice sizes at offset_dims. */
        long[] resultShape() {
            int ri = indices.rank();
            long ivd = dn.indexVectorDim();
            int rank = ri - (ivd < ri ? 1 : 0) + dn.offsetDims().size();
            long[] shape = new long[rank];
            int batch = 0, slice = 0;
            for (int d = 0; d < rank; d++) {
                if (dn.offsetDims().contains(d)) {
                    while (dn.collapsedSliceDims().contains(slice) || dn.operandBatchingDims().contains(slice)) slice++;
                    shape[d] = sliceSizes == null ? TensorType.DYNAMIC : sliceSizes[slice++];
                } else {
                    if (batch == ivd) batch++;
                    shape[d] = indices.dim(batch++);
                }
            }
            return shape;
        }

        private void sortedUnique(String rule, String what, Dims d) {
            for (int i = 1; i < d.size(); i++) {
                check(d.get(i) > d.get(i - 1), rule, what + " " + d + " must be sorted and unique");
            }
        }

        private void inRange(String rule, String what, Dims d, long rank, String of) {
            for (int i = 0; i < d.size(); i++) {
                check(d.get(i) >= 0 && d.get(i) < rank, rule, what + " " + d + ": entry " + d.get(i) + " is out of range [0, " + rank
                        + ") of " + of);
            }
        }

        /** No dim repeats within {@code a} and {@code b} together. */
        private void disjoint(String rule, String aName, Dims a, String bName, Dims b) {
            long[] all = new long[a.size() + b.size()];
            for (int i = 0; i < a.size(); i++) all[i] = a.get(i);
            for (int i = 0; i < b.size(); i++) all[a.size() + i] = b.get(i);
            for (int i = 0; i < all.length; i++) {
                for (int j = 0; j < i; j++) {
                    check(all[i] != all[j], rule, b.isEmpty() ? aName + " " + a + " repeats dim " + all[i]
                            : aName + " " + a + " and " + bName + " " + b + " repeat dim " + all[i]);
                }
            }
        }
    }

    private static String shapeText(long[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i] == TensorType.DYNAMIC ? "?" : shape[i]);
        return sb.append(']').toString();
    }
}
