package io.hlo4j.compiler.spmd.reshard;

/**
 * What the reshard planner minimises, and under which limits.
 *
 * <p>The time model (alpha-beta): every collective (and every round of a multi-round exchange, which is one
 * collective_permute) costs a fixed latency {@code alphaSeconds}, plus the bytes its busiest device receives divided by
 * the link bandwidth {@code betaBytesPerSecond}; a plan's time is the sum over its collectives (they run one after
 * another). Local slices cost nothing.
 *
 * <p>The objective: {@link Objective#TIME} (the default) takes the plan of least modeled time among all moves;
 * {@link Objective#TIGHT} first looks only at plans in which no device receives more than its target block lacks
 * and takes the fastest of those, falling back to all moves only where none exists (a pending sum, 3 row blocks to 2,
 * an exchange of too many cells).
 *
 * <p>The memory cap, under either objective: no per-device block a plan passes through may exceed
 * {@code maxGrowth} x max(source block bytes, target block bytes). It is what keeps "all_gather to the full tensor,
 * then slice" (the fastest plan for small tensors, and the classic cause of out-of-memory in SPMD partitioners) out of
 * reach where the full tensor is much larger than either block. The default, 2, admits every TIGHT plan (along one,
 * a block never exceeds source + target bytes) and the gathers that hold at most twice the larger block; past it a
 * reshard with no plan under the cap is refused, naming the cap.
 *
 * <p>{@link #DEFAULT} models an NVLink / ICI-class link: 5 us per collective (the order of a small NCCL all-gather
 * or collective_permute inside one NVLink domain, and of an ICI collective's fixed cost) and 450 GB/s, the H100's
 * NVLink bandwidth in one direction (as {@code io.hlo4j.compiler.cost.Target} "h100"). Their product, about 2.25 MB,
 * is the size at which one extra collective costs as much as moving its bytes: below it fewer collectives win,
 * above it fewer bytes.
 */
public record ReshardCost(double alphaSeconds, double betaBytesPerSecond, Objective objective, double maxGrowth) {
    /** Which plans the planner ranks by time. */
    public enum Objective {
        /** Least modeled time over all moves (within the memory cap). */
        TIME,
        /** Least modeled time over the plans in which no device receives more than it lacks, when one exists; else as TIME. */
        TIGHT
    }

    /** The default memory cap: intermediate blocks at most twice the larger of the source and target blocks. */
    public static final double DEFAULT_MAX_GROWTH = 2;

    public static final ReshardCost DEFAULT = new ReshardCost(5e-6, 450e9);

    /** Bytes only (alpha = 0) at the default bandwidth: the plan whose collectives' busiest bytes sum least wins. */
    public static final ReshardCost BYTES_ONLY = new ReshardCost(0, DEFAULT.betaBytesPerSecond);

    /** The defaults with the {@link Objective#TIGHT} objective: no device receives more than it lacks where possible. */
    public static final ReshardCost TIGHT = DEFAULT.tight();

    /** Past this many latency-bytes the sum of a plan's costs could overflow; a larger alpha x beta is clamped to it. */
    static final long MAX_LATENCY_BYTES = Long.MAX_VALUE >> 16;

    public ReshardCost {
        if (!(alphaSeconds >= 0) || Double.isInfinite(alphaSeconds)) {
            throw new IllegalArgumentException("reshard cost: alpha (seconds per collective) must be finite and >= 0, got " + alphaSeconds);
        }
        if (!(betaBytesPerSecond > 0) || Double.isInfinite(betaBytesPerSecond)) {
            throw new IllegalArgumentException("reshard cost: beta (bytes per second) must be finite and > 0, got " + betaBytesPerSecond);
        }
        if (objective == null) throw new IllegalArgumentException("reshard cost: objective must be TIME or TIGHT, got null");
        if (!(maxGrowth >= 1)) {
            throw new IllegalArgumentException("reshard cost: maxGrowth (largest block / larger of source and target block) must be >= 1"
                    + " (or infinite for no cap), got " + maxGrowth);
        }
    }

    /** The {@link Objective#TIME} objective with the default cap. */
    public ReshardCost(double alphaSeconds, double betaBytesPerSecond) {
        this(alphaSeconds, betaBytesPerSecond, Objective.TIME, DEFAULT_MAX_GROWTH);
    }

    /** This model with the {@link Objective#TIGHT} objective. */
    public ReshardCost tight() { return new ReshardCost(alphaSeconds, betaBytesPerSecond, Objective.TIGHT, maxGrowth); }

    /** This model with the {@link Objective#TIME} objective. */
    public ReshardCost time() { return new ReshardCost(alphaSeconds, betaBytesPerSecond, Objective.TIME, maxGrowth); }

    /** This model with another memory cap ({@code Double.POSITIVE_INFINITY}: none). */
    public ReshardCost withMaxGrowth(double growth) { return new ReshardCost(alphaSeconds, betaBytesPerSecond, objective, growth); }

    /** The largest per-device block, in bytes, a plan between blocks of these sizes may pass through. */
    public long capBytes(long sourceBlockBytes, long targetBlockBytes) {
        double cap = Math.floor(maxGrowth * Math.max(sourceBlockBytes, targetBlockBytes));
        return cap >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) cap;
    }

    /**
     * alpha x beta rounded to whole bytes: what one collective's latency is worth in received bytes. The planner
     * compares plans in these units (exact integers, so plans of equal cost tie exactly).
     */
    public long latencyBytes() {
        double b = Math.rint(alphaSeconds * betaBytesPerSecond);
        return b >= MAX_LATENCY_BYTES ? MAX_LATENCY_BYTES : (long) b;
    }

    /** The planner's exact cost in latency-bytes: {@code collectives} x {@link #latencyBytes()} + {@code busiestBytes}. */
    public long latencyByteCost(long collectives, long busiestBytes) { return collectives * latencyBytes() + busiestBytes; }

    /** Seconds for {@code collectives} collectives whose busiest devices receive {@code busiestBytes} in all. */
    public double seconds(long collectives, long busiestBytes) {
        return collectives * alphaSeconds + busiestBytes / betaBytesPerSecond;
    }

    /** The plan's estimated time under this model: {@link ReshardPlan#collectives()} x alpha + {@link ReshardPlan#busiestBytesPerCollective()} / beta. */
    public double seconds(ReshardPlan plan) { return seconds(plan.collectives(), plan.busiestBytesPerCollective()); }

    @Override public String toString() {
        return "alpha " + alphaSeconds * 1e6 + " us per collective, beta " + betaBytesPerSecond / 1e9 + " GB/s, objective " + objective
                + ", blocks at most " + maxGrowth + " x the larger of source and target";
    }
}
