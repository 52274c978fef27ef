package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The collectives used inside shard_map, as their transposes over the same replica groups: all_reduce(sum) is its
 * own transpose, all_gather and reduce_scatter(sum) are each other's, all_to_all swaps its split and concat
 * dimensions, collective_permute inverts its source-target pairs. Sharding constraints and reshards are identities
 * that keep their sharding on the cotangent; propagation barriers and data-flow edges are plain identities.
 */
final class CollectiveRules {
    private CollectiveRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.all_reduce", (b, op, g) -> {
            requireSum(b, op, op.region(0));
            return b.ir().emit("stablehlo.all_reduce", g, props(op, "replica_groups", "channel_handle", "use_global_device_ids"),
                    List.of(sum(b, op)), op.operandTypes(), b.loc()).stream().map(v -> (Value) v).toList();
        });
        in.rule("stablehlo.all_gather", (b, op, g) -> {
            Map<String, Attribute> p = props(op, "replica_groups", "channel_handle", "use_global_device_ids");
            p.put("scatter_dimension", op.attr("all_gather_dim"));
            List<Value> out = new ArrayList<>();
            for (int i = 0; i < g.size(); i++) {
                out.add(b.ir().emit("stablehlo.reduce_scatter", List.of(g.get(i)), p, List.of(sum(b, op)),
                        List.of(op.operand(i).type()), b.loc()).get(0));
            }
            return out;
        });
        in.rule("stablehlo.reduce_scatter", (b, op, g) -> {
            requireSum(b, op, op.region(0));
            Map<String, Attribute> p = props(op, "replica_groups", "channel_handle", "use_global_device_ids");
            p.put("all_gather_dim", op.attr("scatter_dimension"));
            return List.of(b.ir().emit("stablehlo.all_gather", g, p, List.of(), op.operandTypes(), b.loc()).get(0));
        });
        in.rule("stablehlo.all_to_all", (b, op, g) -> {
            Map<String, Attribute> p = props(op, "replica_groups", "channel_handle", "split_count");
            p.put("split_dimension", op.attr("concat_dimension"));
            p.put("concat_dimension", op.attr("split_dimension"));
            return b.ir().emit("stablehlo.all_to_all", g, p, List.of(), op.operandTypes(), b.loc()).stream().map(v -> (Value) v).toList();
        });
        in.rule("stablehlo.collective_permute", (b, op, g) -> {
            Map<String, Attribute> p = props(op, "channel_handle");
            p.put("source_target_pairs", inverted(Attrs.get(op, "source_target_pairs", DenseElementsAttr.class)));
            return List.of(b.ir().emit("stablehlo.collective_permute", g, p, List.of(), op.operandTypes(), b.loc()).get(0));
        });
        // The cotangent of a constrained (or resharded) value gets the same constraint (reshard): it lives where the
        // value lives, which is what the partitioner should be told about the backward pass too.
        for (String id : List.of("sdy.sharding_constraint", "sdy.reshard")) {
            in.rule(id, (b, op, g) -> List.of(b.ir().emit(id, g, Map.of("sharding", op.attr("sharding")), List.of(),
                    List.of(op.operand(0).type()), b.loc()).get(0)));
        }
        for (String id : List.of("sdy.propagation_barrier", "sdy.data_flow_edge", "sdy.func_data_flow_edge")) {
            in.rule(id, (b, op, g) -> {
                if (op.numOperands() != g.size()) throw b.refuse(op, "expected one operand per result");
                return g;
            });
        }
    }

    private static void requireSum(Backward b, Operation op, Region body) {
        if (!"add".equals(ReduceRules.combiner(body))) throw b.refuse(op, "only sum reductions have a VJP rule");
    }

    private static Region sum(Backward b, Operation op) {
        Type t = op.operand(0).type();
        return b.hlo().combiner("add", ((TensorType) t).elementType(), b.loc());
    }

    private static Map<String, Attribute> props(Operation op, String... names) {
        Map<String, Attribute> p = new TreeMap<>();
        for (String n : names) if (op.attr(n) != null) p.put(n, op.attr(n));
        return p;
    }

    /** Source-target pairs with source and target swapped (an N x 2 integer tensor). */
    static DenseElementsAttr inverted(DenseElementsAttr pairs) {
        TensorType t = pairs.type();
        long[] v = Attrs.denseLongs(pairs);
        long[] swapped = new long[v.length];
        for (int i = 0; i + 1 < v.length; i += 2) { swapped[i] = v[i + 1]; swapped[i + 1] = v[i]; }
        return Constants.ofLongs(TensorType.of((IntegerType) t.elementType(), t.shape()), swapped);
    }
}
