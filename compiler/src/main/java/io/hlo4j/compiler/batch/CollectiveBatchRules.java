package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Collectives inside vmap. Every device holds a batch of examples; the collective runs once over the same replica
 * groups, the batch dimension being one more data dimension it carries along. Element-wise collectives (all_reduce,
 * collective_reduce, cross-replica-sum, collective_permute, collective_broadcast) keep each operand's batch
 * dimension where it is and leave unbatched operands alone; the ones with a dimension attribute (all_gather,
 * reduce_scatter, all_to_all) put the batch first and shift that attribute by one. A batched dynamic root of
 * collective_broadcast / collective_reduce is refused: one collective has one root.
 */
final class CollectiveBatchRules {
    private CollectiveBatchRules() {}

    static void install(BatchRules.Installer in) {
        for (String n : List.of("stablehlo.all_reduce", "stablehlo.collective_reduce", "stablehlo.cross-replica-sum",
                "stablehlo.collective_permute", "stablehlo.collective_broadcast")) {
            in.rule(n, CollectiveBatchRules::inPlace);
        }
        in.rule("stablehlo.all_gather", (b, op, a) -> leading(b, op, a, "all_gather_dim"));
        in.rule("stablehlo.reduce_scatter", (b, op, a) -> leading(b, op, a, "scatter_dimension"));
        in.rule("stablehlo.all_to_all", (b, op, a) -> leading(b, op, a, "split_dimension", "concat_dimension"));
    }

    /** Data operands keep their batch dimensions; result i is batched like operand i. */
    private static List<Batched> inPlace(Batcher b, Operation op, List<Batched> a) {
        int data = op.numResults();
        for (int i = data; i < a.size(); i++) {
            if (a.get(i).batched()) {
                throw b.refuse(op, a, "the dynamic root (operand #" + i + ") is batched; one collective has one root for all examples");
            }
        }
        List<Value> xs = new ArrayList<>();
        List<Type> ts = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) xs.add(a.get(i).value());
        for (int i = 0; i < data; i++) {
            Batched x = a.get(i);
            ts.add(x.batched() ? b.batchedType(op.result(i).type(), x.bdim()) : op.result(i).type());
        }
        List<Region> regions = new ArrayList<>();
        for (Region r : op.regions()) regions.add(b.copyRegion(op, r));
        var rs = b.emitLike(op, xs, Map.of(), regions, ts);
        List<Batched> out = new ArrayList<>();
        for (int i = 0; i < data; i++) out.add(Batched.of(rs.get(i), a.get(i).bdim()));
        return out;
    }

    /** Every operand batched at 0 (the dimension attributes are shared), the named dimensions shifted by one. */
    private static List<Batched> leading(Batcher b, Operation op, List<Batched> a, String... dims) {
        List<Value> xs = new ArrayList<>();
        for (Batched x : a) xs.add(b.materialize(x, 0));
        Map<String, IntegerAttr> props = new HashMap<>();
        for (String d : dims) props.put(d, IntegerAttr.i64(((IntegerAttr) op.attr(d)).value() + 1));
        List<Region> regions = new ArrayList<>();
        for (Region r : op.regions()) regions.add(b.copyRegion(op, r));
        return Batcher.all(b.emitLike(op, xs, props, regions, b.batchedResults(op, 0)), 0);
    }
}
