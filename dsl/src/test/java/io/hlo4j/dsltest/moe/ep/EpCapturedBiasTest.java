package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
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
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A learned router bias, a tensor of the caller's trace, used by an after_gate hook of the expert-parallel layer: its
 * per-device body closes over it (a replicated operand), and the objective and the bias's gradient equal the
 * one-device FUSED layer's with the same hook (where the bias is an ordinary value of the trace).
 */
class EpCapturedBiasTest {
    static final Mesh MESH = ExpertMeshView.modelMesh(2, 1, 2, 2, 1);
    static final MoeConfig CFG = MoeConfig.of(8, 2, 8, 8);

    static TracedFunction objective(EpMode mode) {
        return a -> {
            Tensor x = (Tensor) a[0], gate = (Tensor) a[1], bias = (Tensor) a[5];
            ExpertWeights w = ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]);
            MoeFusedHooks<Tensor> hooks = MoeFusedHooks.<Tensor>none().withAfterGate(l -> l.add(bias));
            Tensor out = mode == null
                    ? new BaseMoeModule(CFG, hooks).moeCall(x, BaseMoeModule.linearGate(gate), w, false).output()
                    : new ExpertParallelMoe(CFG, ExpertMeshView.of(MESH), mode).withHooks(hooks).apply(x, gate, w).output();
            return out.square().mean();
        };
    }

    @Test
    void theBiasGradientIsTheOneDeviceLayers() {
        EpCase c = EpCase.random(CFG, 4, 4, false, 23);
        HostArray bias = HostArray.fromDoubles(io.hlo4j.dsl.Spec.of(DType.F32, 8).tensorType(), new double[] {0.3, -0.2, 0.1, 0.4, -0.5, 0.2, 0.0, -0.1});
        Object[] in = {c.x(), c.gate(), c.wi(), c.wu(), c.wd(), bias};
        List<?> want = (List<?>) Jit.jit("one", Grad.valueAndGrad(objective(null), 1, 5)).call(in);
        NamedSharding rep = NamedSharding.of(MESH), experts = NamedSharding.of(MESH, "ep", null, "tp");
        List<NamedSharding> sh = List.of(NamedSharding.of(MESH, "dp", null, null), rep, experts, experts, NamedSharding.of(MESH, "ep", "tp", null), rep);
        for (EpMode mode : List.of(EpMode.REPLICATED, EpMode.TOKEN_SHARDED)) {
            List<?> got = (List<?>) ShardedJit.jit("ep", Grad.valueAndGrad(objective(mode), 1, 5), sh).callSimulated(in).results();
            EpCase.assertRelClose(mode + " objective", (HostArray) got.get(0), (HostArray) want.get(0), 1e-5);
            for (int i = 0; i < 2; i++) {
                EpCase.assertRelClose(mode + " gradient " + i, (HostArray) ((List<?>) got.get(1)).get(i), (HostArray) ((List<?>) want.get(1)).get(i), 1e-5);
            }
        }
    }
}
