package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code custom_call @ragged_all_to_all(operand, output, input_offsets, send_sizes, output_offsets, recv_sizes)}
 * (the expert-parallel MoE exchange), transposed as JAX's parallel.py does. Sender j's rows
 * [input_offsets_j[i], +send_sizes_j[i]) land in receiver i at output_offsets_j[i]; so the operand's cotangent is
 * the same exchange run backwards: each device sends the cotangent rows it received back to their senders
 * (operand = ct, output = zeros, input offsets = the offsets others wrote at, send sizes = recv_sizes, output
 * offsets = the offsets others read from, recv sizes = send_sizes), where "the offsets others used" are all_to_all'ed
 * offset vectors. The output buffer's cotangent is ct with the received rows zeroed (they were overwritten).
 */
final class RaggedAllToAllRule {
    private RaggedAllToAllRule() {}

    static List<Value> vjp(Backward b, Operation op, List<Value> g) {
        if (op.numOperands() != 6) throw b.refuse(op, "ragged_all_to_all takes 6 operands, got " + op.numOperands());
        Value operand = op.operand(0), output = op.operand(1);
        Value inOff = op.operand(2), send = op.operand(3), outOff = op.operand(4), recv = op.operand(5), ct = g.get(0);
        if (!(op.attr("backend_config") instanceof DictionaryAttr cfg) || cfg.get("replica_groups") == null) {
            throw b.refuse(op, "ragged_all_to_all needs backend_config = {replica_groups = ...} to be transposed");
        }
        long channel = cfg.get("channel_id") instanceof IntegerAttr c ? c.value() : 0;
        Value outOffThere = exchange(b, outOff, cfg.get("replica_groups"), channel);
        Value inOffThere = exchange(b, inOff, cfg.get("replica_groups"), channel);
        Value operandCt = b.ir().emit(op.name(), List.of(ct, b.zerosLike(operand), outOffThere, recv, inOffThere, send), attrs(op),
                List.of(), List.of(operand.type()), b.loc()).get(0);
        Value outputCt = b.select(received(b, ct, outOffThere, recv), b.zerosLike(ct), ct);
        return Arrays.asList(operandCt, Backward.differentiable(output.type()) ? outputCt : null, null, null, null, null);
    }

    private static Map<String, Attribute> attrs(Operation op) {
        Map<String, Attribute> p = new TreeMap<>();
        for (String n : List.of("call_target_name", "api_version", "backend_config", "has_side_effect")) if (op.attr(n) != null) p.put(n, op.attr(n));
        return p;
    }

    /** On device i, element j becomes device j's element i: the value the j-th group member used for i. */
    private static Value exchange(Backward b, Value v, Attribute groups, long channel) {
        TensorType t = Backward.tensor(v);
        Map<String, Attribute> p = new TreeMap<>();
        p.put("split_dimension", IntegerAttr.i64(0));
        p.put("concat_dimension", IntegerAttr.i64(0));
        p.put("split_count", IntegerAttr.i64(t.dim(0)));
        p.put("replica_groups", groups);
        if (channel > 0) p.put("channel_handle", new ChannelHandle(channel, 1));
        return b.ir().emit("stablehlo.all_to_all", List.of(v), p, List.of(), List.of(t), b.loc()).get(0);
    }

    /** A boolean of ct's shape: the row lies in some [offsets[j], offsets[j] + sizes[j]). */
    private static Value received(Backward b, Value ct, Value offsets, Value sizes) {
        TensorType t = Backward.tensor(ct);
        long rows = t.dim(0), n = Backward.tensor(offsets).dim(0);
        TensorType grid = TensorType.of(IntegerType.I64, rows, n);
        Value row = b.hlo().iota(grid, 0, b.loc());
        Value lo = b.broadcast(b.castTo(offsets, IntegerType.I64), grid, new long[] {1});
        Value hi = b.add(lo, b.broadcast(b.castTo(sizes, IntegerType.I64), grid, new long[] {1}));
        Value inside = b.ir().emit1("stablehlo.and", List.of(b.compare("GE", row, lo), b.compare("LT", row, hi)), Map.of(), b.loc());
        Value count = b.sum(b.select(inside, b.full(grid, 1), b.full(grid, 0)), new long[] {1});
        Value any = b.compare("GT", count, b.full(TensorType.of(IntegerType.I64, rows), 0));
        return b.broadcast(any, t.withElementType(IntegerType.I1), new long[] {0});
    }
}
