package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

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
}
