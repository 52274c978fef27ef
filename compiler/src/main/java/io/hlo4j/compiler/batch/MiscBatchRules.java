package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * rng_bit_generator and custom_call.
 *
 * <p>rng_bit_generator with a batched state: each example must get the bits and next state its own state gives,
 * and the generator's algorithm is a black box to a rule (THREE_FRY, PHILOX or the backend's DEFAULT). JAX's rule
 * generates the whole batch from the first example's state only, so its examples do not equal their own runs;
 * here the op runs once per example in a {@code stablehlo.while} over the batch (the one per-example loop vmap
 * emits), each step writing its example's state and bits into the batched results. An unbatched state never reaches
 * the rule (the op is copied): every example gets the same bits, as in JAX.
 *
 * <p>custom_call is refused by name with its target: what the callee does with a batch dimension is unknown.
 */
final class MiscBatchRules {
    private MiscBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.rng_bit_generator", MiscBatchRules::rngBitGenerator);
        in.rule("stablehlo.custom_call", (b, op, a) -> {
            String target = op.attr("call_target_name") instanceof StringAttr s ? s.value() : "?";
            throw b.refuse(op, a, "custom call target '" + target + "' is opaque; no rule can know how it treats a batch dimension"
                    + " (call it per example or write the computation with StableHLO ops)");
        });
    }

    private static List<Batched> rngBitGenerator(Batcher b, Operation op, List<Batched> a) {
        Location loc = b.loc();
        TensorType st = (TensorType) op.operand(0).type(), ot = (TensorType) op.result(1).type();
        long n = b.size();
        TensorType i64 = TensorType.scalar(IntegerType.I64);
        var h = b.hlo();
        Value states = b.moveTo(a.get(0), 0);
        Value bits = h.constant(Batcher.insert(ot, 0, n), 0, loc);
        List<OpResult> rs = h.whileLoop(List.of(h.constant(i64, 0, loc), states, bits),
                c -> List.of(c.compare("LT", c.ir().argument(0), c.constant(i64, n, loc), null, loc)),
                d -> {
                    Value i = d.ir().argument(0), ss = d.ir().argument(1), bs = d.ir().argument(2);
                    Value zero = d.constant(i64, 0, loc);
                    Value s = d.reshape(d.dynamicSlice(ss, starts(i, zero, st.rank()), DimMath.prepend(1, st.shape()), loc), st.shape(), loc);
                    List<OpResult> g = d.ir().emit(op.name(), List.of(s), op.properties().asMap(), List.of(), List.of(st, ot), loc);
                    Value ss2 = d.dynamicUpdateSlice(ss, d.reshape(g.get(0), DimMath.prepend(1, st.shape()), loc), starts(i, zero, st.rank()), loc);
                    Value bs2 = d.dynamicUpdateSlice(bs, d.reshape(g.get(1), DimMath.prepend(1, ot.shape()), loc), starts(i, zero, ot.rank()), loc);
                    return List.of(d.add(i, d.constant(i64, 1, loc), loc), ss2, bs2);
                }, loc);
        return List.of(Batched.of(rs.get(1), 0), Batched.of(rs.get(2), 0));
    }

    /** {@code [i, 0, ..., 0]}: example i's block of a value batched at 0 whose examples have rank {@code rank}. */
    private static List<Value> starts(Value i, Value zero, int rank) {
        List<Value> out = new ArrayList<>(List.of(i));
        for (int k = 0; k < rank; k++) out.add(zero);
        return out;
    }
}
