package io.hlo4j.mlir.dialect.stablehlo;

import java.util.Set;

/** The ops this part declares (ElementwiseOps, ElementwiseMiscOps, DataMovementOps, DotConvOps). */
final class PartAOps {
    private PartAOps() {}

    static final Set<String> NAMES = Set.of(
            "abs", "cbrt", "ceil", "convert", "count_leading_zeros", "cosine", "exponential", "exponential_minus_one",
            "floor", "imag", "is_finite", "log", "log_plus_one", "logistic", "not", "negate", "popcnt", "real",
            "round_nearest_afz", "round_nearest_even", "rsqrt", "sign", "sine", "sqrt", "tan", "tanh",
            "uniform_quantize", "uniform_dequantize", "add", "atan2", "divide", "maximum", "minimum", "multiply",
            "power", "remainder", "shift_left", "shift_right_arithmetic", "shift_right_logical", "subtract", "and",
            "or", "xor", "complex", "compare", "select", "clamp", "reduce_precision", "constant", "iota",
            "broadcast_in_dim", "dynamic_broadcast_in_dim", "transpose", "reverse", "reshape", "bitcast_convert",
            "dynamic_reshape", "real_dynamic_slice", "dynamic_pad", "dynamic_update_slice", "slice", "pad",
            "concatenate", "dynamic_slice", "dynamic_iota", "get_dimension_size", "gather", "dynamic_gather", "tuple",
            "get_tuple_element", "dot_general", "dot", "convolution", "dynamic_conv", "fft", "cholesky",
            "triangular_solve", "batch_norm_inference", "batch_norm_training", "batch_norm_grad", "broadcast",
            "set_dimension_size", "einsum", "unary_einsum", "torch_index_select")
            .stream().map(n -> "stablehlo." + n).collect(java.util.stream.Collectors.toUnmodifiableSet());
}
