package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Shardings rewritten between a mesh and a view of its devices; expected axes worked out by hand from the device ids. */
class MeshRewriteTest {
    /** The golden's meshes: model (dp=1, fsdp=1, ep=2, tp=2, sp=2), view (dp=1, expert=4, tp=2) = positions (ep, sp, tp). */
    static final MeshAttr MODEL = new MeshAttr(List.of(new MeshAttr.Axis("dp", 1), new MeshAttr.Axis("fsdp", 1), new MeshAttr.Axis("ep", 2),
            new MeshAttr.Axis("tp", 2), new MeshAttr.Axis("sp", 2)), List.of());
    static final MeshAttr VIEW = new MeshAttr(List.of(new MeshAttr.Axis("dp", 1), new MeshAttr.Axis("expert", 4), new MeshAttr.Axis("tp", 2)),
            List.of(0L, 2L, 1L, 3L, 4L, 6L, 5L, 7L));

    static TensorSharding s(String mesh, List<List<AxisRef>> dims) {
        return new TensorSharding(mesh, null, dims.stream().map(d -> new DimensionSharding(d, true, null)).toList(), List.of(), List.of(), "sum");
    }

    @Test
    void modelAxesAreSubAxesOfTheViewAndBack() {
        DeviceGrid model = new DeviceGrid(MODEL), view = new DeviceGrid(VIEW);
        // P((fsdp, dp), sp, tp): sp is the minor half of expert, tp is tp; size-1 axes vanish
        TensorSharding act = s("mesh", List.of(List.of(AxisRef.of("fsdp"), AxisRef.of("dp")), List.of(AxisRef.of("sp")), List.of(AxisRef.of("tp"))));
        TensorSharding onView = MeshRewrite.rewrite(model, act, view, "expert_mesh");
        assertThat(onView).isEqualTo(s("expert_mesh", List.of(List.of(), List.of(AxisRef.sub("expert", 2, 2)), List.of(AxisRef.of("tp")))));
        // (ep, sp) on one dimension is the whole expert axis
        TensorSharding folded = s("mesh", List.of(List.of(AxisRef.of("ep"), AxisRef.of("sp")), List.of()));
        assertThat(MeshRewrite.rewrite(model, folded, view, "expert_mesh")).isEqualTo(s("expert_mesh", List.of(List.of(AxisRef.of("expert")), List.of())));
        // (sp, ep) is expert read minor bit first: two sub-axes, not mergeable
        TensorSharding reversed = s("mesh", List.of(List.of(AxisRef.of("sp"), AxisRef.of("ep")), List.of()));
        assertThat(MeshRewrite.rewrite(model, reversed, view, "expert_mesh"))
                .isEqualTo(s("expert_mesh", List.of(List.of(AxisRef.sub("expert", 2, 2), AxisRef.sub("expert", 1, 2)), List.of())));
        // and back: expert is (ep, sp) on the model
        TensorSharding w = s("expert_mesh", List.of(List.of(AxisRef.of("expert")), List.of(), List.of(AxisRef.of("tp"))));
        assertThat(MeshRewrite.rewrite(view, w, model, "mesh"))
                .isEqualTo(s("mesh", List.of(List.of(AxisRef.of("ep"), AxisRef.of("sp")), List.of(), List.of(AxisRef.of("tp")))));
    }

    @Test
    void noRewriteWhenTheGroupsDiffer() {
        MeshAttr a = new MeshAttr(List.of(new MeshAttr.Axis("x", 4)), List.of());
        // z's index of device d: 0, 1, 3, 2 (its low bit is x's two bits XORed: no sub-axis of x)
        MeshAttr b = new MeshAttr(List.of(new MeshAttr.Axis("z", 4)), List.of(0L, 1L, 3L, 2L));
        TensorSharding byZ = s("b", List.of(List.of(AxisRef.of("z"))));
        assertThat(MeshRewrite.rewrite(new DeviceGrid(b), byZ, new DeviceGrid(a), "a")).isNull();
        assertThat(MeshRewrite.rewrite(new DeviceGrid(a), s("a", List.of(List.of(AxisRef.of("x")))), new DeviceGrid(b), "b")).isNull();
        // but a sharding on z's major half, which is x's major half, is fine
        TensorSharding half = s("b", List.of(List.of(AxisRef.sub("z", 1, 2))));
        assertThat(MeshRewrite.rewrite(new DeviceGrid(b), half, new DeviceGrid(a), "a")).isEqualTo(s("a", List.of(List.of(AxisRef.sub("x", 1, 2)))));
    }

    static SequencedMap<String, List<String>> groups(Object... viewAxisThenMeshAxes) {
        SequencedMap<String, List<String>> g = new LinkedHashMap<>();
        for (int i = 0; i < viewAxisThenMeshAxes.length; i += 2) g.put((String) viewAxisThenMeshAxes[i], List.of((String[]) viewAxisThenMeshAxes[i + 1]));
        return g;
    }

