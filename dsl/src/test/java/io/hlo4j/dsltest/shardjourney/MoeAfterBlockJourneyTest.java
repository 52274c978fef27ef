package io.hlo4j.dsltest.shardjourney;

import static io.hlo4j.dsltest.shardjourney.TransformerBlock.*;
import static io.hlo4j.runtime.testing.RelativeError.relErr;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The MoE layer after the block, as docs/moe.md ("On several devices") and docs/moe-expert-parallelism.md ("Inside
 * your own sharded program") show it, each in one sharded jit: (1) the FUSED layer on the ("data", "model") mesh, the
 * experts split over "model" (one per device group), and (2) {@link ExpertParallelMoe#apply} on the 5D mesh that
 * matches (dp = 2 for "data", ep = 4 for "model"), in each mode, the partitioner resharding the block's output into
 * the layer. Oracle: the block and the FUSED layer jit'd on one device.
 */
class MoeAfterBlockJourneyTest {
    static final MoeConfig CFG = MoeConfig.of(4, 2, D, 8);   // E, k, H, M
    static final Mesh MESH = mesh();

    static Map<String, HostArray> moeParams(long seed) {
        Random r = new Random(seed);
        Map<String, HostArray> m = new TreeMap<>();
        m.put("gate", f32(r, 0.5, D, 4));
        m.put("wi", f32(r, 0.3, 4, D, 8));
        m.put("wu", f32(r, 0.3, 4, D, 8));
        m.put("wd", f32(r, 0.3, 4, 8, D));
        return m;
    }

    static HostArray f32(Random r, double scale, long... shape) {
        double[] v = new double[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = scale * r.nextGaussian();
        return HostArray.fromDoubles(Spec.of(DType.F32, shape).tensorType(), v);
    }

    static Tensor moe(Map<String, Tensor> m, Tensor y) {
        return new BaseMoeModule(CFG, MoeFusedHooks.none()).moeCall(y, BaseMoeModule.linearGate(m.get("gate")),
                ExpertWeights.of(m.get("wi"), m.get("wu"), m.get("wd")), false).output();
    }

    /** (block params, moe params, x) -> y + moe(y) with y = block(x). */
    @SuppressWarnings("unchecked")
    static final TracedFunction BLOCK_THEN_MOE = a -> {
        Tensor y = apply((Map<String, Tensor>) a[0], (Tensor) a[2]);
        return y.add(moe((Map<String, Tensor>) a[1], y));
    };

    @Test
    void blockThenMoeInOneShardedJitWithExpertsOverModelEqualsOneDevice() {
        Map<String, HostArray> bp = params(7, DType.F32), mp = moeParams(8);
        HostArray x = input(9, DType.F32);
        HostArray want = Jit.jit("net", BLOCK_THEN_MOE).call1(bp, mp, x);

        NamedSharding experts = NamedSharding.of(MESH, "model", null, null);
        Map<String, NamedSharding> moeShardings = new TreeMap<>(Map.of("wi", experts, "wu", experts, "wd", experts));
        moeShardings.put("gate", null);   // replicated by propagation's choice
        List<NamedSharding> in = ShardedJit.flat(weightShardings(MESH), moeShardings, batchSharding(MESH));
        SimulatedRun run = ShardedJit.jit("net", BLOCK_THEN_MOE, in, List.of(batchSharding(MESH))).callSimulated(bp, mp, x);
        assertThat(relErr((HostArray) run.results(), want)).as("block + MoE on 8 devices vs 1").isLessThan(1e-5);
        // each device holds one expert: wi [1, 16, 8]
        List<String> local = run.program().module().entryFunction().region(0).entry().arguments().stream().map(v -> v.type().toString()).toList();
        assertThat(local).contains("tensor<1x16x8xf32>", "tensor<1x8x16xf32>");
    }

    /** The JAX mesh (data=2, model=4) as the 5D model mesh: dp = 2, ep = 4. */
    static final Mesh MODEL_MESH = ExpertMeshView.modelMesh(2, 1, 4, 1, 1);

    /** A sharding of the ("data", "model") mesh written on the model mesh: data as dp, model as ep. */
    static NamedSharding onModelMesh(NamedSharding s) {
        List<List<String>> dims = s.spec().dims().stream()
                .map(d -> d.stream().map(a -> a.equals("data") ? "dp" : a.equals("model") ? "ep" : a).toList()).toList();
        return new NamedSharding(MODEL_MESH, PartitionSpec.ofAxes(dims));
    }

    /** (block params, moe params, x) -> y + ep.apply(y) with y = block(x), in the same trace. */
    @SuppressWarnings("unchecked")
    static TracedFunction blockThenExpertParallel(ExpertParallelMoe ep) {
        return a -> {
            Map<String, Tensor> m = (Map<String, Tensor>) a[1];
            Tensor y = apply((Map<String, Tensor>) a[0], (Tensor) a[2]);
            return y.add(ep.apply(y, null, S, m.get("gate"), ExpertWeights.of(m.get("wi"), m.get("wu"), m.get("wd"))).output());
        };
    }

    @Test
    void blockThenExpertParallelMoeInOneShardedJitInEveryModeEqualsOneDevice() {
        Map<String, HostArray> bp = params(10, DType.F32), mp = moeParams(11);
        HostArray x = input(12, DType.F32);
        HostArray want = Jit.jit("net", BLOCK_THEN_MOE).call1(bp, mp, x);

        // the block's FSDP/Megatron layout of the first test, on the model mesh; the experts over ep, the gate replicated
        Map<String, NamedSharding> block = new TreeMap<>();
        weightShardings(MESH).forEach((k, v) -> block.put(k, onModelMesh(v)));
        NamedSharding experts = NamedSharding.of(MODEL_MESH, "ep", null, null);
        Map<String, NamedSharding> moe = new TreeMap<>(Map.of("wi", experts, "wu", experts, "wd", experts, "gate", NamedSharding.of(MODEL_MESH)));
        NamedSharding batch = onModelMesh(batchSharding(MESH));
        List<NamedSharding> in = ShardedJit.flat(block, moe, batch);
        ExpertMeshView view = ExpertMeshView.of(MODEL_MESH);
        for (EpMode mode : EpMode.values()) {
            ExpertParallelMoe ep = new ExpertParallelMoe(CFG, view, mode);
            SimulatedRun run = ShardedJit.jit("net", blockThenExpertParallel(ep), in, List.of(batch)).callSimulated(bp, mp, x);
            HostArray got = (HostArray) run.results();
            assertThat(got.shape()).as(mode + " output is [B, S, H]").containsExactly(B, S, D);
            assertThat(relErr(got, want)).as("%s: block + expert-parallel MoE on 8 devices vs 1", mode).isLessThan(1e-5);
        }
    }
}
