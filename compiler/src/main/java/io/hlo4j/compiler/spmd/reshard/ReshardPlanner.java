package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * Plans the cheapest move of a value between two shardings of one mesh. The layout is viewed as lists of mesh
 * "atoms" (axes cut at the sub-axis boundaries either sharding uses, see {@link MeshAtoms}) per dimension, plus the
 * set of unreduced atoms. The moves, each exact on local blocks:
 * <ul>
 *   <li>local slice: append an unused atom to a dimension (free);</li>
 *   <li>all_gather: remove a minor-most run of atoms from a dimension ((g-1) x the block);</li>
 *   <li>all_to_all: move a minor-most run of atoms of one dimension to the minor end of another ((g-1)/g x the block);</li>
 *   <li>collective_permute: any layout with the same shard count per dimension (the block, for devices that move;
 *       a device already holding its new block keeps it);</li>
 *   <li>all_reduce / reduce_scatter over unreduced atoms (2(g-1)/g and (g-1)/g x the block);</li>
 *   <li>exchange: straight to the target in rounds of equal cells, each device receiving exactly what it lacks.</li>
 * </ul>
 * A shortest-path search over these layouts (at most a few thousand: a mesh of N devices has at most log2(N) atoms)
 * finds the plan of least time under a {@link ReshardCost} (alpha per collective plus each collective's busiest
 * device's bytes over beta), among the plans whose per-device blocks stay within the cost's memory cap; with the
 * {@link ReshardCost.Objective#TIGHT} objective, among the plans in which no device receives more than its target
 * block lacks when there are any (see {@code PlanSearch}); fewer bytes in all, then fewer collectives break ties. So
 * moving an axis between dimensions is one all_to_all, adding axes a free slice, removing minor axes one all_gather,
 * reordering axes a collective_permute, and removing a major axis (P((fsdp, dp)) to P(dp)) permutes the small block
 * first and then gathers; where latency dominates, one all_gather and a slice can replace several collectives.
 * {@link #lowerBoundBytes} is the analytic minimum to compare against.
 */
public final class ReshardPlanner {
    private ReshardPlanner() {}

    public static ReshardPlan plan(MeshAttr mesh, TensorType global, TensorSharding from, TensorSharding to) {
        return plan(mesh, global, from, to, Location.UNKNOWN);
    }

    /** The cheapest plan under {@link ReshardCost#DEFAULT}; {@code loc} (the user's line) goes into every error. */
    public static ReshardPlan plan(MeshAttr mesh, TensorType global, TensorSharding from, TensorSharding to, Location loc) {
        return plan(mesh, global, from, to, loc, ReshardCost.DEFAULT);
    }

    /**
     * The cheapest plan under {@code cost} among those whose blocks stay within its memory cap; with the
     * {@link ReshardCost.Objective#TIGHT} objective, among those in which no device receives more than its target
     * block lacks when there is one (always if the two tilings refine to equal cells and nothing is pending).
     * Refused, naming the cap, when no plan stays within it.
     */
    public static ReshardPlan plan(MeshAttr mesh, TensorType global, TensorSharding from, TensorSharding to, Location loc, ReshardCost cost) {
        return plan(mesh, global, from, to, loc, cost, -1);
    }

    /**
     * As {@link #plan(MeshAttr, TensorType, TensorSharding, TensorSharding, Location, ReshardCost)}, with the block cap
     * set to {@code capBytes} when it is not negative. The cross-mesh planner passes the cap of the whole move (its
     * halves on each mesh stay within it); tests pass smaller caps, since a cost's cap is never below the larger of
     * the source and target blocks and no reshard is known that has no plan under that (see
     * {@code ReshardCapRefusalTest}), so the refusal is reached through a smaller cap here.
     */
    static ReshardPlan plan(MeshAttr mesh, TensorType global, TensorSharding from, TensorSharding to, Location loc, ReshardCost cost, long capBytes) {
        String tensor = "reshard of " + global;
        if (global.numElements() == 0) {
            // no cell has a byte to move or cost; the partitioner makes an empty value's block in place instead
            throw new ReshardException(tensor + ": the tensor has no elements, so there is nothing to move from " + from + " to " + to
                    + "; make its target block in place (a constant of the local type)", loc);
        }
        // prime atoms let a permute or an all_to_all move halves of an axis; while a sum is pending they would
        // multiply the reduce_scatter orders the search tries
        boolean pending = from.unreducedAxes().stream().anyMatch(a -> !to.unreducedAxes().contains(a));
        MeshAtoms m = MeshAtoms.of(mesh, global.shape(), List.of(from, to), tensor, loc, !pending);
        Layouts lay = new Layouts(m, global);
        Layouts.State start = lay.stateOf(from), goal = lay.stateOf(to);
        if ((goal.mask() & ~start.mask()) != 0) {
            throw new ReshardException(tensor + ": " + to + " has unreduced axes " + m.refs(Layouts.ids(goal.mask() & ~start.mask()))
                    + " that " + from + " does not; a reshard does not make values partial", loc);
        }
        if (!from.unreducedAxes().isEmpty() && !to.unreducedAxes().isEmpty() && !from.reduction().equals(to.reduction())) {
            throw new ReshardException(tensor + ": pending reduction " + from.reduction() + " of " + from + " differs from "
                    + to.reduction() + " of " + to, loc);
        }
        List<ReshardStep> steps = new PlanSearch(lay, from.reduction(), goal.mask(), cost)
                .run(start, goal, tensor, from.body() + " -> " + to.body(), loc, capBytes);
        return new ReshardPlan(mesh, global, from, to, steps, lowerBoundPerDevice(m, lay, start, goal));
    }

    /** The analytic minimum any plan must move into the busiest device, in bytes. */
    public static long lowerBoundBytes(MeshAttr mesh, TensorType global, TensorSharding from, TensorSharding to) {
        MeshAtoms m = MeshAtoms.of(mesh, global.shape(), List.of(from, to), "reshard of " + global, Location.UNKNOWN);
        Layouts lay = new Layouts(m, global);
        long best = 0;
        for (long b : lowerBoundPerDevice(m, lay, lay.stateOf(from), lay.stateOf(to))) best = Math.max(best, b);
        return best;
    }

    /**
     * Per device: the bytes of its target block it does not already hold (the overlap of its source and target blocks
     * is free). With a pending reduction to finish, nothing it holds is final, so it needs its whole target block
     * (at least one combined contribution per element).
     */
    static long[] lowerBoundPerDevice(MeshAtoms m, Layouts lay, Layouts.State from, Layouts.State to) {
        long[] out = new long[m.devices];
        long[] lf = lay.local(from), lt = lay.local(to);
        long[][] fi = lay.index(from), ti = lay.index(to);
        boolean pending = (from.mask() & ~to.mask()) != 0;
        long target = 1;
        for (long l : lt) target *= l;
        long[] s = new long[lt.length], t = new long[lt.length];
        for (int dev = 0; dev < m.devices; dev++) {
            for (int d = 0; d < lt.length; d++) { s[d] = fi[d][dev]; t[d] = ti[d][dev]; }
            out[dev] = (target - (pending ? 0 : overlap(lf, s, lt, t))) * lay.elementBytes;
        }
        return out;
    }

    /**
     * Elements common to a block of extent {@code ls} at block index {@code s} and one of extent {@code lt} at
     * {@code t} (per dimension): what a device holding the first keeps of the second.
     */
    static long overlap(long[] ls, long[] s, long[] lt, long[] t) {
        long overlap = 1;
        for (int d = 0; d < lt.length && overlap > 0; d++) {
            long s0 = s[d] * ls[d], t0 = t[d] * lt[d];
            overlap *= Math.max(0, Math.min(s0 + ls[d], t0 + lt[d]) - Math.max(s0, t0));
        }
        return overlap;
    }

    /** The block type each device holds under {@code sharding}. */
    public static TensorType localType(MeshAttr mesh, TensorType global, TensorSharding sharding) {
        long[] s = global.shape();
        for (int d = 0; d < s.length; d++) {
            long n = 1;
            for (AxisRef a : sharding.axesOfDim(d)) n *= a.size(mesh);
            s[d] /= n;
        }
        return TensorType.of(global.elementType(), s);
    }
}