    /** An ordered map from alternating keys and values. */
    static Map<String, List<AxisRef>> ordered(Object... kv) {
        Map<String, List<AxisRef>> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            @SuppressWarnings("unchecked") List<AxisRef> v = (List<AxisRef>) kv[i + 1];
            m.put((String) kv[i], v);
        }
        return m;
    }

    @Test
    void foldBuildsTheGoldenView() {
        // expert = (fsdp, ep, sp): view position (0, x, t) holds device 4·ep + 2·t + sp with x = 2·ep + sp
        MeshAttr folded = MeshRewrite.fold(MODEL, groups("dp", new String[] {"dp"}, "expert", new String[] {"fsdp", "ep", "sp"}, "tp", new String[] {"tp"}));
        assertThat(folded).isEqualTo(VIEW);
        // and the correspondence finds the tuples back (size-1 axes carry no index)
        Map<String, List<AxisRef>> back = MeshRewrite.correspondence(VIEW, MODEL);
        assertThat(back).containsExactlyEntriesOf(ordered("dp", List.of(), "expert", List.of(AxisRef.of("ep"), AxisRef.of("sp")), "tp", List.of(AxisRef.of("tp"))));
        assertThat(MeshRewrite.correspondence(MODEL, VIEW)).containsExactlyEntriesOf(ordered("dp", List.of(), "fsdp", List.of(),
                "ep", List.of(AxisRef.sub("expert", 1, 2)), "tp", List.of(AxisRef.of("tp")), "sp", List.of(AxisRef.sub("expert", 2, 2))));
    }

    @Test
    void foldOfNonPowerOfTwoAxesMinorFirst() {
        // mesh a=2, b=3 (device = 3a + b) folded to x = (b, a): position 2b + a holds 3a + b
        MeshAttr mesh = new MeshAttr(List.of(new MeshAttr.Axis("a", 2), new MeshAttr.Axis("b", 3)), List.of());
        MeshAttr x = MeshRewrite.fold(mesh, groups("x", new String[] {"b", "a"}));
        assertThat(x).isEqualTo(new MeshAttr(List.of(new MeshAttr.Axis("x", 6)), List.of(0L, 3L, 1L, 4L, 2L, 5L)));
        assertThat(MeshRewrite.correspondence(x, mesh)).containsExactlyEntriesOf(ordered("x", List.of(AxisRef.of("b"), AxisRef.of("a"))));
        assertThat(MeshRewrite.correspondence(mesh, x)).containsExactlyEntriesOf(ordered("a", List.of(AxisRef.sub("x", 3, 2)), "b", List.of(AxisRef.sub("x", 1, 3))));
        // a mesh with its own device order keeps it through a one-axis fold
        MeshAttr permuted = new MeshAttr(List.of(new MeshAttr.Axis("x", 4)), List.of(2L, 0L, 3L, 1L));
        assertThat(MeshRewrite.fold(permuted, groups("y", new String[] {"x"})).deviceIds()).containsExactly(2L, 0L, 3L, 1L);
    }

    @Test
    void correspondenceLeavesOutAxesWithoutOne() {
        MeshAttr a = new MeshAttr(List.of(new MeshAttr.Axis("x", 4)), List.of());
        MeshAttr b = new MeshAttr(List.of(new MeshAttr.Axis("z", 4)), List.of(0L, 1L, 3L, 2L));
        assertThat(MeshRewrite.correspondence(b, a)).isEmpty();
        MeshAttr c = new MeshAttr(List.of(new MeshAttr.Axis("x", 8)), List.of());
        assertThatThrownBy(() -> MeshRewrite.correspondence(a, c)).isInstanceOf(Hlo4jException.class).hasMessageContaining("has 4 devices").hasMessageContaining("has 8 devices");
    }

    @Test
    void foldRefusesByName() {
        assertThatThrownBy(() -> MeshRewrite.fold(MODEL, groups("dp", new String[] {"dp", "fsdp"}, "expert", new String[] {"ep", "sp", "tp", "xx"})))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("\"expert\" names \"xx\"");
        assertThatThrownBy(() -> MeshRewrite.fold(MODEL, groups("dp", new String[] {"dp", "fsdp"}, "expert", new String[] {"ep", "sp", "fsdp", "tp"})))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("mesh axis \"fsdp\" is in two view axes");
        assertThatThrownBy(() -> MeshRewrite.fold(MODEL, groups("dp", new String[] {"dp", "fsdp"}, "expert", new String[] {"ep", "sp"})))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("mesh axis \"tp\"").hasMessageContaining("is in no view axis");
    }
}
