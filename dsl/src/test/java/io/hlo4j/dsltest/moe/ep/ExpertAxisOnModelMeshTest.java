package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.moe.ep.EpLayout;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The expert mesh emitted on the model mesh is the expert mesh: for every factorisation of 8 devices over
 * (dp, fsdp, ep, tp, sp) and both "bound" flags, a collective over the view's {@code expert} (or {@code dp}) axis
 * has exactly the replica groups, member order included, of a collective over the folded model axes, and a
 * spec on the view axis gives every device the same block as the spec on the folded model axes.
 */
class ExpertAxisOnModelMeshTest {
    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (int[] f : EpCase.factorisations(8)) for (boolean fb : new boolean[] {true, false}) for (boolean sb : new boolean[] {true, false}) out.add(new Object[] {f, fb, sb});
        return out.stream();
    }

    @ParameterizedTest(name = "{0} fsdp_bound={1} sp_bound={2}")
    @MethodSource("cases")
    void viewAxisCollectivesAndSpecsEqualTheFoldedModelAxes(int[] f, boolean fsdpBound, boolean spBound) {
        Mesh model = ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4]);
        ExpertMeshView view = ExpertMeshView.of(model, fsdpBound, spBound);
        EpLayout layout = new EpLayout(view);
        assertThat(layout.expertSize() * layout.dpSize() * layout.tpSize()).isEqualTo(8);
        check(view.mesh(), "expert", model, view.expertAxes());
        check(view.mesh(), "dp", model, view.dpAxes());
        check(view.mesh(), "tp", model, List.of("tp"));
        // blocks: P(expert, None, tp) on the view = P(expert axes, None, tp) on the model (the expert kernels' spec)
        long[] shape = {8, 3, 8};
        NamedSharding onView = NamedSharding.of(view.mesh(), "expert", null, "tp");
        NamedSharding onModel = new NamedSharding(model, EpLayout.spec(view.expertAxes(), List.of(), List.of("tp")));
        NamedSharding tokensView = NamedSharding.of(view.mesh(), (Object) new String[] {"dp", "expert"});
        NamedSharding tokensModel = new NamedSharding(model, EpLayout.spec(layout.dpAndExpertAxes()));
        for (int d = 0; d < 8; d++) {
            assertThat(onModel.indexRanges(d, shape)).as("device " + d).isDeepEqualTo(onView.indexRanges(d, shape));
            assertThat(tokensModel.indexRanges(d, new long[] {16})).as("device " + d).isDeepEqualTo(tokensView.indexRanges(d, new long[] {16}));
        }
    }

    /** Same groups (as sets of ordered member lists) and, for each device, the same position within its group. */
    private static void check(Mesh view, String viewAxis, Mesh model, List<String> modelAxes) {
        int[][] v = view.replicaGroups(viewAxis);
        int[][] m = modelAxes.isEmpty() ? singletons(model.size()) : model.replicaGroups(modelAxes);
        assertThat(asSet(m)).as(viewAxis + " = " + modelAxes).isEqualTo(asSet(v));
    }

    private static int[][] singletons(int n) {
        int[][] g = new int[n][1];
        for (int i = 0; i < n; i++) g[i][0] = i;
        return g;
    }

    private static Set<List<Integer>> asSet(int[][] groups) {
        Set<List<Integer>> s = new HashSet<>();
        for (int[] g : groups) s.add(Arrays.stream(g).boxed().toList());
        return s;
    }

}
