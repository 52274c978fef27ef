package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.check;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.mesh;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.spec;
import static org.assertj.core.api.Assertions.assertThat;

/** The planner's choices on small named cases, each run on simulated devices and compared with the bytes it must move. */
class ReshardPlannerTest {
    static final MeshAttr XY = mesh("x", 4, "y", 2);
    static final TensorType T = f32(8, 8);

    @Test
    void sameShardingIsAnEmptyPlan() {
        ReshardPlan p = check(XY, T, spec("x", "y"), spec("x", "y"));
        assertThat(p.steps()).isEmpty();
        assertThat(p.lowerBoundBytes()).isZero();
    }

    @Test
    void addingAxesIsOneFreeLocalSlice() {
        ReshardPlan p = check(XY, T, spec("", ""), spec("y", "x"));
        assertThat(p.steps()).singleElement().isInstanceOf(ReshardStep.LocalSlice.class);
        assertThat(p.maxBytes()).isZero();
        assertThat(p.lowerBoundBytes()).isZero();
        ReshardPlan q = check(XY, T, spec("x", ""), spec("x,y", ""));
        assertThat(q.maxBytes()).isZero();
    }

    @Test
    void removingMinorAxesIsOneAllGatherOverExactlyThem() {
        ReshardPlan p = check(XY, T, spec("x,y", ""), spec("x", ""));
        assertThat(p.steps()).singleElement().isInstanceOf(ReshardStep.AllGather.class);
        ReshardStep.AllGather g = (ReshardStep.AllGather) p.steps().get(0);
        assertThat(g.axes()).containsExactly(AxisRef.of("y"));
        assertThat(g.groups()).hasNumberOfRows(4);
        assertThat(g.groups()[0]).containsExactly(0, 1);
        // block 8x8/8 = 8 floats = 32 B; gathering over y=2 receives one more block
        assertThat(p.maxBytes()).isEqualTo(32).isEqualTo(p.lowerBoundBytes());
    }

    @Test
    void movingAnAxisBetweenDimsIsOneAllToAll() {
        ReshardPlan p = check(XY, T, spec("x", ""), spec("", "x"));
        assertThat(p.steps()).singleElement().isInstanceOf(ReshardStep.AllToAll.class);
        ReshardStep.AllToAll a = (ReshardStep.AllToAll) p.steps().get(0);
        assertThat(a.fromDim()).isZero();
        assertThat(a.toDim()).isOne();
        assertThat(p.maxBytes()).isEqualTo(p.lowerBoundBytes()).isEqualTo(16 * 4 * 3 / 4); // 3/4 of a 16-float block
        ReshardPlan q = check(XY, T, spec("x", "y"), spec("", "y,x"));
        assertThat(q.steps()).singleElement().isInstanceOf(ReshardStep.AllToAll.class);
        assertThat(q.maxBytes()).isEqualTo(q.lowerBoundBytes());
    }

    @Test
    void reorderingAxesWithinADimIsACollectivePermute() {
        ReshardPlan p = check(XY, T, spec("x,y", ""), spec("y,x", ""));
        assertThat(p.steps()).singleElement().isInstanceOf(ReshardStep.CollectivePermute.class);
        assertThat(p.maxBytes()).isEqualTo(p.lowerBoundBytes()).isEqualTo(32);
        // devices 0 and 7 hold the same block both ways and keep it
        assertThat(p.bytesPerDevice()[0]).isZero();
        assertThat(p.bytesPerDevice()[7]).isZero();
    }

    @Test
    void deviceOrderAndSubAxesAreHonoured() {
        MeshAttr permuted = new MeshAttr(List.of(new MeshAttr.Axis("x", 4), new MeshAttr.Axis("y", 2)), List.of(5L, 2L, 7L, 0L, 1L, 6L, 3L, 4L));
        check(permuted, T, spec("x", "y"), spec("y", "x"));
        check(permuted, T, spec("", ""), spec("x", "y"));
        check(permuted, T, spec("x,y", ""), spec("", ""));
        TensorSharding sub = ReshardHarness.of(List.of(List.of(AxisRef.sub("x", 1, 2)), List.of(AxisRef.sub("x", 2, 2), AxisRef.of("y"))), List.of());
        check(permuted, T, spec("x", ""), sub);
        check(XY, T, sub, spec("y", "x"));
    }

