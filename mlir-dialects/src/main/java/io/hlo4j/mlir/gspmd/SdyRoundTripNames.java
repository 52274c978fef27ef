package io.hlo4j.mlir.gspmd;

/**
 * The names Shardy's round-trip form (what {@code jax.export} serializes) writes, in one place for the importer,
 * the interpreter's custom-call kernels and the CLI that routes a module to one or the other.
 */
public final class SdyRoundTripNames {
    private SdyRoundTripNames() {}

    /** The custom call that opens a shard_map: global operands in, per-device operands out. */
    public static final String GLOBAL_TO_LOCAL = "xla.sdy.GlobalToLocalShape";
    /** The custom call that closes a shard_map: per-device results in, global results out. */
    public static final String LOCAL_TO_GLOBAL = "xla.sdy.LocalToGlobalShape";
    /** A result's sharding, on the custom call that feeds the function's return. */
    public static final String FUNC_RESULT_SHARDING = "xla.sdy.FuncResultSharding";
    /** The prefix of the function (and the {@code func.call}) that holds a shard_map's body. */
    public static final String BODY_PREFIX = "xla.sdy.manual_computation_body";
}
