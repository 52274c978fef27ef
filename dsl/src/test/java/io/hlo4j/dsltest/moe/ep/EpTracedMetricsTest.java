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

    /**
     * apply(x, gate, w) and metrics(applied), for a layer that does not route by hash, trace the same program as the
     * calls with a sequence length (which only hash routing reads): the same objective to the bit; a HASH layer is
     * refused by name, pointing to the calls that take the ids or the length.
     */
    @Test
    void withoutASequenceLengthTheSameProgramAndHashIsRefused() {
        EpCase c = EpCase.random(CFG, 4, 4, false, 17);
        Object[] in = {c.x(), c.gate(), c.wi(), c.wu(), c.wd()};
        NamedSharding rep = NamedSharding.of(MESH), experts = NamedSharding.of(MESH, "ep", null, "tp");
        List<NamedSharding> shardings = List.of(NamedSharding.of(MESH, "dp", null, null), rep, experts, experts, NamedSharding.of(MESH, "ep", "tp", null));
        ExpertParallelMoe ep = new ExpertParallelMoe(CFG, ExpertMeshView.of(MESH), EpMode.TOKEN_SHARDED);
        TracedFunction short_ = a -> {
            ExpertParallelMoe.Applied o = ep.apply((Tensor) a[0], (Tensor) a[1], ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]));
            MoeMetrics<Tensor> m = ep.metrics(o);
            return o.output().square().mean().add(m.loadBalancingLoss().orElseThrow()).add(m.routerZLoss().orElseThrow());
        };
        HostArray got = (HostArray) ShardedJit.jit("short", short_, shardings).callSimulated(in).results();
        HostArray want = (HostArray) ShardedJit.jit("long", objective(ep, c.s()), shardings).callSimulated(in).results();
        assertThat(got.getDouble(0)).isEqualTo(want.getDouble(0));

        ExpertParallelMoe hash = new ExpertParallelMoe(CFG.withRoutingStrategy(io.hlo4j.dsl.moe.MoeRoutingStrategy.HASH), ExpertMeshView.of(MESH),
                EpMode.TOKEN_SHARDED);
        assertThatThrownBy(() -> ShardedJit.jit("hash", a -> hash.apply((Tensor) a[0], (Tensor) a[1],
                ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4])).output(), shardings).lower(in))
                .isInstanceOf(MoeException.class).hasMessageContaining("ExpertParallelMoe.apply: HASH routing needs the token ids or the sequence length")
                .hasMessageContaining("apply(x, tokenIds, seqLen, gate, w)");
        assertThatThrownBy(() -> hash.metrics((ExpertParallelMoe.Applied) null)).isInstanceOf(MoeException.class)
                .hasMessageContaining("ExpertParallelMoe.metrics: HASH routing needs the token ids or the sequence length")
                .hasMessageContaining("metrics(applied, tokenIds, seqLen)");
    }
}
