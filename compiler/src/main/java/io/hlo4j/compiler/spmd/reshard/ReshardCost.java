package io.hlo4j.compiler.spmd.reshard;

/**
 * The alpha-beta time model the reshard planner minimises: every collective (and every round of a multi-round
 * exchange, which is one collective_permute) costs a fixed latency {@code alphaSeconds}, plus the bytes its busiest
 * device receives divided by the link bandwidth {@code betaBytesPerSecond}; a plan's time is the sum over its
 * collectives (they run one after another). Local slices cost nothing.
 *
 * <p>{@link #DEFAULT} models an NVLink / ICI-class link: 5 us per collective (the order of a small NCCL all-gather
 * or collective_permute inside one NVLink domain, and of an ICI collective's fixed cost) and 450 GB/s, the H100's
 * NVLink bandwidth in one direction (as {@code io.hlo4j.compiler.cost.Target} "h100"). Their product, about 2.25 MB,
 * is the size at which one extra collective costs as much as moving its bytes: below it fewer collectives win,
 * above it fewer bytes.
 */
public record ReshardCost(double alphaSeconds, double betaBytesPerSecond) {
    public static final ReshardCost DEFAULT = new ReshardCost(5e-6, 450e9);

    /** Bytes only (alpha = 0) at the default bandwidth: the plan receiving the fewest bytes wins. */
    public static final ReshardCost BYTES_ONLY = new ReshardCost(0, DEFAULT.betaBytesPerSecond);

    /** Past this many latency-bytes the sum of a plan's costs could overflow; a larger alpha x beta is clamped to it. */
    static final long MAX_LATENCY_BYTES = Long.MAX_VALUE >> 16;

    public ReshardCost {
        if (!(alphaSeconds >= 0) || Double.isInfinite(alphaSeconds)) {
            throw new IllegalArgumentException("reshard cost: alpha (seconds per collective) must be finite and >= 0, got " + alphaSeconds);
        }
        if (!(betaBytesPerSecond > 0) || Double.isInfinite(betaBytesPerSecond)) {
            throw new IllegalArgumentException("reshard cost: beta (bytes per second) must be finite and > 0, got " + betaBytesPerSecond);
        }
    }

    /**
     * alpha x beta rounded to whole bytes: what one collective's latency is worth in received bytes. The planner
     * compares plans in these units (exact integers, so plans of equal cost tie exactly).
     */
    public long latencyBytes() {
        double b = Math.rint(alphaSeconds * betaBytesPerSecond);
        return b >= MAX_LATENCY_BYTES ? MAX_LATENCY_BYTES : (long) b;
    }

    /** Seconds for {@code collectives} collectives whose busiest devices receive {@code busiestBytes} in all. */
    public double seconds(long collectives, long busiestBytes) {
        return collectives * alphaSeconds + busiestBytes / betaBytesPerSecond;
    }

    /** The plan's estimated time under this model: {@link ReshardPlan#collectives()} x alpha + {@link ReshardPlan#busiestBytesPerCollective()} / beta. */
    public double seconds(ReshardPlan plan) { return seconds(plan.collectives(), plan.busiestBytesPerCollective()); }

    @Override public String toString() {
        return "alpha " + alphaSeconds * 1e6 + " us per collective, beta " + betaBytesPerSecond / 1e9 + " GB/s";
    }
}
