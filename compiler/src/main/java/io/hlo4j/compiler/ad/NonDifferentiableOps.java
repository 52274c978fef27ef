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
                "stablehlo.floor", "stablehlo.ceil", "stablehlo.round_nearest_afz",
                "stablehlo.round_nearest_even");
        in.nonDifferentiable("integer/bit ops",
                "stablehlo.and", "stablehlo.or", "stablehlo.xor", "stablehlo.not", "stablehlo.shift_left",
                "stablehlo.shift_right_arithmetic", "stablehlo.shift_right_logical", "stablehlo.popcnt",
                "stablehlo.count_leading_zeros", "stablehlo.is_finite", "stablehlo.bitcast_convert",
                "chlo.broadcast_and", "chlo.broadcast_or", "chlo.broadcast_xor", "chlo.broadcast_shift_left",
                "chlo.broadcast_shift_right_arithmetic", "chlo.broadcast_shift_right_logical", "chlo.mulhi");
        in.nonDifferentiable("boolean result",
                "chlo.is_inf", "chlo.is_neg_inf", "chlo.is_pos_inf", "chlo.broadcast_compare");
        in.nonDifferentiable("constant: no dependence on float operands",
                "chlo.constant", "chlo.constant_like", "sdy.constant", "stablehlo.dynamic_iota", "stablehlo.get_dimension_size",
                "stablehlo.set_dimension_size", "stablehlo.partition_id", "stablehlo.replica_id");
        in.nonDifferentiable("random bits: sampling has no gradient with respect to its state",
                "stablehlo.rng", "stablehlo.rng_bit_generator");
        in.nonDifferentiable("tokens and host I/O",
                "stablehlo.after_all", "stablehlo.create_token", "stablehlo.infeed", "stablehlo.outfeed", "stablehlo.send",
                "stablehlo.recv");
        in.nonDifferentiable("structure: functions, modules and terminators are handled by the transformation itself",
                "builtin.module", "func.func", "func.return", "stablehlo.return", "sdy.return", "sdy.mesh",
                "sdy.sharding_group");
        in.nonDifferentiable("test and debugging ops of the interpreter",
                "check.expect_almost_eq", "check.expect_almost_eq_const", "check.expect_close", "check.expect_eq",
                "check.expect_eq_const", "check.expect_serialized_eq", "interpreter.print", "interpreter.probe",
                "interpreter.run_parallel");
    }
}
