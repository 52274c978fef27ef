package io.hlo4j.compiler.ad;

/** The explicit list of ops whose operands never receive a cotangent, grouped by why. */
final class NonDifferentiableOps {
    private NonDifferentiableOps() {}

    static void install(VjpRules.Installer in) {
        in.nonDifferentiable("produces no float values from float inputs (constants, iota, shapes)",
                "stablehlo.constant", "stablehlo.iota");
        in.nonDifferentiable("comparison: boolean result",
                "stablehlo.compare");
        in.nonDifferentiable("piecewise constant: zero derivative almost everywhere",
                "stablehlo.sign", "stablehlo.floor", "stablehlo.ceil", "stablehlo.round_nearest_afz",
                "stablehlo.round_nearest_even");
        in.nonDifferentiable("integer/bit ops",
                "stablehlo.and", "stablehlo.or", "stablehlo.xor", "stablehlo.not", "stablehlo.shift_left",
                "stablehlo.shift_right_arithmetic", "stablehlo.shift_right_logical", "stablehlo.popcnt",
                "stablehlo.count_leading_zeros", "stablehlo.is_finite");
    }
}
