package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Location;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The constraints of {@code stablehlo.gather} (spec C1-C23) checked on the DSL's side before emission, so a bad
 * gather is refused naming the dims at fault, the operand and indices shapes and the user's line, rather than
 * failing later in the verifier.
 */
final class GatherCheck {
    private GatherCheck() {}

    /** Checks everything and returns the index vector dim, resolved ({@link GatherDims#LAST} = the indices' last dim). */
    static int check(Tensor operand, Tensor indices, GatherDims d, long[] sliceSizes, Location loc) {
        Ctx c = new Ctx(operand, indices, d, sliceSizes, loc);
        if (!indices.dtype().isInteger()) c.fail("start indices must be integers");
        int r = operand.rank(), ri = indices.rank();
        int ivd = d.indexVectorDim() == GatherDims.LAST ? ri - 1 : d.indexVectorDim();
        if (ivd < 0 || ivd > ri) c.fail("indexVectorDim " + d.indexVectorDim() + " is out of range [0, " + ri + "] for the indices");
        c.inRange("collapsedSliceDims", d.collapsedSliceDims(), r, "operand", true);
        c.inRange("operandBatchingDims", d.operandBatchingDims(), r, "operand", true);
        c.inRange("startIndexMap", d.startIndexMap(), r, "operand", false);
        c.inRange("startIndicesBatchingDims", d.startIndicesBatchingDims(), ri, "indices", false);
        c.disjoint("collapsedSliceDims", d.collapsedSliceDims(), "operandBatchingDims", d.operandBatchingDims());
        c.disjoint("startIndexMap", d.startIndexMap(), "operandBatchingDims", d.operandBatchingDims());
        int[] ob = d.operandBatchingDims(), ib = d.startIndicesBatchingDims();
        if (ob.length != ib.length) {
            c.fail("operandBatchingDims " + Arrays.toString(ob) + " and startIndicesBatchingDims " + Arrays.toString(ib) + " differ in length");
        }
        for (int i = 0; i < ib.length; i++) {
            if (ib[i] == ivd) c.fail("startIndicesBatchingDims " + Arrays.toString(ib) + " contains the index vector dim " + ivd);
            if (operand.dims()[ob[i]] != indices.dims()[ib[i]]) {
                c.fail("batching dim " + ob[i] + " of the operand (size " + operand.dims()[ob[i]] + ") does not match dim " + ib[i]
                        + " of the indices (size " + indices.dims()[ib[i]] + ")");
            }
        }
        long vec = ivd < ri ? indices.dims()[ivd] : 1;
        if (d.startIndexMap().length != vec) {
            c.fail("startIndexMap has " + d.startIndexMap().length + " entries but the index vectors (dim " + ivd + " of the indices) have "
                    + vec);
        }
        int kept = r - d.collapsedSliceDims().length - ob.length;
        if (d.offsetDims().length != kept) {
            c.fail("offsetDims has " + d.offsetDims().length + " entries but the operand keeps " + kept
                    + " dims (rank " + r + " less collapsedSliceDims and operandBatchingDims)");
        }
        int resultRank = ri - (ivd < ri ? 1 : 0) + d.offsetDims().length;
        c.inRange("offsetDims", d.offsetDims(), resultRank, "result (rank " + resultRank + ")", true);
        if (sliceSizes.length != r) c.fail("sliceSizes has " + sliceSizes.length + " entries for an operand of rank " + r);
        Set<Integer> dropped = new HashSet<>();
        for (int x : d.collapsedSliceDims()) dropped.add(x);
        for (int x : ob) dropped.add(x);
        for (int i = 0; i < r; i++) {
            if (sliceSizes[i] < 0 || sliceSizes[i] > operand.dims()[i]) {
                c.fail("sliceSizes[" + i + "] = " + sliceSizes[i] + " is out of range [0, " + operand.dims()[i] + "]");
            }
            if (dropped.contains(i) && sliceSizes[i] > 1) {
                c.fail("sliceSizes[" + i + "] = " + sliceSizes[i] + " must be 0 or 1: dim " + i + " is collapsed or batching");
            }
        }
        return ivd;
    }

    private record Ctx(Tensor operand, Tensor indices, GatherDims d, long[] sliceSizes, Location loc) {
        void fail(String why) {
            throw new DslException("gather", why + "; operand " + operand.describe() + ", indices " + indices.describe() + ", " + d
                    + ", sliceSizes " + Arrays.toString(sliceSizes), loc);
        }

        void inRange(String what, int[] dims, int rank, String of, boolean sorted) {
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < dims.length; i++) {
                if (dims[i] < 0 || dims[i] >= rank) fail(what + " entry " + dims[i] + " is out of range [0, " + rank + ") of the " + of);
                if (!seen.add(dims[i])) fail(what + " " + Arrays.toString(dims) + " repeats " + dims[i]);
                if (sorted && i > 0 && dims[i] < dims[i - 1]) fail(what + " " + Arrays.toString(dims) + " must be sorted");
            }
        }

        void disjoint(String a, int[] x, String b, int[] y) {
            for (int i : x) for (int j : y) if (i == j) fail(a + " " + Arrays.toString(x) + " and " + b + " " + Arrays.toString(y) + " share dim " + i);
        }
    }
}
