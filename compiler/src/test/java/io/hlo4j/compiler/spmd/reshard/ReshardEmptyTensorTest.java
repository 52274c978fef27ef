package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PlanSearch} costs a tensor with no elements by itself (the planner's refusal of one is its own choice, not
 * what keeps the search sound): every move receives 0 bytes, so a plan costs alpha per collective and the search takes
 * the fewest collectives. On all 121 pairs of the 11 shardings of {@code f32[0,8]} on {@code x=4, y=2}, under both
 * objectives (most pairs offer the exchange, whose bound used to divide by the cell's bytes, 0 here): no step receives
 * a byte, the steps chain from the source block to the target block, and the plan has no more collectives than the one
 * for {@code f32[8,8]} (whose moves are all moves of the empty tensor too); a move that only adds axes is a free slice.
 */
class ReshardEmptyTensorTest {
    @Test
    void planSearchCostsAnEmptyTensorAtZeroBytesAndTakesTheFewestCollectives() {
        MeshAttr mesh = ReshardHarness.mesh("x", 4, "y", 2);
        TensorType empty = f32(0, 8), full = f32(8, 8);
        List<TensorSharding> all = new ArrayList<>();
        String[] dims = {"", "x", "y", "x,y", "y,x"};
        for (String a : dims) {
            for (String b : dims) {
                if (!overlap(a, b)) all.add(ReshardHarness.spec(a, b));
            }
        }
        assertThat(all).hasSize(11);
        for (ReshardCost cost : new ReshardCost[] {ReshardCost.DEFAULT, ReshardCost.TIGHT}) {
            for (TensorSharding from : all) {
                for (TensorSharding to : all) {
                    List<ReshardStep> steps = search(mesh, empty, from, to, cost);
                    String what = from + " -> " + to + " under " + cost + ": " + steps;
                    TensorType at = ReshardPlanner.localType(mesh, empty, from);
                    int collectives = 0;
                    for (ReshardStep s : steps) {
                        assertThat(s.bytesPerDevice()).as(what).containsOnly(0L);
                        assertThat(s.input()).as(what).isEqualTo(at);
                        at = s.output();
                        collectives += s.collectives();
                    }
                    assertThat(at).as(what).isEqualTo(ReshardPlanner.localType(mesh, empty, to));
                    ReshardPlan same = ReshardPlanner.plan(mesh, full, from, to, Location.UNKNOWN, cost);
                    assertThat(collectives).as(what + " against " + same).isLessThanOrEqualTo(same.collectives());
                    if (addsOnly(from, to)) assertThat(collectives).as(what).isZero();
                }
            }
        }
    }

    /** The search alone, as the planner runs it. */
    static List<ReshardStep> search(MeshAttr mesh, TensorType t, TensorSharding from, TensorSharding to, ReshardCost cost) {
        MeshAtoms m = MeshAtoms.of(mesh, t.shape(), List.of(from, to), "t", Location.UNKNOWN, true);
        Layouts lay = new Layouts(m, t);
        Layouts.State s = lay.stateOf(from), g = lay.stateOf(to);
        return new PlanSearch(lay, from.reduction(), g.mask(), cost).run(s, g, "t", from + " -> " + to, Location.UNKNOWN, -1);
    }

    private static boolean overlap(String a, String b) {
        for (String x : a.split(",")) if (!x.isEmpty() && List.of(b.split(",")).contains(x)) return true;
        return false;
    }

    /** Each dimension of {@code to} starts with {@code from}'s axes (only axes added: a local slice). */
    private static boolean addsOnly(TensorSharding from, TensorSharding to) {
        for (int d = 0; d < from.rank(); d++) {
            List<AxisRef> a = from.axesOfDim(d), b = to.axesOfDim(d);
            if (a.size() > b.size() || !b.subList(0, a.size()).equals(a)) return false;
        }
        return true;
    }
}
