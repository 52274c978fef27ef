package io.hlo4j.dsltest.shardjourney;

import static io.hlo4j.dsltest.shardjourney.TransformerBlock.*;
import static io.hlo4j.runtime.testing.RelativeError.relErr;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Day one of porting a JAX block: {@code jax.jit(block, in_shardings=(fsdp_weights, P("data")))} on a 2 x 4 mesh
 * ("data", "model"), written as docs/sharding.md shows ({@code ShardedJit.jit}, {@code ShardedJit.flat} for the
 * parameter pytree, {@code callSimulated} for the 8 simulated devices). Oracle: the same function jit'd on one
 * device; for the gradient also central finite differences of the f64 loss.
 */
class ShardedBlockJourneyTest {
    static final Mesh MESH = mesh();

    @Test
    @SuppressWarnings("unchecked")
    void forwardOnEightDevicesEqualsOneDeviceAndKeepsThePytree() {
        Map<String, HostArray> params = params(1, DType.F32);
        HostArray x = input(2, DType.F32);
        Map<String, HostArray> want = (Map<String, HostArray>) Jit.jit("block", FORWARD).call(params, x);

        List<NamedSharding> in = ShardedJit.flat(weightShardings(MESH), batchSharding(MESH));
        assertThat(in).hasSize(9);
        // out_shardings as a pytree like the result: {"loss": replicated, "out": P("data")}
        List<NamedSharding> out = ShardedJit.flat(Map.of("loss", new NamedSharding(MESH, PartitionSpec.replicated()), "out", batchSharding(MESH)));
        SimulatedRun run = ShardedJit.jit("block", FORWARD, in, out).callSimulated(params, x);
        assertThat(run.program().devices()).isEqualTo(8);
        Map<String, HostArray> got = (Map<String, HostArray>) run.results();
        assertThat(got.keySet()).containsExactlyInAnyOrder("loss", "out");
        assertThat(relErr(got.get("out"), want.get("out"))).as("out: max |8 devices - 1 device| / max |1 device|").isLessThan(1e-5);
        assertThat(relErr(got.get("loss"), want.get("loss"))).as("loss").isLessThan(1e-5);

        // each device holds its FSDP block of every weight and its half of the batch (arguments in flattened order:
        // norm1, norm2, w1, w2, wk, wo, wq, wv, x)
        List<String> local = run.program().module().entryFunction().region(0).entry().arguments().stream()
                .map(v -> v.type().toString()).toList();
        assertThat(local).containsExactly("tensor<8xf32>", "tensor<8xf32>", "tensor<8x8xf32>", "tensor<8x8xf32>", "tensor<8x4xf32>",
                "tensor<4x8xf32>", "tensor<8x4xf32>", "tensor<8x4xf32>", "tensor<2x8x16xf32>");
        assertThat(run.run().log()).as("FSDP gathers weights: the run communicates").isNotEmpty();

        // out_shardings omitted (JAX's unspecified): the same numbers
        Map<String, HostArray> omitted = (Map<String, HostArray>) ShardedJit.jit("block", FORWARD, in).callSimulated(params, x).results();
        assertThat(relErr(omitted.get("out"), want.get("out"))).isLessThan(1e-5);
    }

    @Test
    @SuppressWarnings("unchecked")
    void gradientOfTheShardedLossEqualsOneDeviceAndFiniteDifferences() {
        Map<String, HostArray> params = params(3, DType.F32);
        HostArray x = input(4, DType.F32);
        Map<String, HostArray> want = Jit.jit("grad", Grad.grad(LOSS, 0)).callMap(params, x);

        // jax.jit(jax.grad(loss), in_shardings=..., out_shardings=fsdp_weights): gradients sharded like the weights
        List<NamedSharding> in = ShardedJit.flat(weightShardings(MESH), batchSharding(MESH));
        SimulatedRun run = ShardedJit.jit("grad", Grad.grad(LOSS, 0), in, ShardedJit.flat(weightShardings(MESH))).callSimulated(params, x);
        Map<String, HostArray> got = (Map<String, HostArray>) run.results();
        assertThat(got.keySet()).isEqualTo(want.keySet());
        for (String name : want.keySet()) {
            assertThat(relErr(got.get(name), want.get(name))).as("d loss / d %s: 8 devices vs 1", name).isLessThan(1e-5);
        }

        // the one-device gradient itself, in f64, against central differences on a few entries of each weight
        Map<String, HostArray> p64 = io.hlo4j.dsl.nn.StateDicts.astype(params, DType.F64);
        HostArray x64 = HostArray.fromDoubles(xSpec(DType.F64).tensorType(), x.toDoubleArray());
        Map<String, HostArray> g64 = Jit.jit("grad64", Grad.grad(LOSS, 0)).callMap(p64, x64);
        Jit loss64 = Jit.jit("loss64", LOSS);
        double h = 1e-5;
        for (String name : List.of("wq", "wo", "w1", "norm2")) {
            double[] v = p64.get(name).toDoubleArray();
            for (int i : new int[] {0, 5, v.length - 1}) {
                double keep = v[i];
                v[i] = keep + h;
                Map<String, HostArray> plus = new TreeMap<>(p64);
                plus.put(name, HostArray.fromDoubles(p64.get(name).type(), v.clone()));
                v[i] = keep - h;
                Map<String, HostArray> minus = new TreeMap<>(p64);
                minus.put(name, HostArray.fromDoubles(p64.get(name).type(), v.clone()));
                v[i] = keep;
                double fd = (loss64.call1(plus, x64).getDouble(0) - loss64.call1(minus, x64).getDouble(0)) / (2 * h);
                assertThat(g64.get(name).getDouble(i)).as("%s[%d] vs finite difference", name, i)
                        .isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-7 + 1e-5 * Math.abs(fd)));
                assertThat(got.get(name).getDouble(i)).as("%s[%d] sharded f32 vs f64", name, i)
                        .isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(fd))));
            }
        }
    }
}