    @Test
    void pendingSumsAreReduceScatteredOrAllReduced() {
        TensorSharding partial = ReshardHarness.of(List.of(List.of(AxisRef.of("y")), List.of()), List.of(AxisRef.of("x")));
        ReshardPlan scatter = check(XY, T, partial, spec("y", "x"));
        assertThat(scatter.steps()).singleElement().isInstanceOf(ReshardStep.ReduceScatter.class);
        ReshardPlan reduce = check(XY, T, partial, spec("y", ""));
        assertThat(reduce.steps()).singleElement().isInstanceOf(ReshardStep.AllReduce.class);
        check(XY, T, partial, spec("", ""));
        // a target that keeps the pending sum over x only reshapes the partials
        TensorSharding keep = ReshardHarness.of(List.of(List.of(), List.of(AxisRef.of("y"))), List.of(AxisRef.of("x")));
        check(XY, T, partial, keep);
    }

    @Test
    void bytesByCaseAndMeshTable() {
        StringBuilder t = new StringBuilder("| mesh | case | from -> to | steps | B/device | lower bound | time |\n|---|---|---|---|---|---|---|\n");
        TensorType x = f32(8, 8, 8);
        for (MeshAttr m : List.of(mesh("x", 8), mesh("x", 4, "y", 2), mesh("a", 2, "b", 2, "c", 2), ReshardHarness.model(2, 2, 1, 2, 1))) {
            List<String> ax = m.axisNames().stream().filter(a -> m.axisSize(a) > 1).toList();
            String a = ax.get(0), b = ax.size() > 1 ? ax.get(1) : null;
            List<Object[]> cases = new java.util.ArrayList<>();
            cases.add(new Object[] {"pure slice", spec("", "", ""), spec(a, b == null ? "" : b, "")});
            cases.add(new Object[] {"move one axis", spec(a, "", ""), spec("", a, "")});
            if (b != null) {
                cases.add(new Object[] {"gather a minor axis", spec(a + "," + b, "", ""), spec(a, "", "")});
                cases.add(new Object[] {"reorder axes", spec(a + "," + b, "", ""), spec(b + "," + a, "", "")});
                cases.add(new Object[] {"swap dims", spec(a, b, ""), spec(b, a, "")});
            }
            for (Object[] c : cases) {
                TensorSharding from = (TensorSharding) c[1], to = (TensorSharding) c[2];
                ReshardPlan p = check(m, x, from, to), tight = check(m, x, from, to, ReshardCost.TIGHT);
                assertThat(tight.maxBytes()).as(tight.toString()).isLessThanOrEqualTo(tight.lowerBoundBytes());
                assertThat(ReshardCost.DEFAULT.seconds(p)).as(p + "\n  against " + tight).isLessThanOrEqualTo(ReshardCost.DEFAULT.seconds(tight));
                t.append("| ").append(m.body().replace("\"", "")).append(" | ").append(c[0]).append(" | ")
                        .append(from.body().replace("\"", "").replace("<@mesh, ", "").replace(">", "")).append(" -> ")
                        .append(to.body().replace("\"", "").replace("<@mesh, ", "").replace(">", "")).append(" | ")
                        .append(ExpertMeshReshardTest.kinds(p)).append(" | ").append(p.maxBytes()).append(" | ").append(p.lowerBoundBytes())
                        .append(" | ").append(ExpertMeshReshardTest.micros(p)).append(" |\n");
            }
        }
        ExpertMeshReshardTest.write("reshard-cases.md", t);
        ExpertMeshReshardTest.assertRowsInDoc(t, "docs/sharding-reshard.md");
    }

    @Test
    void groupsAreAxisGroupsInTheListedOrder() {
        // pxla.axis_groups on a=2, b=2, c=2: over b [[0,2],[1,3],[4,6],[5,7]]; over (c, a) [[0,4,1,5],[2,6,3,7]]
        MeshAttr m = mesh("a", 2, "b", 2, "c", 2);
        MeshAtoms atoms = MeshAtoms.of(m, new long[] {8}, List.of(spec("a,b,c")), "t", ReshardHarness.LOC);
        assertThat(atoms.groups(atoms.expand(AxisRef.of("b")))).isDeepEqualTo(new long[][] {{0, 2}, {1, 3}, {4, 6}, {5, 7}});
        List<Integer> ca = new java.util.ArrayList<>(atoms.expand(AxisRef.of("c")));
        ca.addAll(atoms.expand(AxisRef.of("a")));
        assertThat(atoms.groups(ca)).isDeepEqualTo(new long[][] {{0, 4, 1, 5}, {2, 6, 3, 7}});
    }

