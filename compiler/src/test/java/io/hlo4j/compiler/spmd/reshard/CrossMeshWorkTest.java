package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.compiler.spmd.partition.PartitionReport;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.spmd.SpmdRun;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.spmd.reshard.CrossMeshChoiceTest.A;
import static io.hlo4j.compiler.spmd.reshard.CrossMeshChoiceTest.B;
import static io.hlo4j.compiler.spmd.reshard.CrossMeshChoiceTest.HERE;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cross-mesh planner's work is bounded by a count of edges (not by time): on 128 devices with 7 prime atoms each
 * layout has thousands of permute edges. The plan found within the bound is still no slower than the exchange or
 * the gather, each computed from its own definition ({@link CrossMeshMixedPlanTest}'s oracles). Also: the search is
 * skipped when the exchange is at the lower bound, a value several ops need on the other mesh moves once, and an
 * empty tensor is refused as a cross-mesh move.
 */
class CrossMeshWorkTest {
    /** [2]*7 (identity) to x=8, y=16 (device_ids shuffled) over 128 devices, f32[256,512]. */
    static final MeshAttr SEVEN = sevenTwos(), WIDE = wide();

    private static MeshAttr sevenTwos() {
        List<MeshAttr.Axis> axes = new ArrayList<>();
        for (int i = 0; i < 7; i++) axes.add(new MeshAttr.Axis("a" + i, 2));
        List<Long> ids = new ArrayList<>();
        for (long i = 0; i < 128; i++) ids.add(i);
        return new MeshAttr(axes, ids);
    }

    private static MeshAttr wide() {
        List<Long> ids = new ArrayList<>();
        for (long i = 0; i < 128; i++) ids.add(i);
        Collections.shuffle(ids, new Random(7));
        return new MeshAttr(List.of(new MeshAttr.Axis("x", 8), new MeshAttr.Axis("y", 16)), ids);
    }

    /** The first {@code rows} of a0..a6 on dimension 0, the rest on dimension 1. */
    private static TensorSharding split(int rows) {
        List<List<AxisRef>> dims = List.of(new ArrayList<>(), new ArrayList<>());
        for (int k = 0; k < 7; k++) dims.get(k < rows ? 0 : 1).add(AxisRef.of("a" + k));
        return ReshardHarness.of(dims, List.of());
    }

    @Test
    void onHundredTwentyEightDevicesTheSearchStaysWithinItsEdgeBudgetAndIsNoSlowerThanTheOldWays() {
        TensorType t = f32(256, 512);
        TensorSharding to = ReshardHarness.of(List.of(List.of(AxisRef.of("y")), List.of(AxisRef.of("x"))), List.of());
        for (int rows : new int[] {2, 4}) {
            TensorSharding from = split(rows);
            ReshardCost cost = ReshardCost.DEFAULT;
            long ex = CrossMeshMixedPlanTest.exchangeCost(SEVEN, from, WIDE, to, t, cost), ga = CrossMeshMixedPlanTest.gatherCost(SEVEN, from, WIDE, to, t, cost);
            long old = ex < 0 ? ga : ga < 0 ? ex : Math.min(ex, ga);
            assertThat(old).as("an old way applies").isPositive();
            // the search as choose runs it, from the best old plan
            CrossMeshSearch.Found f = CrossMeshSearch.search(SEVEN, from, WIDE, to, t, cost, HERE, old, old == ex);
            assertThat(f.edges()).as("edges examined").isLessThanOrEqualTo(CrossMeshSearch.MAX_EDGES);
            // rows over a0..a3: the exchange is one round at the lower bound, so nothing is searched (it took the
            // old search seconds to find that); rows over a0, a1: searched, within the budget
            if (rows == 4) assertThat(f.edges()).isZero();
            else assertThat(f.edges()).isPositive();
            assertThat(f.pairs()).as("pairs weighed").isLessThanOrEqualTo(CrossMeshSearch.MAX_PAIRS);
            CrossMeshExchange.Choice c = CrossMeshExchange.choose(SEVEN, from, WIDE, to, t, cost, HERE);
            long chosen = c.plan() != null ? c.plan().latencyByteCost(cost) : ga;
            assertThat(chosen).as(c.why()).isLessThanOrEqualTo(old);
            if (rows == 4) assertThat(c.plan().kind()).as(c.why()).isEqualTo(CrossMeshPlan.Kind.EXCHANGE);
            if (f.plan() != null && f.plan().latencyByteCost(cost) < old) {
                assertThat(c.plan().kind()).as(c.why()).isEqualTo(CrossMeshPlan.Kind.MIXED);
                assertThat(chosen).isEqualTo(f.plan().latencyByteCost(cost));
            }
        }
    }

    /**
     * Rows over x=8 on @a to rows over (q, p) on @b: the same 8 blocks held elsewhere, so the exchange is one round
     * of one block (latency + 32 B: the lower bound, the busiest device lacks its whole target block); nothing can
     * beat it and the search examines no edge.
     */
    @Test
    void theSearchIsSkippedWhenTheExchangeIsAtTheLowerBound() {
        TensorType t = f32(8, 8);
        TensorSharding from = spec("x", ""), to = ReshardHarness.of(List.of(List.of(AxisRef.of("q"), AxisRef.of("p")), List.of()), List.of());
        long ex = CrossMeshMixedPlanTest.exchangeCost(A, from, B, to, t, ReshardCost.DEFAULT);
        assertThat(ex).isEqualTo(ReshardCost.DEFAULT.latencyBytes() + 32);
        CrossMeshSearch.Found f = CrossMeshSearch.search(A, from, B, to, t, ReshardCost.DEFAULT, HERE, ex, true);
        assertThat(f.plan()).isNull();
        assertThat(f.edges()).isZero();
        // not in hand (a gather of the same cost could lose to a plan with fewer bytes): searched
        assertThat(CrossMeshSearch.search(A, from, B, to, t, ReshardCost.DEFAULT, HERE, ex, false).edges()).isPositive();
        assertThat(CrossMeshExchange.choose(A, from, B, to, t, ReshardCost.DEFAULT, HERE).exchange()).isNotNull();
    }

    /**
     * A value two results need on @b (columns over q: the mixed plan, an all_gather on @a and a one-round exchange)
     * is planned, reported and moved once: 2 collectives, not 4; values equal the global program's.
     */
    @Test
    void aValueUsedTwiceOnTheOtherMeshMovesOnce() {
        TensorType t = f32(8, 8);
        String on = "#sdy.sharding<@b, [{}, {\"q\"}]>";
        String text = "module @move attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {\n"
                + "  sdy.mesh @a = " + A.body() + "\n  sdy.mesh @b = " + B.body() + "\n"
                + "  func.func @main(%arg0: " + t + " {sdy.sharding = #sdy.sharding<@a, [{\"x\"}, {}]>}) -> (" + t + " {sdy.sharding = " + on
                + "}, " + t + " {sdy.sharding = " + on + "}) {\n"
                + "    return %arg0, %arg0 : " + t + ", " + t + "\n  }\n}\n";
        PartitionedProgram[] p = new PartitionedProgram[1];
        SpmdRun run = CrossMeshPartitionTest.runAndCompare(text, List.of(CrossMeshPartitionTest.random(t, 5)), p);
        String explicit = MlirPrinter.print(p[0].module());
        assertThat(run.log()).as(explicit).hasSize(2);
        assertThat(p[0].report().entries()).as(explicit).hasSize(1);
        assertThat(p[0].report().entries().get(0).kind()).isEqualTo(PartitionReport.Kind.CROSS_MESH_PLANNED);
    }

    @Test
    void anEmptyTensorIsRefusedAsACrossMeshMove() {
        assertThatThrownBy(() -> CrossMeshExchange.choose(A, spec("x", ""), B, spec("", "q"), f32(0, 8), ReshardCost.DEFAULT, HERE))
                .isInstanceOf(ReshardException.class)
                .hasMessageContaining("cross-mesh move of tensor<0x8xf32>")
                .hasMessageContaining("has no elements")
                .satisfies(e -> assertThat(((ReshardException) e).location()).isEqualTo(HERE));
    }
}
