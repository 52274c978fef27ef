package io.hlo4j.compiler.batch;

import io.hlo4j.compiler.cost.TensorBytes;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.hlo4j.compiler.batch.DimMath.array;
import static io.hlo4j.compiler.batch.DimMath.i64;
import static io.hlo4j.compiler.batch.DimMath.prepend;
import static io.hlo4j.compiler.batch.DimMath.shift;

/**
 * Reductions, sorts and contractions. reduce/sort/reduce_window put the batch dimension first and shift their
 * dimensions; the per-element bodies are copied (a batched init: {@link BatchedFill}). dot_general keeps operands in place: a batch dimension on both
 * sides becomes a new leading batching dimension, on one side only a free dimension of the result.
 */
final class ReduceDotBatchRules {
    private ReduceDotBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.reduce", ReduceDotBatchRules::reduce);
        in.rule("stablehlo.reduce_window", ReduceDotBatchRules::reduceWindow);
        in.rule("stablehlo.sort", (b, op, a) -> {
            List<Value> xs = new ArrayList<>();
            for (Batched x : a) xs.add(b.materialize(x, 0));
            long d = ((IntegerAttr) op.attr("dimension")).value();
            return Batcher.all(b.emitLike(op, xs, Map.of("dimension", IntegerAttr.i64(d + 1)),
                    List.of(b.copyRegion(op, op.region(0))), b.batchedResults(op, 0)), 0);
        });
        // top_k works on the last dimension; a leading batch dimension is one more row.
        in.rule("chlo.top_k", (b, op, a) -> Batcher.all(b.emitLike(op, List.of(b.moveTo(a.get(0), 0)), Map.of(), List.of(),
                b.batchedResults(op, 0)), 0));
        in.rule("stablehlo.dot_general", ReduceDotBatchRules::dotGeneral);
        in.rule("chlo.ragged_dot", ReduceDotBatchRules::raggedDot);
    }

    /**
     * The grouped matmul lhs [m, k], rhs [g, k, n], group sizes [g] over a batch: rows of all examples stacked
     * [B*m, k] with B*(g+1) groups, example b's groups then a padding group of its m - sum(sizes) leftover rows
     * against a zero matrix (their rows are zero, as ragged_dot leaves rows past the groups). Each example's group
     * ends are cut at m first, so sizes summing past m stay inside the example. rhs is spelled out per example when
     * unbatched.
     */
    private static List<Batched> raggedDot(Batcher b, Operation op, List<Batched> a) {
        var dn = (RaggedDotDimensionNumbers) op.attr("ragged_dot_dimension_numbers");
        TensorType lt = (TensorType) op.operand(0).type(), rt = (TensorType) op.operand(1).type();
        TensorType res = (TensorType) op.result(0).type();
        if (lt.rank() != 2 || rt.rank() != 3 || !dn.lhsBatchingDimensions().isEmpty() || !dn.lhsRaggedDimensions().equals(List.of(0L))
                || !dn.rhsGroupDimensions().equals(List.of(0L)) || !dn.lhsContractingDimensions().equals(List.of(1L))
                || !dn.rhsContractingDimensions().equals(List.of(1L)) || rt.dim(0) == 0) {
            throw b.refuse(op, a, "only the grouped-matmul form lhs [m, k], rhs [g, k, n], group sizes [g] is batched");
        }
        long n = b.size(), m = lt.dim(0), k = lt.dim(1), g = rt.dim(0), cols = rt.dim(2);
        var h = b.hlo();
        var loc = b.loc();
        Value lhs = h.reshape(b.materialize(a.get(0), 0), new long[]{n * m, k}, loc);
        Value given = b.materialize(a.get(2), 0);                                        // [B, g]
        var it = ((TensorType) given.type()).elementType();
        // One example's groups end at its m rows (ragged_dot ignores what lies past them): cut each example's running
        // total at m, so that sizes summing past m cannot reach into the next example's rows.
        TensorType gg = TensorType.of(it, g, g);
        Value upper = h.convert(h.compare("LE", h.iota(gg, 0, loc), h.iota(gg, 1, loc), null, loc), it, loc); // [i <= j]
        Value running = h.dotGeneral(given, upper, new long[0], new long[0], new long[]{1}, new long[]{0}, it, loc);
        Value ends = h.minimum(running, h.broadcastInDim(h.constant(TensorType.scalar(it), m, loc), new long[]{n, g}, new long[0], loc), loc);
        Value zeroI = h.constant(TensorType.scalar(it), 0, loc);
        Value starts = h.slice(h.pad(ends, zeroI, new long[]{0, 1}, new long[]{0, 0}, new long[]{0, 0}, loc),
                new long[]{0, 0}, new long[]{n, g}, new long[]{1, 1}, loc);
        Value sizes = h.subtract(ends, starts, loc);
        Value used = h.reshape(h.slice(ends, new long[]{0, g - 1}, new long[]{n, g}, new long[]{1, 1}, loc), new long[]{n}, loc);
        Value left = h.subtract(h.broadcastInDim(h.constant(TensorType.scalar(it), m, loc), new long[]{n}, new long[0], loc), used, loc);
        Value groups = h.reshape(h.concatenate(List.of(sizes, h.reshape(left, new long[]{n, 1}, loc)), 1, loc), new long[]{n * (g + 1)}, loc);
        Value rhs = b.materialize(a.get(1), 0);                                          // [B, g, k, n]
        Value zero = h.constant(TensorType.scalar(rt.elementType()), 0, loc);
        rhs = h.pad(rhs, zero, new long[4], new long[]{0, 1, 0, 0}, new long[4], loc);
        rhs = h.reshape(rhs, new long[]{n * (g + 1), k, cols}, loc);
        Value flat = b.emitLike(op, List.of(lhs, rhs, groups), Map.of(), List.of(), List.of(res.withShape(n * m, cols))).get(0);
        return List.of(Batched.of(h.reshape(flat, new long[]{n, m, cols}, loc), 0));
    }

    /** Inputs then inits; batched inits are applied after reducing (a monoid body only, see {@link BatchedFill}). */
    private static List<Batched> reduce(Batcher b, Operation op, List<Batched> a) {
        int n = a.size() / 2;
        Map<String, Attribute> props = Map.of("dimensions", i64(shift(array(op, "dimensions"))));
        if (anyBatched(a.subList(n, 2 * n))) {
            return BatchedFill.reduceWithBatchedInit(b, op, a, (x, id) -> b.emitLike(op, List.of(x, id), props,
                    List.of(b.copyRegion(op, op.region(0))), b.batchedResults(op, 0)).get(0));
        }
        List<Value> xs = new ArrayList<>();
        for (int i = 0; i < n; i++) xs.add(b.materialize(a.get(i), 0));
        for (int i = n; i < 2 * n; i++) xs.add(a.get(i).value());
        Region body = b.copyRegion(op, op.region(0));
        return Batcher.all(b.emitLike(op, xs, props, List.of(body), b.batchedResults(op, 0)), 0);
    }

    private static boolean anyBatched(List<Batched> xs) {
        for (Batched x : xs) if (x.batched()) return true;
        return false;
    }

    private static List<Batched> reduceWindow(Batcher b, Operation op, List<Batched> a) {
        int n = a.size() / 2;
        Map<String, Attribute> props = new HashMap<>();
        props.put("window_dimensions", i64(prepend(1, array(op, "window_dimensions"))));
        for (String k : List.of("window_strides", "base_dilations", "window_dilations")) {
            if (op.attr(k) != null) props.put(k, i64(prepend(1, array(op, k))));
        }
        boolean padsWithInit = false;
        if (op.attr("padding") instanceof DenseElementsAttr pad) {
            long[] p = TensorBytes.intValues(pad);
            long[] q = new long[p.length + 2];
            System.arraycopy(p, 0, q, 2, p.length);
            props.put("padding", Constants.ofLongs(TensorType.of(IntegerType.I64, q.length / 2, 2), q));
            for (long x : p) padsWithInit |= x != 0;
        }
        if (op.attr("base_dilations") != null) for (long d : array(op, "base_dilations")) padsWithInit |= d != 1;
        if (anyBatched(a.subList(n, 2 * n))) {
            if (padsWithInit && n == 1) {
                // The window padding and base dilation hold the init: pad with each example's init first, explicitly.
                a = List.of(padWithInit(b, op, a.get(0), a.get(1)), a.get(1));
                int r = a.get(0).type().rank();
                long[] ones = new long[r];
                java.util.Arrays.fill(ones, 1);
                props.put("padding", Constants.ofLongs(TensorType.of(IntegerType.I64, r, 2), new long[2 * r]));
                props.put("base_dilations", i64(ones));
            }
            return BatchedFill.reduceWithBatchedInit(b, op, a, (x, id) -> b.emitLike(op, List.of(x, id), props,
                    List.of(b.copyRegion(op, op.region(0))), b.batchedResults(op, 0)).get(0));
        }
        List<Value> xs = new ArrayList<>();
        for (int i = 0; i < n; i++) xs.add(b.materialize(a.get(i), 0));
        for (int i = n; i < 2 * n; i++) xs.add(a.get(i).value());
        return Batcher.all(b.emitLike(op, xs, props, List.of(b.copyRegion(op, op.region(0))), b.batchedResults(op, 0)), 0);
    }

    /** reduce_window's implicit padding (low, high, base dilation - 1 between elements) by the per-example init. */
    private static Batched padWithInit(Batcher b, Operation op, Batched x, Batched init) {
        int r = x.exampleRank();
        long[] lo = new long[r + 1], hi = new long[r + 1], interior = new long[r + 1];
        if (op.attr("padding") instanceof DenseElementsAttr pad) {
            long[] p = TensorBytes.intValues(pad);
            for (int d = 0; d < r; d++) { lo[d + 1] = p[2 * d]; hi[d + 1] = p[2 * d + 1]; }
        }
        if (op.attr("base_dilations") != null) {
            long[] bd = array(op, "base_dilations");
            for (int d = 0; d < r; d++) interior[d + 1] = bd[d] - 1;
        }
        return BatchedFill.padWithBatchedValue(b, b.materialize(x, 0), init, (v, p, et) -> b.hlo().pad(v, p, lo, hi, interior, b.loc()));
    }

    static List<Batched> dotGeneral(Batcher b, Operation op, List<Batched> a) {
        DotDimensionNumbers dn = (DotDimensionNumbers) op.attr("dot_dimension_numbers");
        Batched l = a.get(0), r = a.get(1);
        long[] lb = remap(dn.lhsBatchingDimensions().toArray(), l), rb = remap(dn.rhsBatchingDimensions().toArray(), r);
        long[] lc = remap(dn.lhsContractingDimensions().toArray(), l), rc = remap(dn.rhsContractingDimensions().toArray(), r);
        int resultDim;
        if (l.batched() && r.batched()) {
            lb = prepend(l.bdim(), lb);
            rb = prepend(r.bdim(), rb);
            resultDim = 0;
        } else if (l.batched()) {
            resultDim = lb.length + freeBefore(l.bdim(), lb, lc);
        } else {
            int lhsFree = l.type().rank() - lb.length - lc.length;
            resultDim = lb.length + lhsFree + freeBefore(r.bdim(), rb, rc);
        }
        DotDimensionNumbers nd = new DotDimensionNumbers(Dims.of(lb), Dims.of(rb), Dims.of(lc), Dims.of(rc));
        return Batcher.all(b.emitLike(op, List.of(l.value(), r.value()), Map.of("dot_dimension_numbers", nd), List.of(),
                b.batchedResults(op, resultDim)), resultDim);
    }

    /** Example dimension numbers of {@code x} renumbered around its batch dimension. */
    static long[] remap(long[] dims, Batched x) {
        if (!x.batched()) return dims;
        long[] out = dims.clone();
        for (int i = 0; i < out.length; i++) if (out[i] >= x.bdim()) out[i]++;
        return out;
    }

    /** How many free (neither batching nor contracting) dimensions come before {@code d}. */
    private static int freeBefore(int d, long[] batching, long[] contracting) {
        int n = 0;
        for (int i = 0; i < d; i++) if (!contains(batching, i) && !contains(contracting, i)) n++;
        return n;
    }

    static boolean contains(long[] xs, long v) {
        for (long x : xs) if (x == v) return true;
        return false;
    }
}
