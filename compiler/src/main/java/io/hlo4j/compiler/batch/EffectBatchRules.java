package io.hlo4j.compiler.batch;

/**
 * Ops with effects: the refusals of the legacy {@code rng}, I/O, tuples, async ops and the test-only dialects when
 * one of their inputs is batched.
 *
 * <p>No token, tuple or future is ever batched ({@link Batching} batches tensors only, and the ops making tuples and
 * futures refuse batched parts), so ops that read nothing else never meet a batched input and have no rule:
 * {@link Batcher} copies {@code create_token}, {@code replica_id}, {@code partition_id} (no operand),
 * {@code after_all}, {@code infeed}, {@code recv} (tokens only), {@code get_tuple_element} and {@code async_done} as
 * they are (an infeed or recv is read once, every example gets the same message, as with unbatched rng bounds).
 *
 * <p>{@code rng} with a batched input is refused, as JAX refuses it ({@code lax.rng_uniform} has no batching rule):
 * the legacy op's draws are implementation-defined and come from a hidden state, not from a key or state vmap could
 * give each example, so no batched draw can equal the per-example runs (on XLA two runs of one program already
 * differ). With unbatched bounds the op is not batched: every example gets the same numbers, as each per-example run
 * of the interpreter does and as JAX gives under vmap with an unbatched key.
 */
final class EffectBatchRules {
    private EffectBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.rng", new BatchRule.Refusal("the legacy rng draws from a hidden, implementation-defined state, so a batch "
                + "cannot reproduce each example's own draws (JAX has no batching rule for rng_uniform either); draw with "
                + "io.hlo4j.dsl.Random and per-example keys (each example then gets exactly its own run's numbers), or rng_bit_generator "
                + "with per-example states, or draw once with unbatched bounds and map the draws onto each example's bounds yourself"));
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
}