    @Test
    void atomsAreCutIntoPrimesUpToSixInAll() {
        java.util.function.Function<MeshAttr, List<String>> atoms = m -> MeshAtoms.of(m, new long[] {64}, List.of(spec("")), "t", ReshardHarness.LOC, true)
                .atoms.stream().map(a -> a.axis() + ":(" + a.pre() + ")" + a.size()).toList();
        assertThat(atoms.apply(mesh("x", 4, "y", 2))).containsExactly("x:(1)2", "x:(2)2", "y:(1)2");
        assertThat(atoms.apply(mesh("x", 6))).containsExactly("x:(1)2", "x:(2)3");
        assertThat(atoms.apply(mesh("x", 4, "y", 4, "z", 4))).hasSize(6);
        // 9 prime atoms would be too many: the whole axes stay
        assertThat(atoms.apply(mesh("x", 8, "y", 8, "z", 8))).containsExactly("x:(1)8", "y:(1)8", "z:(1)8");
        // a sub-axis cut is kept and the pieces between cuts are cut further
        TensorSharding sub = ReshardHarness.of(List.of(List.of(AxisRef.sub("x", 1, 2))), List.of());
        List<String> cut = MeshAtoms.of(mesh("x", 8), new long[] {64}, List.of(sub), "t", ReshardHarness.LOC, true)
                .atoms.stream().map(a -> a.axis() + ":(" + a.pre() + ")" + a.size()).toList();
        assertThat(cut).containsExactly("x:(1)2", "x:(2)2", "x:(4)2");
    }

    @Test
    void emittedProgramsPrintAndParseBack() {
        MeshAttr m = mesh("x", 4, "y", 2);
        TensorSharding partial = ReshardHarness.of(List.of(List.of(AxisRef.of("y")), List.of()), List.of(AxisRef.of("x")));
        for (TensorSharding[] c : List.of(new TensorSharding[] {spec("x", "y"), spec("y", "x")}, new TensorSharding[] {partial, spec("y", "x")},
                new TensorSharding[] {spec("x,y", ""), spec("y,x", "")}, new TensorSharding[] {spec("", ""), spec("x", "y")})) {
            ReshardPlan p = ReshardPlanner.plan(m, T, c[0], c[1]);
            String text = io.hlo4j.mlir.print.MlirPrinter.print(ReshardHarness.module(p));
            var back = io.hlo4j.mlir.parse.MlirParser.parseModule(text, "reshard.mlir");
            assertThat(io.hlo4j.mlir.print.MlirPrinter.print(back)).isEqualTo(text);
            io.hlo4j.runtime.array.HostArray g = ReshardHarness.data(T);
            var run = io.hlo4j.runtime.spmd.SpmdRunner.run(back, m, List.of(g), List.of(c[0]), List.of(c[1]), List.of(T));
            assertThat(run.results().get(0)).isEqualTo(g);
        }
    }

    @Test
    void meshesWithAxesOfThreeAndScalars() {
        MeshAttr m = mesh("x", 3, "y", 2);
        TensorType t = f32(6, 6);
        ReshardPlan a2a = check(m, t, spec("x", ""), spec("", "x"));
        assertThat(a2a.steps()).singleElement().isInstanceOf(ReshardStep.AllToAll.class);
        // dimension 0 goes from 3 to 2 shards (no common cells): the plan passes through a layout that nests
        ReshardPlan swap = check(m, t, spec("x", "y"), spec("y", "x"));
        assertThat(swap.steps().get(0)).isNotInstanceOf(ReshardStep.Exchange.class);
        check(m, t, spec("x,y", ""), spec("y,x", ""));
        check(m, t, spec("", "y"), spec("x,y", ""));
        TensorSharding partialScalar = ReshardHarness.of(List.of(), List.of(AxisRef.of("x")));
        ReshardPlan s = check(m, f32(), partialScalar, ReshardHarness.of(List.of(), List.of()));
        assertThat(s.steps()).singleElement().isInstanceOf(ReshardStep.AllReduce.class);
        assertThat(check(m, f32(), ReshardHarness.of(List.of(), List.of()), ReshardHarness.of(List.of(), List.of())).steps()).isEmpty();
    }
}
