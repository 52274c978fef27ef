package io.hlo4j.dsltest.shard;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.BinaryOperator;
import java.util.stream.Stream;

import static io.hlo4j.dsltest.shard.StandardMoePartitionTest.f32;
import static io.hlo4j.dsltest.shard.StandardMoePartitionTest.relErr;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gradients through hlo4j's SPMD pipeline, per op class: for each of elementwise, dot_general, reduce, gather,
 * scatter, reshape, transpose and concatenate, the loss sum(g(x, y)^2) and its gradients with respect to x and y
 * are traced inside a sharded jit with random argument shardings (fixed seeds) on 8-device meshes, partitioned by
 * {@link Spmd#explicit} and run on simulated devices; the oracle is the same function jitted unpartitioned on one
 * device (f32, max error over max value <= 1e-5).
 */
class PartitionedGradientPropertyTest {
    private static final int N = 8;

    /** The op classes: g(x, y) on x, y of shape [8, 8]. */
    static final List<Object[]> OPS = List.of(
            op("elementwise", (x, y) -> Ops.add(Ops.mul(x, y), Ops.sin(x))),
            op("dot_general", Linalg::matmul),
            op("reduce", (x, y) -> Reductions.sum(Ops.mul(x, y), 1)),
            op("gather", (x, y) -> Ops.mul(Indexing.takeInBounds(x, rows(), 0), y)),
            op("scatter", (x, y) -> Indexing.scatterAdd(Ops.mul(x, 0.5), rows(), y, 0)),
            op("reshape", (x, y) -> Ops.mul(x.reshape(4, 16), y.reshape(4, 16))),
            op("transpose", (x, y) -> Ops.mul(x.transpose(1, 0), y)),
            op("concatenate", (x, y) -> Ops.concat(0, x, Ops.mul(y, y))));

    private static Object[] op(String name, BinaryOperator<Tensor> g) { return new Object[] {name, g}; }

    /** Row indices [7, 0, 3, 3, 5, 1, 6, 2]: a permutation with a repeat, so gather and scatter-add both mix rows. */
    static Tensor rows() {
        return Ops.constant(new double[] {7, 0, 3, 3, 5, 1, 6, 2}, Shape.of(N), DType.I32);
    }

    static final List<List<String>> MESH_AXES = List.of(List.of("a"), List.of("a", "b"), List.of("a", "b", "c"));
    static final List<int[]> MESH_SIZES = List.of(new int[] {8}, new int[] {4, 2}, new int[] {2, 2, 2});

    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (Object[] op : OPS) {
            for (int m = 0; m < MESH_SIZES.size(); m++) {
                for (int seed = 0; seed < 3; seed++) out.add(new Object[] {op[0], op[1], m, seed});
            }
        }
        return out.stream();
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0} mesh {2} seed {3}")
    @MethodSource("cases")
    void gradientsMatchTheUnpartitionedProgram(String name, Object g, int meshIndex, int seed) {
        BinaryOperator<Tensor> fn = (BinaryOperator<Tensor>) g;
        TracedFunction loss = a -> Reductions.sum(fn.apply((Tensor) a[0], (Tensor) a[1]).square());
        TracedFunction vg = Grad.valueAndGrad(loss, 0, 1);
        TracedFunction flat = a -> {
            List<?> r = (List<?>) vg.apply(a);
            List<Object> o = new ArrayList<>();
            o.add(r.get(0));
            o.addAll((List<?>) r.get(1));
            return o;
        };
        Random rnd = new Random(1000L * meshIndex + seed + name.hashCode());
        List<HostArray> inputs = List.of(f32(rnd, 1.0, N, N), f32(rnd, 1.0, N, N));
        Object[] specs = {Spec.of(DType.F32, N, N), Spec.of(DType.F32, N, N)};
        List<HostArray> want = Jit.jit("loss", flat).lower(specs).compile().call(inputs.toArray(HostArray[]::new));

        Mesh mesh = Mesh.of(MESH_AXES.get(meshIndex), MESH_SIZES.get(meshIndex));
        List<NamedSharding> in = List.of(randomSharding(mesh, rnd), randomSharding(mesh, rnd));
        PartitionedProgram p = Spmd.explicit(ShardedJit.jit("loss", flat, in, Collections.nCopies(3, null)).lower(specs).module());
        List<HostArray> got = SpmdRunner.run(p.module(), p.mesh(), inputs, p.argShardings(), p.resultShardings(), p.resultTypes()).results();

        String what = name + " on " + mesh.describe() + " with " + in;
        assertThat(got).as(what).hasSize(3);
        String[] names = {"loss", "d/dx", "d/dy"};
        for (int i = 0; i < 3; i++) {
            assertThat(relErr(got.get(i), want.get(i))).as("%s: %s", what, names[i]).isLessThanOrEqualTo(1e-5);
        }
        assertThat(p.report().replicated()).as(what + ": ops computed replicated").isEmpty();
    }

    /** Each dimension: unsharded, or split over one mesh axis not used by the other dimension. */
    static NamedSharding randomSharding(Mesh mesh, Random rnd) {
        List<String> free = new ArrayList<>(mesh.axisNames());
        Object[] dims = new Object[2];
        for (int d = 0; d < 2; d++) {
            if (free.isEmpty() || rnd.nextInt(3) == 0) continue;
            String axis = free.remove(rnd.nextInt(free.size()));
            dims[d] = axis;
        }
        return new NamedSharding(mesh, PartitionSpec.of(dims));
    }
}
