package io.hlo4j.dsltest.shard;

import io.hlo4j.compiler.spmd.partition.DeviceGrid;
import io.hlo4j.compiler.spmd.partition.MeshRewrite;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The expert mesh the DSL builds and the correspondence the partitioner finds from the two meshes alone
 * ({@link MeshRewrite#correspondence}, sizes and device ids only) agree, for every factorisation of 8 and 16
 * devices and all four fold flags. The expected tuples are the folding rule restated here by hand.
 */
class ExpertMeshCorrespondenceTest {
    static void check(int[] f, boolean fsdpBound, boolean spBound) {
        Mesh model = ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4]);
        ExpertMeshView v = ExpertMeshView.of(model, fsdpBound, spBound);
        String what = Arrays.toString(f) + " fsdpBound=" + fsdpBound + " spBound=" + spBound;
        List<String> expert = new ArrayList<>(), dp = new ArrayList<>(List.of("dp"));
        (fsdpBound ? expert : dp).add("fsdp");
        expert.add("ep");
        (spBound ? expert : dp).add("sp");
        Map<String, List<String>> rule = new LinkedHashMap<>();
        rule.put("dp", dp);
        rule.put("expert", expert);
        rule.put("tp", List.of("tp"));
        MeshAttr m = model.toSdy(), w = v.mesh().toSdy();

        // view -> model: each view axis is the tuple of its model axes (size-1 axes carry no index)
        Map<String, List<AxisRef>> back = new LinkedHashMap<>();
        rule.forEach((viewAxis, axes) -> back.put(viewAxis, axes.stream().filter(a -> m.axisSize(a) > 1).map(AxisRef::of).toList()));
        assertThat(MeshRewrite.correspondence(w, m)).as(what).containsExactlyEntriesOf(back);

        // model -> view: each model axis is the sub-axis of its view axis after the axes folded before it
        Map<String, List<AxisRef>> forth = new LinkedHashMap<>();
        for (String a : model.axisNames()) {
            String viewAxis = rule.entrySet().stream().filter(e -> e.getValue().contains(a)).findFirst().orElseThrow().getKey();
            long pre = 1;
            for (String b : rule.get(viewAxis)) {
                if (b.equals(a)) break;
                pre *= m.axisSize(b);
            }
            long size = m.axisSize(a), whole = w.axisSize(viewAxis);
            forth.put(a, size == 1 ? List.of() : size == whole ? List.of(AxisRef.of(viewAxis)) : List.of(AxisRef.sub(viewAxis, pre, size)));
        }
        assertThat(MeshRewrite.correspondence(m, w)).as(what).containsExactlyEntriesOf(forth);

        // toModel and the partitioner's rewrite give the same sharding (toModel also names the size-1 axes)
        NamedSharding onView = NamedSharding.of(v.mesh(), "expert", "dp", "tp");
        TensorSharding rewritten = MeshRewrite.rewrite(new DeviceGrid(w), onView.toSdy(3), new DeviceGrid(m), model.name());
        assertThat(rewritten).as(what).isEqualTo(withoutSizeOne(v.toModel(onView).toSdy(3), m));
    }

    static TensorSharding withoutSizeOne(TensorSharding s, MeshAttr mesh) {
        List<DimensionSharding> dims = new ArrayList<>();
        for (int d = 0; d < s.rank(); d++) dims.add(new DimensionSharding(s.axesOfDim(d).stream().filter(r -> r.size(mesh) > 1).toList(), true, null));
        return new TensorSharding(s.meshName(), null, dims, List.of(), List.of(), "sum");
    }

    static int checkAll(int devices) {
        int n = 0;
        for (int[] f : ExpertMeshViewTest.factorisations(devices)) for (boolean a : new boolean[] {true, false}) for (boolean b : new boolean[] {true, false}) {
            check(f, a, b);
            n++;
        }
        return n;
    }

    @Test
    void everyFactorisationOf8() { assertThat(checkAll(8)).isEqualTo(140); }

    @Test
    void everyFactorisationOf16() { assertThat(checkAll(16)).isEqualTo(280); }

    /** Hand-computed: model (1,1,2,2,2), device = 4·ep + 2·tp + sp; the view's expert is (ep, sp), sp its minor half. */
    @Test
    void goldenCase() {
        Mesh model = ExpertMeshView.modelMesh(1, 1, 2, 2, 2);
        MeshAttr w = ExpertMeshView.of(model).mesh().toSdy();
        assertThat(w.deviceIds()).containsExactly(0L, 2L, 1L, 3L, 4L, 6L, 5L, 7L);
        assertThat(MeshRewrite.correspondence(model.toSdy(), w).get("sp")).containsExactly(AxisRef.sub("expert", 2, 2));
        assertThat(MeshRewrite.correspondence(w, model.toSdy()).get("expert")).containsExactly(AxisRef.of("ep"), AxisRef.of("sp"));
    }
}
