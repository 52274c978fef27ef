package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walks the op registry and reports which ops have a batching rule, which are refused with a reason and which have
 * none (so the gap is known), and checks the ops models trace, and the families added since (collectives, Shardy,
 * convolutions, dynamic shapes, and the last ones), all have one.
 */
class BatchRulesRegistryTest {
    /** Ops the DSL's models trace (element-wise math, shapes, reductions, contractions, indexing, control flow). */
    static final List<String> REQUIRED = List.of(
            "stablehlo.add", "stablehlo.subtract", "stablehlo.multiply", "stablehlo.divide", "stablehlo.maximum",
            "stablehlo.minimum", "stablehlo.power", "stablehlo.negate", "stablehlo.exponential", "stablehlo.log",
            "stablehlo.tanh", "stablehlo.logistic", "stablehlo.rsqrt", "stablehlo.sqrt", "stablehlo.abs", "stablehlo.and",
            "stablehlo.or", "stablehlo.not", "stablehlo.compare", "stablehlo.select", "stablehlo.clamp", "stablehlo.convert",
            "stablehlo.is_finite", "chlo.erf", "stablehlo.broadcast_in_dim",
            "stablehlo.reshape", "stablehlo.transpose", "stablehlo.reverse", "stablehlo.slice", "stablehlo.concatenate",
            "stablehlo.pad", "stablehlo.bitcast_convert", "stablehlo.optimization_barrier", "stablehlo.reduce",
            "stablehlo.reduce_window", "stablehlo.sort", "chlo.top_k", "stablehlo.dot_general", "chlo.ragged_dot",
            "stablehlo.dynamic_slice", "stablehlo.dynamic_update_slice", "stablehlo.gather", "stablehlo.scatter",
            "stablehlo.while", "stablehlo.if", "stablehlo.case");

    /** Ops covered beyond what models trace: convolutions, collectives, Shardy, dynamic shapes, rng, custom_call. */
    static final List<String> ALSO = List.of(
            "stablehlo.convolution", "stablehlo.dynamic_conv", "stablehlo.all_reduce", "stablehlo.all_gather",
            "stablehlo.reduce_scatter", "stablehlo.all_to_all", "stablehlo.collective_permute", "stablehlo.collective_broadcast",
            "stablehlo.collective_reduce", "stablehlo.cross-replica-sum", "sdy.sharding_constraint", "sdy.reshard",
            "sdy.propagation_barrier", "sdy.sharding_group", "sdy.data_flow_edge", "sdy.func_data_flow_edge", "sdy.manual_computation",
            "sdy.named_computation", "sdy.all_gather", "sdy.all_slice", "sdy.all_to_all", "sdy.collective_permute", "sdy.all_reduce",
            "sdy.reduce_scatter", "sdy.sharded_to_unreduced", "sdy.replicated_to_unreduced", "stablehlo.rng_bit_generator",
            "stablehlo.custom_call", "stablehlo.dynamic_broadcast_in_dim", "stablehlo.dynamic_reshape", "stablehlo.dynamic_iota",
            "stablehlo.dynamic_pad", "stablehlo.dynamic_gather", "stablehlo.real_dynamic_slice", "stablehlo.get_dimension_size",
            "stablehlo.set_dimension_size");

    /** The last families: chlo's broadcasting ops, batch norm, select_and_scatter, calls, tokens, scan, legacy ops. */
    static final List<String> LAST = List.of(
            "chlo.broadcast_add", "chlo.broadcast_compare", "chlo.broadcast_select", "chlo.constant_like",
            "stablehlo.batch_norm_training", "stablehlo.batch_norm_inference", "stablehlo.batch_norm_grad",
            "stablehlo.select_and_scatter", "func.call", "stablehlo.composite", "chlo.scan", "stablehlo.broadcast",
            "stablehlo.dot", "stablehlo.einsum", "stablehlo.unary_einsum", "stablehlo.torch_index_select");

    /** Terminators and module structure: never batched themselves (their function or parent op is). */
    static final List<String> STRUCTURE = List.of("builtin.module", "func.func", "func.return", "sdy.mesh", "sdy.return",
            "stablehlo.return");

    /**
     * Ops that never meet a batched input, so the batcher copies them and a rule would be dead: leaves with no operand,
     * and ops reading only tokens, tuples or futures (vmap batches tensors only; tuple and async_start refuse batched parts).
     */
    static final List<String> NEVER_BATCHED = List.of("stablehlo.constant", "stablehlo.iota", "chlo.constant", "sdy.constant",
            "stablehlo.create_token", "stablehlo.replica_id", "stablehlo.partition_id", "stablehlo.after_all", "stablehlo.infeed",
            "stablehlo.recv", "stablehlo.get_tuple_element", "stablehlo.async_done");

    @Test
    void reportsRuleCoverageAndModelOpsAreCovered() {
        BatchRules.install();
        TreeSet<String> with = new TreeSet<>(), refused = new TreeSet<>(), without = new TreeSet<>();
        for (OpDef d : OpRegistry.global().all()) {
            BatchRule rule = d.extension(BatchRule.class);
            if (rule instanceof BatchRule.Refusal) refused.add(d.name());
            else if (rule != null) with.add(d.name());
            else without.add(d.name());
        }
        System.out.println("batching rules: " + with.size() + " ops have one, " + refused.size() + " are refused with a reason, "
                + without.size() + " have none");
        System.out.println("  with a rule: " + with);
        System.out.println("  refused with a reason when an input is batched: " + refused);
        System.out.println("  without (terminators, module structure, and ops that never meet a batched input): " + without);
        assertThat(with).containsAll(REQUIRED).containsAll(ALSO).containsAll(LAST);
        // Every element-wise op of StableHLO and CHLO (chlo's implicitly broadcasting family included) is covered.
        for (OpDef d : OpRegistry.global().all()) {
            if (d.has(io.hlo4j.mlir.registry.OpTrait.ELEMENTWISE)) assertThat(with).as(d.name()).contains(d.name());
        }
        // I/O, tuples, async ops and the test dialects are refused with their reason; only structure has no rule.
        assertThat(refused).contains("stablehlo.send", "stablehlo.outfeed", "stablehlo.tuple", "stablehlo.async_start", "check.expect_eq",
                "stablehlo.rng");
        assertThat(without).containsExactlyInAnyOrderElementsOf(concat(STRUCTURE, NEVER_BATCHED));
        assertThat(with).hasSize(169);
        assertThat(refused).hasSize(15);
        assertThat(with.size() + refused.size() + without.size()).isEqualTo(202);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
