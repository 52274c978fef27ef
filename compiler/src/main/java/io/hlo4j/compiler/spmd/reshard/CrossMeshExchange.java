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
 * (so it cannot be planned on one mesh). Two ways are weighed under the same {@link ReshardCost} the single-mesh
 * planner uses: an exchange of the cells common to both tilings, read off each device's block on its own mesh (a
 * device keeps what its source block holds of its target block and receives exactly the rest, in as few rounds as
 * the cells allow, see {@link CellExchange}), or gathering the whole tensor on the source mesh and slicing it on the
 * target one (fewer collectives, every device receives the whole tensor less its block). The gather is taken only
 * where it is faster under the model and the whole tensor stays within the cost's memory cap; under the
 * {@link ReshardCost.Objective#TIGHT} objective, never while an exchange applies.
 */
public final class CrossMeshExchange {
    private CrossMeshExchange() {}

    /** The exchange to emit, or null to gather on the source mesh and slice on the target one; {@code why} says which and why. */
    public record Choice(ReshardStep.Exchange exchange, String why) {}

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
     * The cheaper of the exchange and gather-then-slice under {@code cost} (see the class comment); where no exchange
     * applies, the gather, with the reason.
     */
    public static Choice choose(MeshAttr fromMesh, TensorSharding from, MeshAttr toMesh, TensorSharding to, TensorType global,
                                ReshardCost cost, Location loc) {
        ReshardStep.Exchange x = plan(fromMesh, from, toMesh, to, global, loc);
        if (x == null) {
            return new Choice(null, "their blocks have no common cells at most " + PlanSearch.MAX_EXCHANGE_CELLS
                    + " to a target block (or a sharding has unreduced axes), so no exchange applies");
        }
        if (cost.objective() == ReshardCost.Objective.TIGHT) return new Choice(x, "exchange (TIGHT objective)");
        long whole = ReshardPlan.bytes(global), cap = cost.capBytes(ReshardPlan.bytes(x.input()), ReshardPlan.bytes(x.output()));
        if (whole > cap) return new Choice(x, "exchange (the whole tensor, " + whole + " B, exceeds the cap of " + cap + " B)");
        List<DimensionSharding> none = new ArrayList<>();
        for (int d = 0; d < global.rank(); d++) none.add(DimensionSharding.closedOn());
        ReshardPlan gather = ReshardPlanner.plan(fromMesh, global, from, new TensorSharding(from.meshName(), null, none, List.of(), List.of(), "sum"),
                loc, cost);
        long exchangeCost = cost.latencyByteCost(x.collectives(), x.busiestBytesPerCollective());
        long gatherCost = cost.latencyByteCost(gather.collectives(), gather.busiestBytesPerCollective()); // the slice on the target mesh is free
        String times = String.format("gathering (%d collective(s), %.3f us) against the %d-round exchange (%.3f us) under %s",
                gather.collectives(), cost.seconds(gather) * 1e6, x.collectives(), cost.seconds(x.collectives(), x.busiestBytesPerCollective()) * 1e6,
                cost);
        return gatherCost < exchangeCost ? new Choice(null, times + ": the gather is faster") : new Choice(x, times + ": the exchange is not slower");
    }

}
