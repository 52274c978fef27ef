package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cross-mesh planner's mixed plans ({@link CrossMeshSearch}): on random moves between random meshes (4 to 16
 * devices, uneven sizes, permuted device_ids), under three cost models, the chosen plan is never slower under the
 * model than either old way (the exchange alone, and gathering whole within the cap then slicing), each computed here
 * from its own definition, and every chosen plan runs on simulated devices moving the values exactly.
 */
class CrossMeshMixedPlanTest {
    static final Location HERE = new Location.FileLineCol("model.java", 9, 3);

    /** The old exchange's cost under {@code cost} (latency bytes), or -1 where it does not apply. */
    static long exchangeCost(MeshAttr ma, TensorSharding from, MeshAttr mb, TensorSharding to, TensorType t, ReshardCost cost) {
        ReshardStep.Exchange x = CrossMeshExchange.plan(ma, from, mb, to, t, HERE);
        return x == null ? -1 : cost.latencyByteCost(x.collectives(), x.busiestBytesPerCollective());
    }

    /** The old gather's cost (the plan to replicated on the source mesh; the slice is free), or -1 past the cap. */
    static long gatherCost(MeshAttr ma, TensorSharding from, MeshAttr mb, TensorSharding to, TensorType t, ReshardCost cost) {
        long whole = ReshardHarness.bytes(t);
        long cap = cost.capBytes(ReshardHarness.bytes(ReshardPlanner.localType(ma, t, from)), ReshardHarness.bytes(ReshardPlanner.localType(mb, t, to)));
        if (whole > cap) return -1;
        List<DimensionSharding> none = new ArrayList<>();
        for (int d = 0; d < t.rank(); d++) none.add(DimensionSharding.closedOn());
        ReshardPlan g = ReshardPlanner.plan(ma, t, from, new TensorSharding("mesh", null, none, List.of(), List.of(), "sum"), HERE, cost);
        return cost.latencyByteCost(g.collectives(), g.busiestBytesPerCollective());
    }

    @Test
    void randomMovesAreNeverSlowerThanEitherOldWayAndMoveTheValuesExactly() {
        Random r = new Random(29112026);
        ReshardCost[] costs = {ReshardCost.DEFAULT, new ReshardCost(2e-9, 450e9), new ReshardCost(1e-10, 450e9)};
        int ran = 0, mixed = 0, strictly = 0;
        for (int it = 0; it < 300; it++) {
            int n = new int[] {4, 6, 8, 12, 16}[r.nextInt(5)];
            MeshAttr ma = CrossMeshChoiceTest.randomMesh(n, r, "a"), mb = CrossMeshChoiceTest.randomMesh(n, r, "b");
            TensorType t = n == 16 ? f32(48, 16) : r.nextBoolean() ? f32(24, 24) : f32(24, 48);
            TensorSharding from = CrossMeshChoiceTest.randomSharding(ma, 2, r), to = CrossMeshChoiceTest.randomSharding(mb, 2, r);
            if (!divisible(ma, from, t) || !divisible(mb, to, t)) continue;
            ReshardCost cost = costs[it % costs.length];
            CrossMeshExchange.Choice c = CrossMeshExchange.choose(ma, from, mb, to, t, cost, HERE);
            long ex = exchangeCost(ma, from, mb, to, t, cost), ga = gatherCost(ma, from, mb, to, t, cost);
            long chosen = c.plan() != null ? c.plan().latencyByteCost(cost) : ga;
            String what = ma.body() + " " + from + " -> " + mb.body() + " " + to + " " + t + " under " + cost + ": " + c.why();
            if (c.plan() == null) assertThat(ga).as("gathered only within the cap: " + what).isNotNegative();
            if (ex >= 0) assertThat(chosen).as("no slower than the exchange: " + what).isLessThanOrEqualTo(ex);
            if (ga >= 0) assertThat(chosen).as("no slower than the gather: " + what).isLessThanOrEqualTo(ga);
            if (c.plan() != null && c.plan().kind() == CrossMeshPlan.Kind.MIXED) {
                mixed++;
                if ((ex < 0 || chosen < ex) && (ga < 0 || chosen < ga)) strictly++;
                if (Boolean.getBoolean("hlo4j.test.verbose")) System.out.println(what);
            }
            if (c.plan() != null && ran < 60) {
                ReshardHarness.runCross(c.plan());
                ran++;
            }
        }
        // a dead search would pass the bounds above: mixed plans must be chosen, some strictly faster than both old ways
        assertThat(ran).isPositive();
        assertThat(mixed).as("mixed plans chosen").isPositive();
        assertThat(strictly).as("mixed plans strictly faster than both old ways").isPositive();
    }

    private static boolean divisible(MeshAttr m, TensorSharding s, TensorType t) {
        for (int d = 0; d < t.rank(); d++) {
            long k = 1;
            for (var a : s.axesOfDim(d)) k *= a.size(m);
            if (t.shape()[d] % k != 0) return false;
        }
        return true;
    }
}
