package io.hlo4j.compiler.spmd.partition;

/**
 * How the {@link Partitioner} decides where it has a choice, passed down explicitly (no global state).
 *
 * @param planByBytes pick the factor plan of dot_general, chlo.ragged_dot and convolution by the bytes it moves
 *                    ({@link PlanChoice}); false keeps every op's default plan, which tests use to measure what the
 *                    choice saves
 */
public record PartitionOptions(boolean planByBytes) {
    /** What {@code Spmd.partition} and {@code Spmd.explicit} use. */
    public static final PartitionOptions DEFAULT = new PartitionOptions(true);
    /** Each op's default factor plan ({@link FactorPlan}: operands' contracting splits kept), never one chosen by bytes. */
    public static final PartitionOptions DEFAULT_PLANS_ONLY = new PartitionOptions(false);
}
