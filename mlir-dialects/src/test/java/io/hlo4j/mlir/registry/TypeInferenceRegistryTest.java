package io.hlo4j.mlir.registry;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walks the registry for the ops that declare a type inference rule. Builders (and the DSL) emit an op without
 * result types only through its rule, so every stablehlo op is either listed with a rule or named below with the
 * reason it has none: a new op fails here until someone decides which.
 */
class TypeInferenceRegistryTest {
    /** The ops the DSL and StablehloBuilder emit without stating result types: their rules must exist. */
    static final Set<String> TRACED_THROUGH_RULES = Set.of("transpose", "slice", "pad", "concatenate", "dynamic_slice", "dot_general",
            "gather", "if", "case", "while", "reduce", "sort", "scatter", "select", "compare", "add", "dynamic_update_slice",
            "reduce_window");

    /** Results the operands and attributes do not fix: the caller states them. */
    static final Set<String> CALLER_STATES_RESULT = Set.of(
            "iota", "reshape", "broadcast_in_dim", "convert", "bitcast_convert", "uniform_quantize", "rng", "rng_bit_generator",
            "infeed", "recv", "custom_call", "composite", "async_start", "async_done",
            // shapes given by runtime operands
            "dynamic_broadcast_in_dim", "dynamic_iota", "dynamic_pad", "dynamic_reshape", "real_dynamic_slice", "dynamic_gather",
            "dynamic_conv", "set_dimension_size",
            // a terminator has no results
            "return");

    /** Inferable from operands and attributes, but no rule is declared yet (results must be passed explicitly). */
    static final Set<String> NO_RULE_YET = Set.of(
            "all_gather", "reduce_scatter", "batch_norm_grad", "batch_norm_inference", "batch_norm_training", "convolution", "dot",
            "fft", "triangular_solve", "einsum", "unary_einsum", "torch_index_select", "broadcast");

    @Test
    void everyStablehloOpHasARuleOrANamedReasonForNone() {
        TreeSet<String> withRule = new TreeSet<>(), unexplained = new TreeSet<>(), stale = new TreeSet<>();
        for (OpDef d : OpRegistry.global().all()) {
            if (!d.name().startsWith("stablehlo.")) continue;
            String op = d.name().substring("stablehlo.".length());
            boolean listed = CALLER_STATES_RESULT.contains(op) || NO_RULE_YET.contains(op);
            if (d.typeInference() != null) {
                withRule.add(op);
                if (listed) stale.add(op);
            } else if (!listed) {
                unexplained.add(op);
            }
        }
        System.out.println("stablehlo ops with a type inference rule (" + withRule.size() + "): " + withRule);
        assertThat(unexplained).as("stablehlo ops with no type rule and no reason listed here").isEmpty();
        assertThat(stale).as("ops listed as having no rule that now have one").isEmpty();
        assertThat(withRule).containsAll(TRACED_THROUGH_RULES);
        assertThat(withRule.size()).isGreaterThan(60);
    }
}
