package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeMetrics;
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
 * {@link ExpertParallelMoe#metrics(ExpertParallelMoe.Applied, Tensor, long)}: the auxiliary losses of the traced
 * expert-parallel layer, added to a training objective inside a sharded trace on 8 simulated devices, give the
 * objective and the gradients (gate, wi) of the same objective on the one-device layer.
 */
class EpTracedMetricsTest {
    static final Mesh MESH = ExpertMeshView.modelMesh(2, 1, 2, 2, 1);
    static final MoeConfig CFG = MoeConfig.of(8, 2, 8, 8).withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 0.1).withRouterZLoss(0.01);

    /** (x, gate, wi, wu, wd) -> mean(out^2) + load-balancing loss + z-loss, the layer expert parallel or on one device. */
    static TracedFunction objective(ExpertParallelMoe ep, long s) {
        return a -> {
            Tensor x = (Tensor) a[0], gate = (Tensor) a[1];
            ExpertWeights w = ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]);
            Tensor out;
            MoeMetrics<Tensor> m;
            if (ep != null) {
                ExpertParallelMoe.Applied o = ep.apply(x, null, s, gate, w);
                out = o.output();
                m = ep.metrics(o, null, s);
            } else {
                var o = new BaseMoeModule(CFG, MoeFusedHooks.none()).moeCall(x, BaseMoeModule.linearGate(gate), w, true);
                out = o.output();
                m = o.metrics().orElseThrow();
            }
            return out.square().mean().add(m.loadBalancingLoss().orElseThrow()).add(m.routerZLoss().orElseThrow());
        };
    }

    @Test
    void lossesInsideTheShardedTraceTrainLikeOneDevice() {
        EpCase c = EpCase.random(CFG, 4, 4, false, 17);
        Object[] in = {c.x(), c.gate(), c.wi(), c.wu(), c.wd()};
        List<?> want = (List<?>) Jit.jit("one", Grad.valueAndGrad(objective(null, c.s()), 1, 2)).call(in);
        NamedSharding rep = NamedSharding.of(MESH), experts = NamedSharding.of(MESH, "ep", null, "tp");
        List<NamedSharding> shardings = List.of(NamedSharding.of(MESH, "dp", null, null), rep, experts, experts, NamedSharding.of(MESH, "ep", "tp", null));
        for (EpMode mode : List.of(EpMode.REPLICATED, EpMode.TOKEN_SHARDED, EpMode.RING)) {
            ExpertParallelMoe ep = new ExpertParallelMoe(CFG, ExpertMeshView.of(MESH), mode);
            List<?> got = (List<?>) ShardedJit.jit("ep", Grad.valueAndGrad(objective(ep, c.s()), 1, 2), shardings).callSimulated(in).results();
            EpCase.assertRelClose(mode + " objective", (HostArray) got.get(0), (HostArray) want.get(0), 1e-5);
            for (int i = 0; i < 2; i++) {
                EpCase.assertRelClose(mode + " gradient " + i, (HostArray) ((List<?>) got.get(1)).get(i), (HostArray) ((List<?>) want.get(1)).get(i), 1e-5);
            }
        }
        // the losses are live: the objective without them is smaller by their sum, which is not small
        double without = ((HostArray) Jit.jit("plain", a -> new BaseMoeModule(CFG, MoeFusedHooks.none()).moeCall((Tensor) a[0],
                BaseMoeModule.linearGate((Tensor) a[1]), ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), false).output().square().mean())
                .call1(in)).getDouble(0);
        assertThat(((HostArray) want.get(0)).getDouble(0) - without).isGreaterThan(0.05);
    }

    @Test
    void withoutAnAppliedResultItIsRefusedByName() {
        ExpertParallelMoe ep = new ExpertParallelMoe(CFG, ExpertMeshView.of(MESH), EpMode.REPLICATED);
        assertThatThrownBy(() -> ep.metrics((ExpertParallelMoe.Applied) null, null, 4)).isInstanceOf(MoeException.class)
                .hasMessageContaining("ExpertParallelMoe.metrics: no Applied given");
    }
}
