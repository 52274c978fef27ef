package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.hlo4j.compiler.batch.DimMath.i64;
import static io.hlo4j.compiler.batch.DimMath.leading;
import static io.hlo4j.compiler.batch.DimMath.shift;

/**
 * Ops whose shape comes from an operand (dynamic_broadcast_in_dim, dynamic_reshape, dynamic_iota, dynamic_pad,
 * dynamic_gather, real_dynamic_slice) and the dimension-size ops. The data takes the batch dimension first and the
 * shape operand gets one more leading entry (the batch size, a zero start, a unit stride...). A batched shape operand
 * is refused by name: each example would have a result of its own shape, which one tensor cannot hold.
 * get_dimension_size of a batched value is the same for every example (it reads the shifted dimension).
 */
final class DynamicShapeBatchRules {
    private DynamicShapeBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.dynamic_broadcast_in_dim", (b, op, a) -> {
            shapeOperandsUnbatched(b, op, a, 1, "output_dimensions");
            Map<String, Attribute> props = new HashMap<>();
            props.put("broadcast_dimensions", i64(leading(0, DimMath.array(op, "broadcast_dimensions"))));
            for (String k : List.of("known_expanding_dimensions", "known_nonexpanding_dimensions")) {
                if (op.attr(k) instanceof DenseArrayAttr d) props.put(k, i64(shift(d.longs())));
            }
            return lead(b, op, List.of(b.moveTo(a.get(0), 0), prefixed(b, a.get(1).value(), b.size())), props);
        });
        in.rule("stablehlo.dynamic_reshape", (b, op, a) -> {
            shapeOperandsUnbatched(b, op, a, 1, "output_shape");
            return lead(b, op, List.of(b.moveTo(a.get(0), 0), prefixed(b, a.get(1).value(), b.size())), Map.of());
        });
        // dynamic_iota reads nothing but its shape: it reaches its rule only with a batched shape.
        in.rule("stablehlo.dynamic_iota", (b, op, a) -> {
            throw b.refuse(op, a, "the output_shape operand is batched; each example would get an iota of its own shape");
        });
        in.rule("stablehlo.dynamic_pad", (b, op, a) -> {
            shapeOperandsUnbatched(b, op, a, 2, "edge_padding_low", "edge_padding_high", "interior_padding");
            Value x = b.materialize(a.get(0), 0);
            List<Value> pads = new ArrayList<>();
            for (int i = 2; i < 5; i++) pads.add(prefixed(b, a.get(i).value(), 0));
            TensorType rt = b.batchedType(op.result(0).type(), 0);
            BatchedFill.PadEmitter emit = (v, p, et) -> {
                List<Value> ops = new ArrayList<>(List.of(v, p));
                ops.addAll(pads);
                return b.emitLike(op, ops, Map.of(), List.of(), List.of(rt.withElementType(et))).get(0);
            };
            if (!a.get(1).batched()) return List.of(Batched.of(emit.pad(x, a.get(1).value(), rt.elementType()), 0));
            return List.of(BatchedFill.padWithBatchedValue(b, x, a.get(1), emit));
        });
        in.rule("stablehlo.dynamic_gather", (b, op, a) -> {
            shapeOperandsUnbatched(b, op, a, 2, "slice_sizes");
            IndexingBatchRules.GatherPlan p = IndexingBatchRules.plan(b, op, a.get(0), a.get(1), new long[0]);
            Value sizes = a.get(2).value();
            if (p.sizePrefix() >= 0) sizes = prefixed(b, sizes, p.sizePrefix());
            return lead(b, op, List.of(p.operand(), p.indices(), sizes), Map.of("dimension_numbers", p.dn()));
        });
        in.rule("stablehlo.real_dynamic_slice", (b, op, a) -> {
            shapeOperandsUnbatched(b, op, a, 1, "start_indices", "limit_indices", "strides");
            return lead(b, op, List.of(b.moveTo(a.get(0), 0), prefixed(b, a.get(1).value(), 0), prefixed(b, a.get(2).value(), b.size()),
                    prefixed(b, a.get(3).value(), 1)), Map.of());
        });
        in.rule("stablehlo.get_dimension_size", (b, op, a) -> {
            Batched x = a.get(0);
            long d = ((IntegerAttr) op.attr("dimension")).value();
            long at = d >= x.bdim() ? d + 1 : d;
            Value v = b.emitLike(op, List.of(x.value()), Map.of("dimension", IntegerAttr.i64(at)), List.of(), List.of(op.result(0).type())).get(0);
            return List.of(Batched.unbatched(v));
        });
        in.rule("stablehlo.set_dimension_size", (b, op, a) -> {
            shapeOperandsUnbatched(b, op, a, 1, "size");
            long d = ((IntegerAttr) op.attr("dimension")).value();
            return lead(b, op, List.of(b.moveTo(a.get(0), 0), a.get(1).value()), Map.of("dimension", IntegerAttr.i64(d + 1)));
        });
    }

    /** Refuses, naming the operand, when any operand from {@code first} on (the shape operands) is batched. */
    private static void shapeOperandsUnbatched(Batcher b, Operation op, List<Batched> a, int first, String... names) {
        for (int i = first; i < a.size(); i++) {
            if (a.get(i).batched()) {
                String name = i - first < names.length ? names[i - first] : "#" + i;
                throw b.refuse(op, a, "the " + name + " operand (#" + i + ") is batched; each example would get a result of its own shape");
            }
        }
    }

    private static List<Batched> lead(Batcher b, Operation op, List<Value> operands, Map<String, ? extends Attribute> props) {
        return ShapeBatchRules.lead(b, op, operands, props);
    }

    /** The 1-D shape tensor {@code v} with {@code first} in front. */
    static Value prefixed(Batcher b, Value v, long first) {
        TensorType t = (TensorType) v.type();
        Value c = b.hlo().constant(TensorType.of(t.elementType(), 1), first, b.loc());
        return b.hlo().concatenate(List.of(c, v), 0, b.loc());
    }

}
