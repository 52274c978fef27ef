package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * A move between shardings on two meshes over the same devices that neither mesh's axes can express in the other's
 * (so it cannot be planned on one mesh). {@link #plan} is the exchange of the cells common to both tilings, read off
 * each device's block on its own mesh (a device keeps what its source block holds of its target block and receives
 * exactly the rest, in as few rounds as the cells allow, see {@link CellExchange}). {@link #choose} weighs it, under
 * the same {@link ReshardCost} the single-mesh planner uses, against gathering the whole tensor on the source mesh and
 * slicing it on the target one (fewer collectives, every device receives the whole tensor less its block; only where
 * the whole tensor stays within the cost's memory cap) and against the mixed plans {@link CrossMeshSearch} finds
 * (moves on the source mesh, one step across, a free slice); under the {@link ReshardCost.Objective#TIGHT} objective
 * the exchange alone is kept wherever it applies.
 */
public final class CrossMeshExchange {
    private CrossMeshExchange() {}

    /**
     * The plan to emit, or null to gather on the source mesh and slice on the target one (the partitioner's own
     * reshards, which it reports); {@code why} says which, with the modeled times of the ways weighed.
     */
    public record Choice(CrossMeshPlan plan, String why) {
        /** The exchange, where the chosen plan is the exchange alone; else null. */
        public ReshardStep.Exchange exchange() {
            return plan != null && plan.kind() == CrossMeshPlan.Kind.EXCHANGE ? (ReshardStep.Exchange) plan.cross() : null;
        }
    }

    /**
     * The exchange from {@code from} (on {@code fromMesh}) to {@code to} (on {@code toMesh}), or null where it does not
     * apply: a sharding with unreduced axes, a dimension whose two block counts do not divide one another, or more
     * than {@link PlanSearch#MAX_EXCHANGE_CELLS} cells per target block. Meshes of different device counts are refused.
     */
    public static ReshardStep.Exchange plan(MeshAttr fromMesh, TensorSharding from, MeshAttr toMesh, TensorSharding to, TensorType global,
                                            Location loc) {
        String tensor = "cross-mesh move of " + global;
        if (fromMesh.totalSize() != toMesh.totalSize()) {
            throw new ReshardException(tensor + ": " + fromMesh.body() + " has " + fromMesh.totalSize() + " devices, " + toMesh.body()
                    + " has " + toMesh.totalSize() + "; an exchange needs the same devices", loc);
        }
        if (!from.unreducedAxes().isEmpty() || !to.unreducedAxes().isEmpty() || global.rank() == 0) return null;
        Layouts a = new Layouts(MeshAtoms.of(fromMesh, global.shape(), List.of(from), tensor, loc), global);
        Layouts b = new Layouts(MeshAtoms.of(toMesh, global.shape(), List.of(to), tensor, loc), global);
        Layouts.State s = a.stateOf(from), t = b.stateOf(to);
        long[] sCount = CellExchange.counts(a, s), tCount = CellExchange.counts(b, t);
        if (!CellExchange.refines(sCount, tCount) || CellExchange.cellsPerBlock(sCount, tCount) > PlanSearch.MAX_EXCHANGE_CELLS) return null;
        return CellExchange.plan(global, sCount, CellExchange.blocks(a, s), tCount, CellExchange.blocks(b, t),
                tensor + " " + from + " -> " + to, loc);
    }

    /**
     * The cheapest of the exchange, gather-then-slice and the mixed plans {@link CrossMeshSearch} finds, under
     * {@code cost} (see the class comment). The exchange is kept unless the gather is strictly faster; a mixed plan is
     * taken only if it beats both that apply ({@link CrossMeshSearch#faster}: time, then all devices' bytes, then
     * collectives). Where the best is gathering whole and slicing, the choice has no plan (the caller gathers); where
     * nothing else applies either (unreduced axes, or the whole tensor past the cap), too, with the reason. A tensor
     * with no elements is refused: there is nothing to move (make the target block in place).
     */
    public static Choice choose(MeshAttr fromMesh, TensorSharding from, MeshAttr toMesh, TensorSharding to, TensorType global,
                                ReshardCost cost, Location loc) {
        if (global.numElements() == 0) {
            throw new ReshardException("cross-mesh move of " + global + " from " + from + " on " + fromMesh.body() + " to " + to + " on "
                    + toMesh.body() + ": the tensor has no elements, so there is nothing to move; make its target block in place"
                    + " (a constant of the local type)", loc);
        }
        ReshardStep.Exchange x = plan(fromMesh, from, toMesh, to, global, loc);
        String noExchange = "their blocks have no common cells at most " + PlanSearch.MAX_EXCHANGE_CELLS
                + " to a target block (or a sharding has unreduced axes), so no exchange applies";
        if (!from.unreducedAxes().isEmpty() || !to.unreducedAxes().isEmpty() || global.rank() == 0) return new Choice(null, noExchange);
        CrossMeshPlan exchange = x == null ? null : new CrossMeshPlan(fromMesh, from, toMesh, to, global,
                ReshardPlanner.plan(fromMesh, global, from, from, loc, cost), x, ReshardPlanner.plan(toMesh, global, to, to, loc, cost));
        if (cost.objective() == ReshardCost.Objective.TIGHT) {
            return exchange == null ? new Choice(null, noExchange) : new Choice(exchange, "exchange (TIGHT objective)");
        }
        long whole = ReshardPlan.bytes(global);
        long cap = cost.capBytes(ReshardPlan.bytes(ReshardPlanner.localType(fromMesh, global, from)),
                ReshardPlan.bytes(ReshardPlanner.localType(toMesh, global, to)));
        CrossMeshPlan gather = null;
        if (whole <= cap) {
            TensorSharding onA = replicated(from), onB = replicated(to);
            gather = new CrossMeshPlan(fromMesh, from, toMesh, to, global, ReshardPlanner.plan(fromMesh, global, from, onA, loc, cost), null,
                    ReshardPlanner.plan(toMesh, global, onB, to, loc, cost));
        }
        CrossMeshPlan chosen = exchange;
        if (gather != null && (chosen == null || gather.latencyByteCost(cost) < chosen.latencyByteCost(cost))) chosen = gather;
        CrossMeshPlan mixed = CrossMeshSearch.search(fromMesh, from, toMesh, to, global, cost, loc,
                chosen == null ? Long.MAX_VALUE : chosen.latencyByteCost(cost), chosen != null && chosen == exchange).plan();
        boolean mixedWins = mixed != null && (exchange == null || beats(mixed, exchange, cost)) && (gather == null || beats(mixed, gather, cost));
        if (mixedWins) chosen = mixed;

        List<String> weighed = new ArrayList<>();
        if (gather != null) weighed.add(String.format("gathering (%d collective(s), %.3f us)", gather.collectives(), gather.estimatedSeconds(cost) * 1e6));
        if (exchange != null) weighed.add(String.format("the %d-round exchange (%.3f us)", x.collectives(), exchange.estimatedSeconds(cost) * 1e6));
        if (mixedWins) weighed.add(String.format("a mixed plan (%d collective(s), %.3f us)", mixed.collectives(), mixed.estimatedSeconds(cost) * 1e6));
        String capped = whole > cap ? "the whole tensor, " + whole + " B, exceeds the cap of " + cap + " B" : null;
        String times = String.join(" against ", weighed) + " under " + cost;
        if (chosen == null) return new Choice(null, noExchange + (capped != null ? " and " + capped + " (no mixed plan found)" : ""));
        if (chosen == gather) return new Choice(null, times + (exchange == null ? "; " + noExchange : "") + ": the gather is faster");
        if (chosen == exchange) {
            return new Choice(exchange, (capped != null ? "exchange (" + capped + ")" : times + ": the exchange is not slower")
                    + "\n" + exchange.describe(cost));
        }
        return new Choice(mixed, (capped != null ? capped + "; " : exchange == null ? noExchange + " straight to the target; " : "")
                + times + ": the mixed plan is faster\n" + mixed.describe(cost));
    }

    /** Whether plan a beats plan b in {@link CrossMeshSearch#faster}'s order. */
    private static boolean beats(CrossMeshPlan a, CrossMeshPlan b, ReshardCost cost) {
        return CrossMeshSearch.faster(a.latencyByteCost(cost), java.util.Arrays.stream(a.bytesPerDevice()).sum(), a.collectives(),
                b.latencyByteCost(cost), java.util.Arrays.stream(b.bytesPerDevice()).sum(), b.collectives());
    }

    private static TensorSharding replicated(TensorSharding like) {
        List<DimensionSharding> none = new ArrayList<>();
        for (int d = 0; d < like.rank(); d++) none.add(DimensionSharding.closedOn());
        return new TensorSharding(like.meshName(), null, none, List.of(), List.of(), like.reduction());
    }
}
