package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.hlo4j.compiler.batch.DimMath.array;
import static io.hlo4j.compiler.batch.DimMath.i64;
import static io.hlo4j.compiler.batch.DimMath.prepend;
import static io.hlo4j.compiler.batch.DimMath.shift;

/**
 * Indexing. A dynamic slice at unbatched starts slices the whole batch; at batched starts it becomes a gather with
 * one start row per example (as JAX lowers it), and a dynamic update at batched starts a scatter (its starts clamped
 * first, as dynamic_update_slice clamps them and scatter would skip instead). gather and scatter pair a leading batch
 * dimension of operand and indices through their batching dimensions.
 */
final class IndexingBatchRules {
    private IndexingBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.dynamic_slice", IndexingBatchRules::dynamicSlice);
        in.rule("stablehlo.dynamic_update_slice", IndexingBatchRules::dynamicUpdateSlice);
        in.rule("stablehlo.gather", IndexingBatchRules::gather);
        in.rule("stablehlo.scatter", IndexingBatchRules::scatter);
    }

    private static boolean anyBatched(List<Batched> xs) {
        for (Batched x : xs) if (x.batched()) return true;
        return false;
    }

    private static List<Batched> dynamicSlice(Batcher b, Operation op, List<Batched> a) {
        List<Batched> starts = a.subList(1, a.size());
        long[] sizes = array(op, "slice_sizes");
        Batched x = a.get(0);
        if (!anyBatched(starts)) {
            List<Value> ops = new ArrayList<>(List.of(b.moveTo(x, 0), zeroLike(b, starts)));
            for (Batched s : starts) ops.add(s.value());
            return ShapeBatchRules.lead(b, op, ops, Map.of("slice_sizes", i64(prepend(b.size(), sizes))));
        }
        int r = sizes.length;
        Value idx = startRows(b, starts, null, null);
        long[] offset = new long[r], map = new long[r];
        for (int i = 0; i < r; i++) { offset[i] = i + 1; map[i] = x.batched() ? i + 1 : i; }
        GatherDimensionNumbers dn = x.batched()
                ? new GatherDimensionNumbers(Dims.of(offset), Dims.EMPTY, Dims.of(0), Dims.of(0), Dims.of(map), 1)
                : new GatherDimensionNumbers(Dims.of(offset), Dims.EMPTY, Dims.EMPTY, Dims.EMPTY, Dims.of(map), 1);
        Value operand = x.batched() ? b.moveTo(x, 0) : x.value();
        long[] ss = x.batched() ? prepend(1, sizes) : sizes;
        Value g = b.hlo().gather(operand, idx, dn, ss, false, b.loc());
        return List.of(Batched.of(g, 0));
    }

    private static List<Batched> dynamicUpdateSlice(Batcher b, Operation op, List<Batched> a) {
        List<Batched> starts = a.subList(2, a.size());
        Value x = b.materialize(a.get(0), 0), u = b.materialize(a.get(1), 0);
        if (!anyBatched(starts)) {
            List<Value> ops = new ArrayList<>(List.of(x, u, zeroLike(b, starts)));
            for (Batched s : starts) ops.add(s.value());
            return ShapeBatchRules.lead(b, op, ops, Map.of());
        }
        TensorType xt = (TensorType) op.operand(0).type(), ut = (TensorType) op.operand(1).type();
        int r = xt.rank();
        Value idx = startRows(b, starts, xt, ut);
        long[] window = new long[r], map = new long[r];
        for (int i = 0; i < r; i++) { window[i] = i + 1; map[i] = i + 1; }
        ScatterDimensionNumbers dn = new ScatterDimensionNumbers(Dims.of(window), Dims.EMPTY, Dims.of(0), Dims.of(0), Dims.of(map), 1);
        Value s = b.hlo().scatter(x, idx, u, dn, null, false, false, b.loc());
        return List.of(Batched.of(s, 0));
    }

    /**
     * The starts as a [B, r] index tensor, one row per example. With {@code operand}/{@code update} types given, each
     * start is clamped to {@code [0, operand dim - update dim]} first.
     */
    private static Value startRows(Batcher b, List<Batched> starts, TensorType operand, TensorType update) {
        List<Value> cols = new ArrayList<>();
        for (int i = 0; i < starts.size(); i++) {
            Batched s = starts.get(i);
            Value v = s.value();
            if (operand != null) {
                TensorType st = (TensorType) v.type();
                Value lo = b.hlo().constant(TensorType.scalar(st.elementType()), 0, b.loc());
                Value hi = b.hlo().constant(TensorType.scalar(st.elementType()), operand.dim(i) - update.dim(i), b.loc());
                v = b.ir().emit1("stablehlo.clamp", List.of(lo, v, hi), Map.of(), b.loc());
            }
            Value col = b.materialize(Batched.of(v, s.bdim()), 0);                  // [B]
            cols.add(b.hlo().reshape(col, new long[]{b.size(), 1}, b.loc()));
        }
        return b.hlo().concatenate(cols, 1, b.loc());
    }

    /** A zero start index for the new leading dimension, of the other starts' type (i64 when there are none). */
    private static Value zeroLike(Batcher b, List<Batched> starts) {
        ElementType et = starts.isEmpty() ? IntegerType.I64 : starts.get(0).type().elementType();
        return b.hlo().constant(TensorType.scalar(et), 0, b.loc());
    }

    private static List<Batched> gather(Batcher b, Operation op, List<Batched> a) {
        GatherPlan p = plan(b, op, a.get(0), a.get(1), array(op, "slice_sizes"));
        return Batcher.all(b.emitLike(op, List.of(p.operand(), p.indices()), Map.of("dimension_numbers", p.dn(), "slice_sizes",
                DenseArrayAttr.ofI64(p.sizes())), List.of(), b.batchedResults(op, 0)), 0);
    }

    /**
     * A batched gather: its operand and indices, dimension numbers and slice sizes; {@code sizePrefix} is the entry put
     * in front of the slice sizes (-1: none), for dynamic_gather whose sizes are an operand.
     */
    record GatherPlan(Value operand, Value indices, GatherDimensionNumbers dn, long[] sizes, long sizePrefix) {}

    static GatherPlan plan(Batcher b, Operation op, Batched x, Batched idx, long[] sizes) {
        GatherDimensionNumbers dn = (GatherDimensionNumbers) op.attr("dimension_numbers");
        long[] offset = dn.offsetDims().toArray(), collapsed = dn.collapsedSliceDims().toArray();
        long[] obd = dn.operandBatchingDims().toArray(), sibd = dn.startIndicesBatchingDims().toArray();
        long[] map = dn.startIndexMap().toArray();
        long ivd = dn.indexVectorDim();
        if (!x.batched()) {            // the batch dimension is one more batch dimension of the indices
            return new GatherPlan(x.value(), b.moveTo(idx, 0), new GatherDimensionNumbers(Dims.of(shift(offset)), dn.collapsedSliceDims(),
                    dn.operandBatchingDims(), Dims.of(shift(sibd)), dn.startIndexMap(), ivd + 1), sizes, -1);
        }
        if (!idx.batched()) {          // the batch dimension is one more (whole) slice dimension of the operand
            return new GatherPlan(b.moveTo(x, 0), idx.value(), new GatherDimensionNumbers(Dims.of(prepend(0, shift(offset))),
                    Dims.of(shift(collapsed)), Dims.of(shift(obd)), dn.startIndicesBatchingDims(), Dims.of(shift(map)), ivd),
                    prepend(b.size(), sizes), b.size());
        }
        // both: paired through the batching dimensions
        return new GatherPlan(b.moveTo(x, 0), b.moveTo(idx, 0), new GatherDimensionNumbers(Dims.of(shift(offset)), Dims.of(shift(collapsed)),
                Dims.of(prepend(0, shift(obd))), Dims.of(prepend(0, shift(sibd))), Dims.of(shift(map)), ivd + 1), prepend(1, sizes), 1);
    }

    /** Every operand, the indices and every update take a leading batch dimension, paired by batching dimensions. */
    private static List<Batched> scatter(Batcher b, Operation op, List<Batched> a) {
        ScatterDimensionNumbers dn = (ScatterDimensionNumbers) op.attr("scatter_dimension_numbers");
        List<Value> xs = new ArrayList<>();
        for (Batched x : a) xs.add(b.materialize(x, 0));
        ScatterDimensionNumbers nd = new ScatterDimensionNumbers(Dims.of(shift(dn.updateWindowDims().toArray())),
                Dims.of(shift(dn.insertedWindowDims().toArray())), Dims.of(prepend(0, shift(dn.inputBatchingDims().toArray()))),
                Dims.of(prepend(0, shift(dn.scatterIndicesBatchingDims().toArray()))),
                Dims.of(shift(dn.scatterDimsToOperandDims().toArray())), dn.indexVectorDim() + 1);
        Region body = b.copyRegion(op, op.region(0));
        return Batcher.all(b.emitLike(op, xs, Map.of("scatter_dimension_numbers", nd), List.of(body), b.batchedResults(op, 0)), 0);
    }
}
