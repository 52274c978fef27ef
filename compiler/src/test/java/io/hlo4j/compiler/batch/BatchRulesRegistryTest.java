package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walks the op registry and reports which ops have a batching rule and which do not (so the gap is known), and
 * checks the ops models trace, and the families added since (collectives, Shardy, convolutions, dynamic shapes), all have one.
 */
class BatchRulesRegistryTest {
    /** Ops the DSL's models trace (element-wise math, shapes, reductions, contractions, indexing, control flow). */
    static final List<String> REQUIRED = List.of(
            "stablehlo.add", "stablehlo.subtract", "stablehlo.multiply", "stablehlo.divide", "stablehlo.maximum",
            "stablehlo.minimum", "stablehlo.power", "stablehlo.negate", "stablehlo.exponential", "stablehlo.log",
            "stablehlo.tanh", "stablehlo.logistic", "stablehlo.rsqrt", "stablehlo.sqrt", "stablehlo.abs", "stablehlo.and",
            "stablehlo.or", "stablehlo.not", "stablehlo.compare", "stablehlo.select", "stablehlo.clamp", "stablehlo.convert",
            "stablehlo.is_finite", "chlo.erf", "stablehlo.constant", "stablehlo.iota", "stablehlo.broadcast_in_dim",
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

    @Test
    void reportsRuleCoverageAndModelOpsAreCovered() {
        BatchRules.install();
        TreeSet<String> with = new TreeSet<>(), without = new TreeSet<>();
        for (OpDef d : OpRegistry.global().all()) {
            if (d.extension(BatchRule.class) != null) with.add(d.name());
            else without.add(d.name());
        }
        System.out.println("batching rules: " + with.size() + " ops have one, " + without.size() + " do not");
        System.out.println("  with a rule: " + with);
        System.out.println("  without (refused by name when an input is batched): " + without);
        assertThat(with).containsAll(REQUIRED).containsAll(ALSO);
        // Every element-wise op of StableHLO and CHLO (but chlo's implicitly broadcasting family) is covered.
        for (OpDef d : OpRegistry.global().all()) {
            if (d.has(io.hlo4j.mlir.registry.OpTrait.ELEMENTWISE) && !d.name().startsWith("chlo.broadcast_")) {
                assertThat(with).as(d.name()).contains(d.name());
            }
        }
        // Terminators, calls, tokens and the legacy/implicit-broadcast ops have none; they are refused, and the report says so.
        assertThat(without).contains("stablehlo.return", "func.call", "stablehlo.send", "chlo.broadcast_add", "stablehlo.rng");
        assertThat(with).hasSize(137);
        assertThat(without).hasSize(65);
    }
}
