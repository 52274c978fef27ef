package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * gather and scatter are each other's transposes: the cotangent of a gathered operand is a scatter-add of the
 * result cotangent at the same indices, and the cotangent of scatter-add updates is a gather of the result
 * cotangent. gather clamps a start index so that its slice fits while scatter drops an update that does not fit,
 * so the scatter-add of a gather's VJP takes the start indices clamped as gather clamps them (with constant slice
 * sizes: always for gather; a dynamic_gather whose slice sizes are not a constant is refused by name).
 */
final class IndexingRules {
    private IndexingRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.gather", IndexingRules::gather);
        in.rule("stablehlo.scatter", IndexingRules::scatter);
        // dynamic_gather: gather with its slice sizes as a third (integer) operand.
        in.rule("stablehlo.dynamic_gather", IndexingRules::gather);
    }

    private static List<Value> gather(Backward b, Operation op, List<Value> g) {
        GatherDimensionNumbers dn = Attrs.get(op, "dimension_numbers", GatherDimensionNumbers.class);
        ScatterDimensionNumbers sdn = new ScatterDimensionNumbers(dn.offsetDims(), dn.collapsedSliceDims(),
                dn.operandBatchingDims(), dn.startIndicesBatchingDims(), dn.startIndexMap(), dn.indexVectorDim());
        boolean sorted = op.attr("indices_are_sorted") instanceof BoolAttr s && s.value();
        Value operand = op.operand(0);
        long[] sizes = op.name().equals("stablehlo.gather") ? Attrs.i64s(op, "slice_sizes") : constantOrNull(op.operand(2));
        // without the sizes the clamp of the starts is unknown, and unclamped starts would drop the cotangent of a slice out of range
        if (sizes == null) throw b.refuse(op, "its slice sizes are not a constant, so the clamp of its start indices (and where its gradient goes) is unknown");
        Value starts = clampStarts(b, op.operand(1), Backward.tensor(operand), sizes, dn);
        Value gx = b.hlo().scatter(b.zerosLike(operand), starts, b.castLike(g.get(0), operand), sdn, "add", sorted, false, b.loc());
        java.util.List<Value> out = new java.util.ArrayList<>(Arrays.asList(new Value[op.numOperands()]));
        out.set(0, gx);
        return out;
    }

    /**
     * The start indices as gather uses them: component k (along index_vector_dim) of each index vector clamped to
     * [0, operand dim - slice size] of operand dim start_index_map[k].
     */
    private static Value clampStarts(Backward b, Value indices, TensorType operand, long[] sizes, GatherDimensionNumbers dn) {
        TensorType it = Backward.tensor(indices);
        int ivd = (int) dn.indexVectorDim();
        long[] map = dn.startIndexMap().toArray(), hi = new long[(int) it.numElements()];
        long inner = 1;
        for (int d = ivd + 1; d < it.rank(); d++) inner *= it.dim(d);
        for (int e = 0; e < hi.length; e++) {
            int k = ivd == it.rank() ? 0 : (int) ((e / inner) % it.dim(ivd));
            hi[e] = operand.dim((int) map[k]) - sizes[(int) map[k]];
        }
        Value upper = b.ir().emit1("stablehlo.constant", List.of(), Map.of("value", Constants.ofLongs(it, hi)), b.loc());
        return b.ir().emit1("stablehlo.clamp", List.of(b.full(it, 0), indices, upper), Map.of(), b.loc());
    }

    private static long[] constantOrNull(Value v) {
        return v instanceof OpResult r && r.owner().name().equals("stablehlo.constant") && r.owner().attr("value") instanceof DenseElementsAttr d
                ? Attrs.denseLongs(d) : null;
    }

    private static List<Value> scatter(Backward b, Operation op, List<Value> g) {
        if (op.numOperands() != 3) throw b.refuse(op, "only single-operand scatters have a VJP rule");
        String c = ReduceRules.combiner(op.region(0));
        boolean overwrite = c == null && isOverwrite(op.region(0).entry());
        if (!"add".equals(c) && !overwrite) throw b.refuse(op, "only scatter-add and overwriting scatter have a VJP rule");
        ScatterDimensionNumbers dn = Attrs.get(op, "scatter_dimension_numbers", ScatterDimensionNumbers.class);
        Value operand = op.operand(0), indices = op.operand(1), updates = op.operand(2), ct = g.get(0);
        TensorType ot = Backward.tensor(operand), ut = Backward.tensor(updates);
        long[] sliceSizes = new long[ot.rank()];
        for (int d = 0, k = 0; d < ot.rank(); d++) {
            if (dn.insertedWindowDims().contains(d) || dn.inputBatchingDims().contains(d)) sliceSizes[d] = 1;
            else sliceSizes[d] = ut.dim((int) dn.updateWindowDims().get(k++));
        }
        GatherDimensionNumbers gdn = new GatherDimensionNumbers(dn.updateWindowDims(), dn.insertedWindowDims(),
                dn.inputBatchingDims(), dn.scatterIndicesBatchingDims(), dn.scatterDimsToOperandDims(), dn.indexVectorDim());
        boolean sorted = op.attr("indices_are_sorted") instanceof BoolAttr s && s.value();
        Value gu = b.hlo().gather(ct, indices, gdn, sliceSizes, sorted, b.loc());
        Value gOperand = ct;
        if (overwrite) {
            // Overwritten positions take no cotangent back to the operand (indices assumed unique, as JAX does).
            gOperand = b.hlo().scatter(ct, indices, b.zerosLike(updates), dn, null, sorted, false, b.loc());
        }
        return Arrays.asList(gOperand, null, b.castLike(gu, updates));
    }

    private static boolean isOverwrite(Block body) {
        Operation ret = body.terminator();
        return body.operations().size() == 1 && ret.numOperands() == 1 && body.arguments().size() == 2
                && ret.operand(0) == body.argument(1);
    }
}
