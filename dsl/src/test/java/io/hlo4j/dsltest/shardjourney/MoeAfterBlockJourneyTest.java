package io.hlo4j.dsltest.shardjourney;

import static io.hlo4j.dsltest.shardjourney.TransformerBlock.*;
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
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The MoE layer after the block, as docs/moe.md ("On several devices") and docs/moe-expert-parallelism.md show it:
 * (1) composed with the block in one sharded jit on the ("data", "model") mesh, the experts split over "model" (one
 * per device group), and (2) the block's output fed to {@link ExpertParallelMoe} on the 5D mesh that matches
 * (dp = 2 for "data", ep = 4 for "model") in each mode. Oracle: the block and the FUSED layer jit'd on one device.
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

    @Test
    void theBlocksOutputThroughExpertParallelMoeInEveryModeEqualsOneDevice() {
        Map<String, HostArray> bp = params(10, DType.F32), mp = moeParams(11);
        HostArray x = input(12, DType.F32);
        @SuppressWarnings("unchecked")
        HostArray y = Jit.jit("block", a -> apply((Map<String, Tensor>) a[0], (Tensor) a[1])).call1(bp, x);
        @SuppressWarnings("unchecked")
        HostArray want = Jit.jit("moe", a -> moe((Map<String, Tensor>) a[0], (Tensor) a[1])).call1(mp, y);

        // the JAX mesh (data=2, model=4) as the 5D model mesh: dp = 2, ep = 4
        ExpertMeshView view = ExpertMeshView.of(ExpertMeshView.modelMesh(2, 1, 4, 1, 1));
        for (EpMode mode : EpMode.values()) {
            ExpertParallelMoe ep = new ExpertParallelMoe(CFG, view, mode);
            ExpertParallelMoe.Result r = ep.run(y, null, S, mp.get("gate"), mp.get("wi"), mp.get("wu"), mp.get("wd"), null, null, null);
            assertThat(r.output().shape()).as(mode + " output is [N, H]").containsExactly((long) B * S, D);
            assertThat(relErr(r.output(), want.reshape(B * S, D))).as("%s (ran as %s) vs one device", mode, r.mode()).isLessThan(1e-5);
        }
    }
}
