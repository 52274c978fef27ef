package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsltest.testing.MeshFactorisations;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ExpertMeshViewTest {
    /** Every ordered 5-tuple of positive sizes with product n. */
    static List<int[]> factorisations(int n) { return MeshFactorisations.of(n); }

    @Test
    void factorisationCounts() {
        // stars and bars over the prime exponents: 8 = 2^3 -> C(7,4) = 35; 16 = 2^4 -> C(8,4) = 70
        assertThat(factorisations(8)).hasSize(35);
        assertThat(factorisations(16)).hasSize(70);
    }

    /**
     * Oracle independent of the implementation: the set of device groups whose members agree on every model
     * coordinate outside {@code axes}, by brute-force comparison of coordinates.
     */
    static Set<Set<Integer>> groupsDifferingOnlyIn(Mesh model, List<String> axes) {
        Set<Set<Integer>> groups = new HashSet<>();
        for (int a = 0; a < model.size(); a++) {
            Set<Integer> g = new HashSet<>();
            int[] ca = model.coordsOfDevice(a);
            for (int b = 0; b < model.size(); b++) {
                int[] cb = model.coordsOfDevice(b);
                boolean same = true;
                for (int i = 0; i < ca.length; i++) if (!axes.contains(model.axisNames().get(i)) && ca[i] != cb[i]) same = false;
                if (same) g.add(b);
            }
            groups.add(g);
        }
        return groups;
    }

    static Set<List<Integer>> rows(int[][] groups) {
        Set<List<Integer>> s = new HashSet<>();
        for (int[] g : groups) s.add(Arrays.stream(g).boxed().toList());
        return s;
    }

    static Set<Set<Integer>> asSets(int[][] groups) {
        Set<Set<Integer>> s = new HashSet<>();
        for (int[] g : groups) { Set<Integer> x = new HashSet<>(); for (int d : g) x.add(d); s.add(x); }
        return s;
    }

    static void checkView(int[] f, boolean fsdpBound, boolean spBound) {
        Mesh model = ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4]);
        ExpertMeshView v = ExpertMeshView.of(model, fsdpBound, spBound);
        Mesh view = v.mesh();
        String what = Arrays.toString(f) + " fsdpBound=" + fsdpBound + " spBound=" + spBound;
        List<String> folded = new ArrayList<>(List.of("ep"));
        List<String> toDp = new ArrayList<>(List.of("dp"));
        (fsdpBound ? folded : toDp).add("fsdp");
        (spBound ? folded : toDp).add("sp");
        assertThat(view.sizes()).as(what).containsExactly(model.axisSize(toDp), model.axisSize(folded), f[3]);
        // the view is a permutation of the model's devices
        assertThat(Arrays.stream(view.deviceIds()).sorted().toArray()).as(what).isEqualTo(model.deviceIds());
        // expert / dp / tp groups are exactly the devices differing only in the folded axes
        assertThat(asSets(view.replicaGroups("expert"))).as(what).isEqualTo(groupsDifferingOnlyIn(model, folded));
        assertThat(asSets(view.replicaGroups("dp"))).as(what).isEqualTo(groupsDifferingOnlyIn(model, toDp));
        assertThat(asSets(view.replicaGroups("tp"))).as(what).isEqualTo(groupsDifferingOnlyIn(model, List.of("tp")));
        // member order along expert is row-major over the folded axes in model order: each row equals, member
        // for member, a row of the model mesh's groups for a collective over those axes (the order of the rows
        // themselves may differ: the view's dp lists sp before tp)
        List<String> foldedInModelOrder = model.axisNames().stream().filter(folded::contains).toList();
        assertThat(rows(view.replicaGroups("expert"))).as(what).isEqualTo(rows(model.replicaGroups(foldedInModelOrder)));
        // each view coordinate reads off the model coordinates: tp equals tp
        for (int dev = 0; dev < model.size(); dev++) {
            assertThat(view.coordsOfDevice(dev)[2]).as(what).isEqualTo(model.coordsOfDevice(dev)[3]);
        }
        // a weight sharded on the view needs no data movement on the model mesh
        NamedSharding w = NamedSharding.of(view, "expert", null, "tp");
        NamedSharding wm = v.toModel(w);
        long[] shape = {view.axisSize("expert") * 2L, 3, f[3] * 2L};
        for (int dev = 0; dev < model.size(); dev++) {
            assertThat(wm.indexRanges(dev, shape)).as(what).isDeepEqualTo(w.indexRanges(dev, shape));
        }
    }

    @Test
    void everyFactorisationOf8AllFlagCombinations() {
        int n = 0;
        for (int[] f : factorisations(8)) for (boolean a : new boolean[] {true, false}) for (boolean b : new boolean[] {true, false}) {
            checkView(f, a, b);
            n++;
        }
        assertThat(n).isEqualTo(140);
    }

    @Test
    void everyFactorisationOf16() {
        for (int[] f : factorisations(16)) for (boolean a : new boolean[] {true, false}) for (boolean b : new boolean[] {true, false}) checkView(f, a, b);
    }

    /** sp > 1 and tp > 1: EasyDeL's plain reshape mis-groups; the view does not (hand-computed). */
    @Test
    void plainReshapeIsWrongWithSpAndTp() {
        Mesh model = ExpertMeshView.modelMesh(1, 1, 2, 2, 2); // device = e*4 + t*2 + s
        Mesh view = ExpertMeshView.of(model).mesh();
        Mesh plain = ExpertMeshView.plainReshape(model, true, true);
        assertThat(view.replicaGroups("expert")).isDeepEqualTo(new int[][] {{0, 1, 4, 5}, {2, 3, 6, 7}});
        assertThat(plain.replicaGroups("expert")).isDeepEqualTo(new int[][] {{0, 2, 4, 6}, {1, 3, 5, 7}});
        assertThat(view.replicaGroups("tp")).isDeepEqualTo(new int[][] {{0, 2}, {1, 3}, {4, 6}, {5, 7}});
        assertThat(plain.replicaGroups("tp")).isDeepEqualTo(new int[][] {{0, 1}, {2, 3}, {4, 5}, {6, 7}}); // sp pairs, not tp
        assertThat(view.toSdy().body()).isEqualTo("<[\"dp\"=1, \"expert\"=4, \"tp\"=2], device_ids=[0, 2, 1, 3, 4, 6, 5, 7]>");
    }

    /** With sp = 1 (or tp = 1) and the default flags the groups are contiguous: the view is a plain reshape. */
    @Test
    void viewIsAReshapeWhenGroupsAreContiguous() {
        for (int[] f : factorisations(16)) {
            Mesh model = ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4]);
            Mesh view = ExpertMeshView.of(model).mesh();
            boolean contiguous = f[4] == 1 || f[3] == 1;
            assertThat(view.isIota()).as(Arrays.toString(f)).isEqualTo(contiguous);
            if (contiguous) assertThat(view).isEqualTo(ExpertMeshView.plainReshape(model, true, true));
        }
    }
}
