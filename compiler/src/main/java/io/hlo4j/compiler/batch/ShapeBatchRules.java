package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.hlo4j.compiler.batch.DimMath.array;
import static io.hlo4j.compiler.batch.DimMath.i64;
import static io.hlo4j.compiler.batch.DimMath.leading;
import static io.hlo4j.compiler.batch.DimMath.prepend;

/**
 * Shape ops: the batch dimension goes first and every dimension attribute shifts by one (a slice takes the whole
 * batch, a pad leaves it alone; a batched padding value is selected in per example, see {@link BatchedFill}). The
 * leaves (constant, iota) have no rule: they read no operand, so {@link Batcher} copies them as they are.
 */
final class ShapeBatchRules {
    private ShapeBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.broadcast_in_dim", (b, op, a) -> lead(b, op, List.of(b.moveTo(a.get(0), 0)),
                Map.of("broadcast_dimensions", i64(leading(0, array(op, "broadcast_dimensions"))))));
        in.rule("stablehlo.reshape", (b, op, a) -> lead(b, op, List.of(b.moveTo(a.get(0), 0)), Map.of()));
        in.rule("stablehlo.transpose", (b, op, a) -> lead(b, op, List.of(b.moveTo(a.get(0), 0)),
                Map.of("permutation", i64(leading(0, array(op, "permutation"))))));
        in.rule("stablehlo.reverse", (b, op, a) -> lead(b, op, List.of(b.moveTo(a.get(0), 0)),
                Map.of("dimensions", i64(DimMath.shift(array(op, "dimensions"))))));
        in.rule("stablehlo.slice", (b, op, a) -> lead(b, op, List.of(b.moveTo(a.get(0), 0)), Map.of(
                "start_indices", i64(prepend(0, array(op, "start_indices"))),
                "limit_indices", i64(prepend(b.size(), array(op, "limit_indices"))),
                "strides", i64(prepend(1, array(op, "strides"))))));
        in.rule("stablehlo.concatenate", (b, op, a) -> {
            List<Value> xs = new ArrayList<>();
            for (Batched x : a) xs.add(b.materialize(x, 0));
            long d = ((IntegerAttr) op.attr("dimension")).value();
            return lead(b, op, xs, Map.of("dimension", IntegerAttr.i64(d + 1)));
        });
        in.rule("stablehlo.pad", (b, op, a) -> {
            Map<String, Attribute> props = Map.of(
                    "edge_padding_low", i64(prepend(0, array(op, "edge_padding_low"))),
                    "edge_padding_high", i64(prepend(0, array(op, "edge_padding_high"))),
                    "interior_padding", i64(prepend(0, array(op, "interior_padding"))));
            Value x = b.materialize(a.get(0), 0);        // spelled out per example when only the padding value is batched
            if (!a.get(1).batched()) return lead(b, op, List.of(x, a.get(1).value()), props);
            TensorType rt = b.batchedType(op.result(0).type(), 0);
            return List.of(BatchedFill.padWithBatchedValue(b, x, a.get(1), (v, p, et) ->
                    b.emitLike(op, List.of(v, p), props, List.of(), List.of(rt.withElementType(et))).get(0)));
        });
        // Bit width changes add or drop a trailing dimension only, so a leading batch dimension is untouched.
        in.rule("stablehlo.bitcast_convert", (b, op, a) -> lead(b, op, List.of(b.moveTo(a.get(0), 0)), Map.of()));
        // Linear algebra and FFTs work on trailing dimensions; leading ones are batch dimensions already.
        for (String n : List.of("stablehlo.cholesky", "stablehlo.fft")) {
            in.rule(n, (b, op, a) -> lead(b, op, List.of(b.moveTo(a.get(0), 0)), Map.of()));
        }
        in.rule("stablehlo.triangular_solve", (b, op, a) -> lead(b, op, List.of(b.materialize(a.get(0), 0), b.materialize(a.get(1), 0)),
                Map.of()));
        in.rule("stablehlo.map", (b, op, a) -> {
            List<Value> xs = new ArrayList<>();
            for (Batched x : a) xs.add(b.materialize(x, 0));
            return Batcher.all(b.emitLike(op, xs, Map.of("dimensions", i64(leading(0, array(op, "dimensions")))),
                    List.of(b.copyRegion(op, op.region(0))), b.batchedResults(op, 0)), 0);
        });
        // A barrier passes its operands through: each keeps its own batch dimension.
        in.rule("stablehlo.optimization_barrier", (b, op, a) -> {
            List<Value> xs = new ArrayList<>();
            List<Type> ts = new ArrayList<>();
            for (Batched x : a) { xs.add(x.value()); ts.add(x.value().type()); }
            List<Batched> out = new ArrayList<>();
            var rs = b.emitLike(op, xs, Map.of(), List.of(), ts);
            for (int i = 0; i < rs.size(); i++) out.add(Batched.of(rs.get(i), a.get(i).bdim()));
            return out;
        });
    }

    /** Re-emits {@code op} on operands whose batch dimension leads; every result leads with it too. */
    static List<Batched> lead(Batcher b, Operation op, List<Value> operands, Map<String, ? extends Attribute> props) {
        return Batcher.all(b.emitLike(op, operands, props, List.of(), b.batchedResults(op, 0)), 0);
    }
}
