package io.hlo4j.dsl.moe;

/**
 * The default weight rule of each routing strategy (moe-semantics.md, Routing strategies), installed as the
 * refine_weights_hook only when the user set neither select_hook nor refine_weights_hook.
 */
public enum MoeWeightRule {
    /** TOP_K: w / max(sum w, 1e-8) when k > 1; w itself when k = 1. */
    RENORMALIZE,
    /** TOP_K_NDIV: the selected probabilities, unnormalized. */
    IDENTITY,
    /** SWITCH: 1.0. */
    ONES,
    /** EXPERT_CHOICE and HASH: 1/k for every chosen pair (unused expert-choice slots are masked by the router). */
    ONE_OVER_K;

    /** The smallest denominator of the TOP_K renormalization. */
    public static final double RENORMALIZE_FLOOR = 1e-8;

    public static MoeWeightRule forStrategy(MoeRoutingStrategy strategy) {
        return switch (strategy) {
            case TOP_K -> RENORMALIZE;
            case TOP_K_NDIV -> IDENTITY;
            case SWITCH -> ONES;
            case EXPERT_CHOICE, HASH -> ONE_OVER_K;
        };
    }

    /** Applies the rule to weights [N, slots] of a strategy with {@code k} experts per token. */
    public <T> T apply(WeightAlgebra<T> ops, T w, int k) {
        if (k < 1) throw new MoeException("MoeWeightRule." + name() + ": k = " + k + " must be >= 1");
        return switch (this) {
            case RENORMALIZE -> k == 1 ? w : ops.divide(w, ops.maximum(ops.sumLastKeepDims(w), RENORMALIZE_FLOOR));
            case IDENTITY -> w;
            case ONES -> ops.fullLike(w, 1.0);
            case ONE_OVER_K -> ops.fullLike(w, 1.0 / k);
        };
    }
}
