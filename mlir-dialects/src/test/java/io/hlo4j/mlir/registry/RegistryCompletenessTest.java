package io.hlo4j.mlir.registry;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Walks the op registry: every op of the spec is declared, and every declaration is complete. */
class RegistryCompletenessTest {
    /** Every op of the StableHLO specification (spec.md at the commit the conformance files come from). */
    static final List<String> STABLEHLO_SPEC_OPS = List.of(
            "abs", "add", "after_all", "all_gather", "all_reduce", "all_to_all", "and", "atan2",
            "batch_norm_grad", "batch_norm_inference", "batch_norm_training", "bitcast_convert",
            "broadcast_in_dim", "case", "cbrt", "ceil", "cholesky", "clamp", "collective_broadcast",
            "collective_permute", "compare", "complex", "composite", "concatenate", "constant", "convert",
            "convolution", "cosine", "count_leading_zeros", "custom_call", "divide", "dot_general",
            "dynamic_broadcast_in_dim", "dynamic_conv", "dynamic_gather", "dynamic_iota", "dynamic_pad",
            "dynamic_reshape", "dynamic_slice", "dynamic_update_slice", "exponential", "exponential_minus_one",
            "fft", "floor", "gather", "get_dimension_size", "get_tuple_element", "if", "imag", "infeed", "iota",
            "is_finite", "log", "log_plus_one", "logistic", "map", "maximum", "minimum", "multiply", "negate",
            "not", "optimization_barrier", "or", "outfeed", "pad", "partition_id", "popcnt", "power", "real",
            "real_dynamic_slice", "recv", "reduce", "reduce_precision", "reduce_scatter", "reduce_window",
            "remainder", "replica_id", "reshape", "return", "reverse", "rng", "rng_bit_generator",
            "round_nearest_afz", "round_nearest_even", "rsqrt", "scatter", "select", "select_and_scatter", "send",
            "shift_left", "shift_right_arithmetic", "shift_right_logical", "sign", "sine", "slice", "sort", "sqrt",
            "subtract", "tan", "tanh", "transpose", "triangular_solve", "tuple", "uniform_dequantize",
            "uniform_quantize", "while", "xor");

    @Test
    void everySpecOpIsDeclared() {
        OpRegistry r = OpRegistry.global();
        List<String> missing = new ArrayList<>();
        for (String op : STABLEHLO_SPEC_OPS) if (r.lookup("stablehlo." + op) == null) missing.add(op);
        for (String op : List.of("func.func", "func.call", "func.return", "builtin.module", "chlo.ragged_dot",
                "chlo.top_k", "sdy.mesh", "sdy.sharding_constraint", "sdy.reshard", "sdy.manual_computation",
                "sdy.return", "interpreter.run_parallel", "check.expect_eq", "check.expect_eq_const",
                "check.expect_almost_eq", "check.expect_almost_eq_const", "check.expect_close")) {
            if (r.lookup(op) == null) missing.add(op);
        }
        assertThat(missing).as("ops without a declaration").isEmpty();
    }

    @Test
    void everyDeclarationHasSyntaxAndVerifier() {
        for (OpDef d : OpRegistry.global().all()) {
            assertThat(d.syntax()).as(d.name() + " syntax").isNotNull();
            assertThat(d.verifier()).as(d.name() + " verifier").isNotNull();
            assertThat(d.name()).as("op names are dialect-qualified").contains(".");
        }
    }
}
