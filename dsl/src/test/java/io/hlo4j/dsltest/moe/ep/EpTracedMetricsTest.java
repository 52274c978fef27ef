package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
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
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
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
 * {@link ExpertParallelMoe#metrics(ExpertParallelMoe.Applied)} and its checked form: the auxiliary losses of the
 * traced expert-parallel layer, added to a training objective inside a sharded trace on 8 simulated devices, give the
 * objective and the gradients of all five arguments (x, gate, wi, wu, wd) of the same objective on the one-device
 * layer, with TOP_K and with HASH routing (positions n mod S); ids or a sequence length other than apply's are refused.
 */
class EpTracedMetricsTest {
    static final Mesh MESH = ExpertMeshView.modelMesh(2, 1, 2, 2, 1);
    static final MoeConfig CFG = MoeConfig.of(8, 2, 8, 8).withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 0.1).withRouterZLoss(0.01);

    static final MoeConfig HASH = CFG.withRoutingStrategy(MoeRoutingStrategy.HASH);

    /** (x, gate, wi, wu, wd) -> mean(out^2) + load-balancing loss + z-loss, the layer expert parallel or on one device. */
    static TracedFunction objective(ExpertParallelMoe ep, long s) { return objective(CFG, ep, s, false); }

    /** {@code stored}: the EP metrics by {@code metrics(applied)}, else by the checked form with apply's null ids and S. */
    static TracedFunction objective(MoeConfig cfg, ExpertParallelMoe ep, long s, boolean stored) {
        return a -> {
            Tensor x = (Tensor) a[0], gate = (Tensor) a[1];
            ExpertWeights w = ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]);
            Tensor out;
            MoeMetrics<Tensor> m;
            if (ep != null) {
                ExpertParallelMoe.Applied o = ep.apply(x, null, s, gate, w);
                out = o.output();
                m = stored ? ep.metrics(o) : ep.metrics(o, null, s);
            } else {
                var o = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall(x, BaseMoeModule.linearGate(gate), w, true);
                out = o.output();
                m = o.metrics().orElseThrow();
            }
            return out.square().mean().add(m.loadBalancingLoss().orElseThrow()).add(m.routerZLoss().orElseThrow());
        };
    }

    static final NamedSharding EXPERTS = NamedSharding.of(MESH, "ep", null, "tp");
    static final List<NamedSharding> SHARDINGS = List.of(NamedSharding.of(MESH, "dp", null, null), NamedSharding.of(MESH), EXPERTS, EXPERTS,
            NamedSharding.of(MESH, "ep", "tp", null));

    /** The objective and the gradients of all five arguments on the mesh equal one device's, in each mode. */
    static void assertLikeOneDevice(MoeConfig cfg, Object[] in, long s, List<EpMode> modes, boolean stored) {
        List<?> want = (List<?>) Jit.jit("one", Grad.valueAndGrad(objective(cfg, null, s, false), 0, 1, 2, 3, 4)).call(in);
        for (EpMode mode : modes) {
            ExpertParallelMoe ep = new ExpertParallelMoe(cfg, ExpertMeshView.of(MESH), mode);
            List<?> got = (List<?>) ShardedJit.jit("ep", Grad.valueAndGrad(objective(cfg, ep, s, stored), 0, 1, 2, 3, 4), SHARDINGS)
                    .callSimulated(in).results();
            EpCase.assertRelClose(mode + " objective", (HostArray) got.get(0), (HostArray) want.get(0), 1e-5);
            for (int i = 0; i < 5; i++) {
                EpCase.assertRelClose(mode + " gradient " + i, (HostArray) ((List<?>) got.get(1)).get(i), (HostArray) ((List<?>) want.get(1)).get(i), 1e-5);
            }
        }
    }

    @Test
    void lossesInsideTheShardedTraceTrainLikeOneDevice() {
        EpCase c = EpCase.random(CFG, 4, 4, false, 17);
        Object[] in = {c.x(), c.gate(), c.wi(), c.wu(), c.wd()};
        assertLikeOneDevice(CFG, in, c.s(), List.of(EpMode.REPLICATED, EpMode.TOKEN_SHARDED, EpMode.RING), false);
        // the losses are live: the objective without them is smaller by their sum, which is not small
        double without = ((HostArray) Jit.jit("plain", a -> new BaseMoeModule(CFG, MoeFusedHooks.none()).moeCall((Tensor) a[0],
                BaseMoeModule.linearGate((Tensor) a[1]), ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), false).output().square().mean())
                .call1(in)).getDouble(0);
        double with = ((HostArray) Jit.jit("one", objective(null, c.s())).call1(in)).getDouble(0);
        assertThat(with - without).isGreaterThan(0.05);
    }

    /**
     * HASH routing by positions n mod S: metrics(applied) and the checked form with apply's S give one device's
     * objective and gradients; another S (which would select other experts from the same logits) is refused, and so
     * are ids apply was not given.
     */
    @Test
    void hashRoutingUsesApplysPositionsAndRefusesAnotherSequenceLength() {
        EpCase c = EpCase.random(HASH, 4, 4, false, 29);
        Object[] in = {c.x(), c.gate(), c.wi(), c.wu(), c.wd()};
        assertLikeOneDevice(HASH, in, c.s(), List.of(EpMode.TOKEN_SHARDED), true);
        assertLikeOneDevice(HASH, in, c.s(), List.of(EpMode.REPLICATED), false);
        ExpertParallelMoe ep = new ExpertParallelMoe(HASH, ExpertMeshView.of(MESH), EpMode.REPLICATED);
        TracedFunction otherS = a -> {
            ExpertParallelMoe.Applied o = ep.apply((Tensor) a[0], null, c.s(), (Tensor) a[1], ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]));
            return ep.metrics(o, null, 3).loadBalancingLoss().orElseThrow();
        };
        assertThatThrownBy(() -> ShardedJit.jit("ep", otherS, SHARDINGS).callSimulated(in)).isInstanceOf(MoeException.class)
                .hasMessageContaining("ExpertParallelMoe.metrics: sequence length 3 differs from apply's 4 (hash routing uses positions n mod S)");
        TracedFunction otherIds = a -> {
            ExpertParallelMoe.Applied o = ep.apply((Tensor) a[0], null, c.s(), (Tensor) a[1], ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]));
            return ep.metrics(o, Ops.arange(16, DType.I32).reshape(4, 4), c.s()).loadBalancingLoss().orElseThrow();
        };
        assertThatThrownBy(() -> ShardedJit.jit("ep", otherIds, SHARDINGS).callSimulated(in)).isInstanceOf(MoeException.class)
                .hasMessageContaining("ExpertParallelMoe.metrics: token ids tensor<4x4xi32> were not given to apply (it used positions n mod 4); pass null");
    }

    @Test
    void withoutAnAppliedResultItIsRefusedByName() {
        ExpertParallelMoe ep = new ExpertParallelMoe(CFG, ExpertMeshView.of(MESH), EpMode.REPLICATED);
        assertThatThrownBy(() -> ep.metrics((ExpertParallelMoe.Applied) null, null, 4)).isInstanceOf(MoeException.class)
                .hasMessageContaining("ExpertParallelMoe.metrics: no Applied given");
    }

    /**
     * apply(x, gate, w) and metrics(applied), for a layer that does not route by hash, trace the same program as the
     * calls with a sequence length (which only hash routing reads): the same objective to the bit; apply(x, gate, w) of
     * a HASH layer is refused by name, pointing to the call that takes the ids or the length (metrics(applied) reuses
     * what apply used, so it serves HASH too: hashRoutingByPositions).
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
    }
}
