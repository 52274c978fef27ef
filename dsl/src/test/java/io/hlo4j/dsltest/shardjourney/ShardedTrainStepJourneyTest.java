package io.hlo4j.dsltest.shardjourney;

import static io.hlo4j.dsltest.shardjourney.TransformerBlock.*;
import static io.hlo4j.runtime.testing.RelativeError.relErr;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The FSDP training step a JAX user writes by hand: {@code jax.jit(step, in_shardings=(fsdp, P("data")),
 * out_shardings=(replicated, fsdp))} with {@code step(p, x) = (loss, p - lr * grad)}, run for three steps on the 8
 * simulated devices (the new parameters assembled on the host and split again for the next step) against the same
 * loop on one device; the loss must also fall.
 */
class ShardedTrainStepJourneyTest {
    static final Mesh MESH = mesh();
    static final double LR = 0.1;

    @SuppressWarnings("unchecked")
    static final TracedFunction STEP = a -> {
        List<Object> vg = (List<Object>) Grad.valueAndGrad(LOSS, 0).apply(a);
        Map<String, Tensor> p = (Map<String, Tensor>) a[0], g = (Map<String, Tensor>) vg.get(1);
        Map<String, Tensor> next = new TreeMap<>();
        p.forEach((k, w) -> next.put(k, w.sub(g.get(k).mul(LR))));
        return List.of(vg.get(0), next);
    };

    @Test
    @SuppressWarnings("unchecked")
    void threeFsdpSgdStepsOnEightDevicesFollowOneDevice() {
        Map<String, HostArray> p1 = params(21, DType.F32), p8 = p1;
        HostArray x = input(22, DType.F32);
        Jit one = Jit.jit("step", STEP);
        ShardedJit eight = ShardedJit.jit("step", STEP, ShardedJit.flat(weightShardings(MESH), batchSharding(MESH)),
                ShardedJit.flat(new NamedSharding(MESH, PartitionSpec.replicated()), weightShardings(MESH)));
        List<Double> losses = new ArrayList<>();
        List<Object> programs = new ArrayList<>();
        for (int step = 0; step < 3; step++) {
            io.hlo4j.dsl.shard.SimulatedRun sim = eight.callSimulated(p8, x);
            programs.add(sim.program());
            List<Object> r1 = (List<Object>) one.call(p1, x), r8 = (List<Object>) sim.results();
            double l1 = ((HostArray) r1.get(0)).getDouble(0), l8 = ((HostArray) r8.get(0)).getDouble(0);
            assertThat(l8).as("loss at step %d", step).isCloseTo(l1, org.assertj.core.data.Offset.offset(1e-5 * Math.abs(l1)));
            losses.add(l1);
            p1 = (Map<String, HostArray>) r1.get(1);
            p8 = (Map<String, HostArray>) r8.get(1);
            for (String k : p1.keySet()) assertThat(relErr(p8.get(k), p1.get(k))).as("%s after step %d", k, step).isLessThan(1e-5);
        }
        // like jit, the sharded program is traced and partitioned once for the three steps (same structure and shapes)
        assertThat(programs.get(1)).isSameAs(programs.get(0));
        assertThat(programs.get(2)).isSameAs(programs.get(0));
        assertThat(one.cacheSize()).isEqualTo(1);
        assertThat(losses.get(2)).as("SGD lowers the loss " + losses).isLessThan(losses.get(0));
    }
}
