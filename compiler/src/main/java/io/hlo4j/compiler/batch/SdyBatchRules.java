package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.dialect.sdy.AllToAllParams;
import io.hlo4j.mlir.dialect.sdy.AxisRefList;
import io.hlo4j.mlir.dialect.sdy.AxisRefListPerDim;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.SdyOps;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Shardy ops. The batch dimension is never sharded: wherever a sharding or a per-dimension axis list describes a
 * batched value, an unsharded closed dimension {@code {}} (an empty axis list) is inserted at the batch dimension
 * and the dimensions after it shift by one (all_to_all's source and target dimensions too).
 * <ul>
 *   <li>Values passed through (sharding_constraint, reshard, propagation_barrier, the data-flow edges, the explicit
 *   collectives sdy.all_gather ... replicated_to_unreduced, which keep the tensor type): the batch dimension stays
 *   where it is. sharding_group is re-emitted on the batched value.</li>
 *   <li>manual_computation and named_computation: batched operands take the batch first (unsharded, so every device
 *   holds the whole batch of its shard), the body is batched as a region of its own, results the body yields
 *   batched are batched first too.</li>
 * </ul>
 */
final class SdyBatchRules {
    private SdyBatchRules() {}

    static void install(BatchRules.Installer in) {
        for (String n : List.of(SdyOps.SHARDING_CONSTRAINT, SdyOps.RESHARD, SdyOps.PROPAGATION_BARRIER, SdyOps.DATA_FLOW_EDGE,
                SdyOps.FUNC_DATA_FLOW_EDGE, "sdy.all_gather", "sdy.all_slice", "sdy.all_to_all", "sdy.collective_permute",
                "sdy.all_reduce", "sdy.reduce_scatter", "sdy.sharded_to_unreduced", "sdy.replicated_to_unreduced")) {
            in.rule(n, SdyBatchRules::passThrough);
        }
        in.rule(SdyOps.SHARDING_GROUP, (b, op, a) -> {
            b.emitLike(op, List.of(a.get(0).value()), Map.of(), List.of(), List.of());
            return List.of();
        });
        in.rule(SdyOps.MANUAL_COMPUTATION, SdyBatchRules::computation);
        in.rule(SdyOps.NAMED_COMPUTATION, SdyBatchRules::computation);
    }

    /** One operand, one result of the same type: every dimension attribute gets the unsharded batch dimension. */
    private static List<Batched> passThrough(Batcher b, Operation op, List<Batched> a) {
        Batched x = a.get(0);
        int d = x.bdim();
        Map<String, Attribute> props = new HashMap<>();
        for (var e : op.properties().asMap().entrySet()) {
            Attribute v = e.getValue(), w = withBatchDim(v, d);
            if (w != v) props.put(e.getKey(), w);
        }
        return List.of(Batched.of(b.emitLike(op, List.of(x.value()), props, List.of(), List.of(x.value().type())).get(0), d));
    }

    /** {@code attr} describing a value that gained an unsharded dimension at {@code d}; other attributes unchanged. */
    static Attribute withBatchDim(Attribute attr, int d) {
        return switch (attr) {
            case TensorSharding s -> insert(s, d);
            case AxisRefListPerDim l -> {
                List<AxisRefList> dims = new ArrayList<>(l.dims());
                dims.add(d, new AxisRefList(List.of()));
                yield new AxisRefListPerDim(dims);
            }
            case AllToAllParams p -> {
                List<AllToAllParams.Param> ps = new ArrayList<>();
                for (AllToAllParams.Param q : p.params()) {
                    ps.add(new AllToAllParams.Param(q.axes(), q.sourceDim() + (q.sourceDim() >= d ? 1 : 0),
                            q.targetDim() + (q.targetDim() >= d ? 1 : 0)));
                }
                yield new AllToAllParams(ps);
            }
            default -> attr;
        };
    }

    static TensorSharding insert(TensorSharding s, int d) {
        List<DimensionSharding> dims = new ArrayList<>(s.dimShardings());
        dims.add(d, new DimensionSharding(List.of(), true, null));
        return new TensorSharding(s.meshName(), s.inlineMesh(), dims, s.replicatedAxes(), s.unreducedAxes(), s.reduction());
    }

    /**
     * manual_computation / named_computation: operands batched first, their in_shardings with {@code {}} there; the body
     * batched with its arguments batched alike; results batched first where the body yields a batched value.
     */
    private static List<Batched> computation(Batcher b, Operation op, List<Batched> a) {
        Block body = op.region(0).entry();
        List<Value> xs = new ArrayList<>();
        List<Type> argTypes = new ArrayList<>();
        List<Integer> argDims = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            Batched x = a.get(i);
            xs.add(x.batched() ? b.moveTo(x, 0) : x.value());
            Type local = body.argument(i).type();
            argTypes.add(x.batched() ? b.batchedType(local, 0) : local);
            argDims.add(x.batched() ? 0 : Batched.NONE);
        }
        int nr = op.numResults();
        boolean[] bat = new boolean[nr];
        Region region = b.region(body, argTypes, argDims, (child, args, outs) -> {
            List<Value> ys = new ArrayList<>();
            for (int i = 0; i < nr; i++) {
                bat[i] = outs.get(i).batched();
                ys.add(bat[i] ? child.moveTo(outs.get(i), 0) : outs.get(i).value());
            }
            return ys;
        });
        Map<String, Attribute> props = new HashMap<>();
        if (op.attr("in_shardings") instanceof TensorShardingPerValue ins) {
            List<TensorSharding> ss = new ArrayList<>();
            for (int i = 0; i < ins.size(); i++) ss.add(a.get(i).batched() ? insert(ins.get(i), 0) : ins.get(i));
            props.put("in_shardings", new TensorShardingPerValue(ss));
        }
        if (op.attr("out_shardings") instanceof TensorShardingPerValue outs) {
            List<TensorSharding> ss = new ArrayList<>();
            for (int i = 0; i < outs.size(); i++) ss.add(bat[i] ? insert(outs.get(i), 0) : outs.get(i));
            props.put("out_shardings", new TensorShardingPerValue(ss));
        }
        List<Type> ts = new ArrayList<>();
        for (int i = 0; i < nr; i++) ts.add(bat[i] ? b.batchedType(op.result(i).type(), 0) : op.result(i).type());
        var rs = b.emitLike(op, xs, props, List.of(region), ts);
        List<Batched> out = new ArrayList<>();
        for (int i = 0; i < nr; i++) out.add(Batched.of(rs.get(i), bat[i] ? 0 : Batched.NONE));
        return out;
    }
}
