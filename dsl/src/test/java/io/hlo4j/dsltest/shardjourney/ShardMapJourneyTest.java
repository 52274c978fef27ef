package io.hlo4j.dsltest.shardjourney;

import static io.hlo4j.runtime.testing.RelativeError.relErr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.shard.Collectives;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardMap;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

/**
 * {@code shard_map} nested in {@code jit}, as a JAX user writes a row-parallel matmul by hand: inside a sharded jit on
 * the 2 x 4 ("data", "model") mesh, a global op (tanh), then a shard_map whose body multiplies the local blocks
 * (x's columns and w's rows over "model", x's rows over "data") and psums over "model", then a global op again.
 * Oracle: {@code tanh(x) w + 1} jit'd on one device; the psum's groups and bytes by hand.
 */
class ShardMapJourneyTest {
    static final Mesh MESH = TransformerBlock.mesh();

    static HostArray random(long seed, long... shape) {
        Random r = new Random(seed);
        double[] v = new double[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return HostArray.fromDoubles(Spec.of(DType.F32, shape).tensorType(), v);
    }

    static final TracedFunction ROW_PARALLEL = a -> {
        Tensor x = ((Tensor) a[0]).tanh();
        Tensor y = ShardMap.shardMap(MESH, List.of(PartitionSpec.of("data", "model"), PartitionSpec.of("model", null)),
                List.of(PartitionSpec.of("data", null)),
                b -> List.of(Collectives.psum(b.get(0).matmul(b.get(1)), "model")), x, (Tensor) a[1]).get(0);
        return y.add(1.0);
    };

    @Test
    void rowParallelShardMapWithPsumInsideJitEqualsOneDevice() {
        HostArray x = random(1, 8, 16), w = random(2, 16, 12);
        HostArray want = Jit.jit(a -> ((Tensor) a[0]).tanh().matmul((Tensor) a[1]).add(1.0)).call1(x, w);

        ShardedJit jit = ShardedJit.jit("rowpar", ROW_PARALLEL,
                List.of(NamedSharding.of(MESH, "data", "model"), NamedSharding.of(MESH, "model", null)));
        String text = jit.lower(x, w).asText();
        assertThat(text).contains("sdy.manual_computation", "manual_axes={\"data\", \"model\"}", "stablehlo.all_reduce",
                "replica_groups = dense<[[0, 1, 2, 3], [4, 5, 6, 7]]>");

        SimulatedRun run = jit.callSimulated(x, w);
        assertThat(relErr((HostArray) run.results(), want)).as("max |8 devices - 1 device| / max").isLessThan(1e-5);
        // the psum: one all_reduce over the 4 "model" devices of a [4, 12] f32 block: 2 (g-1)/g * 192 B = 288 B each
        List<CollectiveRecord> psums = run.run().log().stream().filter(c -> c.op().contains("all_reduce")).toList();
        assertThat(psums).isNotEmpty();
        assertThat(psums.get(0).axes()).containsExactly("model");
        assertThat(psums.get(0).bytesReceived()).containsOnly(288L);
        assertThat(psums.get(0).location()).as("the psum points at the body's line").contains("ShardMapJourneyTest.java:");
    }

    @Test
    void gradientThroughTheShardMapEqualsOneDevice() {
        HostArray x = random(3, 8, 16), w = random(4, 16, 12);
        TracedFunction loss = a -> ((Tensor) ROW_PARALLEL.apply(a)).square().mean();
        List<HostArray> want = Jit.jit("g", io.hlo4j.dsl.grad.Grad.grad(b -> ((Tensor) b[0]).tanh().matmul((Tensor) b[1]).add(1.0).square().mean(), 0, 1))
                .callList(x, w);
        ShardedJit jit = ShardedJit.jit("g", io.hlo4j.dsl.grad.Grad.grad(loss, 0, 1),
                List.of(NamedSharding.of(MESH, "data", "model"), NamedSharding.of(MESH, "model", null)));
        @SuppressWarnings("unchecked")
        List<HostArray> got = (List<HostArray>) jit.callSimulated(x, w).results();
        assertThat(relErr(got.get(0), want.get(0))).as("d/dx").isLessThan(1e-5);
        assertThat(relErr(got.get(1), want.get(1))).as("d/dw").isLessThan(1e-5);
    }

    @Test
    void callOnAModuleWithAShardMapPointsAtCallSimulated() {
        // ShardedJit.call runs the global program on the interpreter, where a shard_map body (per-device code) cannot run
        HostArray x = random(5, 8, 16), w = random(6, 16, 12);
        ShardedJit jit = ShardedJit.jit("rowpar", ROW_PARALLEL,
                List.of(NamedSharding.of(MESH, "data", "model"), NamedSharding.of(MESH, "model", null)));
        DslException e = org.junit.jupiter.api.Assertions.assertThrows(DslException.class, () -> jit.call(x, w));
        assertThat(e.getMessage()).contains("ShardedJit.call", "@rowpar", "sdy.manual_computation at ShardMapJourneyTest.java:", "callSimulated",
                "ShardMapJourneyTest.java:");
    }

    @Test
    void shardMapOutsideAShardedJitIsRefusedByName() {
        // a JAX user's first try: shard_map inside a plain jax.jit; the docs say it needs ShardedJit
        Jit plain = Jit.jit(a -> ShardMap.shardMap(MESH, PartitionSpec.of("data"), PartitionSpec.of("data"),
                b -> Collectives.psum(b, "model"), (Tensor) a[0]));
        assertThatThrownBy(() -> plain.lower(Spec.of(DType.F32, 8)))
                .isInstanceOf(DslException.class)
                .hasMessageContaining("shardMap").hasMessageContaining("ShardedJit").hasMessageContaining("ShardMapJourneyTest.java:");
    }

    @Test
    void aCollectiveOnAnAxisOfNoShardMapIsRefusedByName() {
        ShardedJit bad = ShardedJit.jit("bad", a -> Collectives.psum(Nn.relu((Tensor) a[0]), "model"),
                List.of(NamedSharding.of(MESH, "data")));
        assertThatThrownBy(() -> bad.lower(Spec.of(DType.F32, 8)))
                .isInstanceOf(DslException.class)
                .hasMessageContaining("psum").hasMessageContaining("ShardMapJourneyTest.java:");
    }
}
