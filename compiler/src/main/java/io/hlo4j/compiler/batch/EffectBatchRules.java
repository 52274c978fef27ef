package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.Map;

/**
 * Ops with effects: the legacy {@code rng}, and the refusals of I/O, tuples, async ops and the test-only dialects
 * when one of their inputs is batched.
 *
 * <p>No token, tuple or future is ever batched ({@link Batching} batches tensors only, and the ops making tuples and
 * futures refuse batched parts), so ops that read nothing else never meet a batched input and have no rule:
 * {@link Batcher} copies {@code create_token}, {@code replica_id}, {@code partition_id} (no operand),
 * {@code after_all}, {@code infeed}, {@code recv} (tokens only), {@code get_tuple_element} and {@code async_done} as
 * they are (an infeed or recv is read once, every example gets the same message, as with unbatched rng bounds).
 *
 * <p>{@code rng} with batched bounds: the legacy op's draws are implementation-defined (no key or state to keep per
 * example), so the batch draws its examples together, independently: one {@code rng} of shape {@code [B, shape...]}
 * from the standard distribution (UNIFORM on [0, 1), NORMAL with mu 0, sigma 1), each example's then mapped onto its
 * own bounds, {@code a + (b - a) u} (an element that rounds up to b becomes a, staying in [a, b)) or
 * {@code mu + sigma z}. Examples therefore get different numbers from the per-example runs (as they would from two
 * runs), but each is distributed as its own run's. Integer UNIFORM with batched bounds is refused (no exact affine
 * map of integers). With unbatched bounds the op is not batched: every example gets the same numbers, as JAX gives
 * under vmap with an unbatched key.
 */
final class EffectBatchRules {
    private EffectBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.rng", EffectBatchRules::rng);
        refuse(in, "I/O is ordered per message: a batch would send one message where the examples send one each, in an order "
                + "vmap cannot choose (send per example with a loop, or send the unbatched value)",
                "stablehlo.outfeed", "stablehlo.send");
        refuse(in, "a tuple's elements would each need their own batch dimension (tuples are legacy: pass the elements as separate values)",
                "stablehlo.tuple");
        refuse(in, "an async computation's future carries no batch dimensions (call the computation synchronously)",
                "stablehlo.async_start");
        refuse(in, "test and interpreter ops compare or print one example's values; batch the values under test instead",
                "check.expect_almost_eq", "check.expect_almost_eq_const", "check.expect_close", "check.expect_eq", "check.expect_eq_const",
                "check.expect_serialized_eq", "interpreter.print", "interpreter.probe", "interpreter.run_parallel");
        refuse(in, "an unrealized cast has no semantics to batch (a lowering left it behind)", "builtin.unrealized_conversion_cast");
    }

    private static void refuse(BatchRules.Installer in, String why, String... names) {
        for (String n : names) in.rule(n, new BatchRule.Refusal(why));
    }

    private static List<Batched> rng(Batcher b, Operation op, List<Batched> a) {
        if (a.get(2).batched()) throw b.refuse(op, a, "the shape operand is batched: each example would need its own result shape");
        TensorType rt = (TensorType) op.result(0).type();
        for (long d : rt.shape()) {
            if (d == TensorType.DYNAMIC) {
                throw b.refuse(op, a, "the result " + rt + " has a dynamic dimension; the batch's one draw of [B, shape...] is "
                        + "shaped by a constant, which needs static sizes");
            }
        }
        if (!(rt.elementType() instanceof FloatType ft)) {
            throw b.refuse(op, a, "integer UNIFORM bounds differ per example; an integer draw cannot be mapped onto other bounds exactly"
                    + " (draw floats, or draw with unbatched bounds and add an offset)");
        }
        String dist = String.valueOf(op.attr("rng_distribution"));
        boolean normal = dist.contains("NORMAL");
        if (!normal && !dist.contains("UNIFORM")) throw b.refuse(op, a, "unknown rng_distribution " + dist);
        var h = b.hlo();
        var loc = b.loc();
        long n = b.size();
        TensorType bt = Batcher.insert(rt, 0, n);
        TensorType st = (TensorType) op.operand(2).type();
        long[] dims = new long[bt.rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = bt.dim(i);
        Value shape = h.constant(Constants.ofLongs(TensorType.of(st.elementType(), dims.length), dims), loc);
        TensorType scalar = TensorType.scalar(ft);
        Value zero = h.constant(scalar, 0, loc), one = h.constant(scalar, 1, loc);
        Value u = b.emitLike(op, List.of(zero, one, shape), Map.<String, Attribute>of(), List.of(), List.<Type>of(bt)).get(0);
        Value lo = h.broadcastInDim(b.moveTo(lift(b, a.get(0)), 0), bt.shape(), new long[]{0}, loc);
        Value hi = h.broadcastInDim(b.moveTo(lift(b, a.get(1)), 0), bt.shape(), new long[]{0}, loc);
        if (normal) return List.of(Batched.of(h.add(lo, h.multiply(hi, u, loc), loc), 0));
        Value r = h.add(lo, h.multiply(h.subtract(hi, lo, loc), u, loc), loc);
        return List.of(Batched.of(h.select(h.compare("LT", r, hi, null, loc), r, lo, loc), 0));
    }

    /** A bound as a per-example vector {@code [B]} (an unbatched scalar bound broadcast). */
    private static Batched lift(Batcher b, Batched x) { return Batched.of(b.materialize(x, 0), 0); }
}
