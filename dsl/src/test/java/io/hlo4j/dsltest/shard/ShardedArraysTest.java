package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.Sharding;
import io.hlo4j.dsl.shard.ShardedArrays;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShardedArraysTest {
    static HostArray iota(long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v);
    }

    @Test
    void splitHandComputed() {
        Mesh m = Mesh.of(List.of("x", "y"), 2, 2);
        List<HostArray> s = ShardedArrays.split(iota(4, 6), NamedSharding.of(m, "x", "y"));
        assertThat(s.get(3).shape()).containsExactly(2, 3);
        assertThat(s.get(3).toFloatArray()).containsExactly(15, 16, 17, 21, 22, 23);
        assertThat(s.get(1).toFloatArray()).containsExactly(3, 4, 5, 9, 10, 11);
        // replicated over y: devices 0 and 1 hold the same rows
        List<HostArray> r = ShardedArrays.split(iota(4, 2), NamedSharding.of(m, "x"));
        assertThat(r.get(1).toFloatArray()).containsExactly(0, 1, 2, 3);
        assertThat(r.get(2).toFloatArray()).containsExactly(4, 5, 6, 7);
    }

    @Test
    void splitThenAssembleRoundTrips() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 100; trial++) {
            Mesh m = Mesh.of(List.of("a", "b", "c"), 1 + rnd.nextInt(3), 1 + rnd.nextInt(2), 1 + rnd.nextInt(3));
            NamedSharding s = switch (trial % 4) {
                case 0 -> NamedSharding.of(m, "a", (Object) new String[] {"c", "b"});
                case 1 -> NamedSharding.of(m, null, "b");
                case 2 -> NamedSharding.of(m, (Object) new String[] {"b", "a", "c"});
                default -> NamedSharding.of(m);
            };
            long[] shape = {s.shards(0) * (1L + rnd.nextInt(3)), s.shards(1) * (1L + rnd.nextInt(3))};
            long[] vals = new long[(int) (shape[0] * shape[1])];
            for (int i = 0; i < vals.length; i++) vals[i] = rnd.nextInt();
            HostArray g = HostArray.fromLongs(TensorType.of(IntegerType.I32, shape), vals);
            assertThat(ShardedArrays.assemble(ShardedArrays.split(g, s), s, shape)).as("%s", s).isEqualTo(g);
        }
    }

    @Test
    void assembleRefusesDisagreeingReplicas() {
        Mesh m = Mesh.of(List.of("x", "y"), 2, 2);
        NamedSharding s = NamedSharding.of(m, "x");
        List<HostArray> parts = new ArrayList<>(ShardedArrays.split(iota(4, 2), s));
        parts.set(1, iota(2, 2)); // device 1 should replicate device 0's rows 0..1 (it does: iota(2,2) = rows 0..1)
        assertThat(ShardedArrays.assemble(parts, s, new long[] {4, 2})).isEqualTo(iota(4, 2));
        parts.set(3, iota(2, 2)); // device 3 should hold rows 2..3
        assertThatThrownBy(() -> ShardedArrays.assemble(parts, s, new long[] {4, 2}))
                .hasMessageContaining("replicas disagree at global index [2, 0]: device 2 holds bits 0x40800000, device 3 holds 0x0");
    }

    /** Weights on the expert-mesh view hold, device by device, the same data as the model-mesh equivalent. */
    @Test
    void viewWeightsNeedNoDataMovement() {
        for (int[] f : ExpertMeshViewTest.factorisations(8)) {
            ExpertMeshView v = ExpertMeshView.of(ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4]));
            NamedSharding onView = NamedSharding.of(v.mesh(), "expert", "tp", null);
            HostArray w = iota(v.mesh().axisSize("expert") * 2L, f[3] * 3L, 2);
            assertThat(ShardedArrays.split(w, v.toModel(onView))).isEqualTo(ShardedArrays.split(w, onView));
        }
    }

    /**
     * Annotations on arguments/results do not change meaning: the annotated module runs on the interpreter like
     * the plain one, sharding constraints included (on the global program they are the identity).
     */
    @Test
    void annotatedModuleRunsLikeThePlainOne() {
        Mesh m = Mesh.of(4, List.of("dp", "tp"), 2, 2);
        HostArray x = iota(4, 6), w = iota(6, 4);
        HostArray plain = Jit.jit(a -> Nn.relu(((Tensor) a[0]).matmul((Tensor) a[1]).sub(40.0))).call1(x, w);
        List<HostArray> sharded = ShardedJit.jit(a -> {
            Tensor h = Sharding.withShardingConstraint(((Tensor) a[0]).matmul((Tensor) a[1]), NamedSharding.of(m, null, "tp"));
            return Nn.relu(h.sub(40.0));
        }, List.of(NamedSharding.of(m, "dp"), NamedSharding.of(m, null, "tp")), List.of(NamedSharding.of(m, "dp", "tp")))
                .lower(Spec.of(DType.F32, 4, 6), Spec.of(DType.F32, 6, 4)).compile().call(x, w);
        assertThat(sharded.get(0)).isEqualTo(plain);
        // hand-computed element: row 1 of iota(4,6) is 6..11, column 0 of iota(6,4) is 0,4,..,20: 0+28+64+108+160+220 = 580, minus 40
        assertThat(plain.getDoubleAt(1, 0)).isEqualTo(540.0);
    }
}
