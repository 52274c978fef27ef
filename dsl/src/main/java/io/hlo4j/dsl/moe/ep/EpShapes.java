package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.moe.MoeException;

/**
 * The sizes the expert-parallel cost depends on.
 *
 * @param tokens N, the global number of tokens (B * S)
 * @param hidden H
 * @param intermediate M (per expert)
 * @param experts E
 * @param slots rows per token (k; E for expert choice)
 * @param xBytes bytes of one element of the hidden state
 * @param computeBytes bytes of one element of the compute dtype (expert rows, combine weights)
 * @param dp D, the size of the expert mesh's {@code dp} axis (the folded dp axes)
 * @param expert X, the size of the {@code expert} axis (the folded expert axes)
 * @param tp Q, the size of {@code tp}
 */
public record EpShapes(long tokens, long hidden, long intermediate, int experts, int slots, int xBytes, int computeBytes,
                       int dp, int expert, int tp) {
    public EpShapes {
        if (tokens < 1 || hidden < 1 || intermediate < 1 || experts < 1 || slots < 1 || dp < 1 || expert < 1 || tp < 1) {
            throw new MoeException("EpShapes: sizes must be positive: " + this);
        }
    }

    /** Bytes of the accumulation dtype (partial outputs, combine): f64 for a float64 compute dtype, else f32. */
    public int accBytes() { return Math.max(4, computeBytes); }

    /** Rows one device routes when tokens are split over dp and expert: (N / (D X)) * k. */
    public double rowsPerShard() { return (double) tokens / ((long) dp * expert) * slots; }
}
