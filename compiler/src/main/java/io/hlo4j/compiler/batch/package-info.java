/**
 * {@code vmap} at the IR level: {@link io.hlo4j.compiler.batch.Batching} maps a {@code func.func} over a new batch
 * dimension. Every value of the function carries its batch dimension, or none when it does not depend on a batched
 * argument ({@link io.hlo4j.compiler.batch.Batched}); an op whose inputs are all unbatched is copied as it is, any
 * other op is rewritten by the {@link io.hlo4j.compiler.batch.BatchRule} attached to its
 * {@link io.hlo4j.mlir.registry.OpDef}, beside its VJP rule. An op deliberately not batched (I/O, tuples) has a
 * {@link io.hlo4j.compiler.batch.BatchRule.Refusal} saying why; it, like an op without a rule, is refused by name at
 * the user's line. Calls stay calls, of copies of their callees batched for the operands they get, checkpoint and
 * custom-VJP markers included ({@code KeptCalls}); composites are inlined ({@code CallBatchRules}). There
 * is no per-example loop, except for {@code rng_bit_generator} with per-example states (an opaque generator: it
 * runs once per example in a {@code while} over the batch, see {@code MiscBatchRules}).
 */
package io.hlo4j.compiler.batch;
