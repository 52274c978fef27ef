package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
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
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link ExpertParallelMoe#metrics}: the losses and metrics of an expert-parallel run on 8 simulated devices equal
 * those the one-device layer ({@code moeCall} with metrics) reports for the same inputs.
 */
class EpMetricsTest {
    static final ExpertMeshView VIEW = ExpertMeshView.of(ExpertMeshView.modelMesh(1, 2, 2, 2, 1));

    /** The one-device layer's metrics by name, with token ids when given. */
    static Map<String, HostArray> oneDevice(EpCase c, HostArray ids) {
        List<HostArray> args = new ArrayList<>(List.of(c.x(), c.gate(), c.wi(), c.wu(), c.wd()));
        if (ids != null) args.add(ids);
        return Jit.jit("one", a -> new BaseMoeModule(c.cfg(), MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), ids == null ? null : (Tensor) a[5], true).metrics().orElseThrow().asMap())
                .callMap(args.toArray());
    }

    static void assertSame(String what, MoeMetrics<HostArray> got, Map<String, HostArray> want) {
        Map<String, HostArray> g = got.asMap();
        assertThat(g.keySet()).as(what + ": the same metrics").containsExactlyInAnyOrderElementsOf(want.keySet());
        for (String k : want.keySet()) {
            if (k.equals("expert_loads") || k.equals("selected_experts")) {
                assertThat(g.get(k).toLongArray()).as(what + " " + k).containsExactly(want.get(k).toLongArray());
            } else {
                EpCase.assertRelClose(what + " " + k, g.get(k), want.get(k), 1e-5);
            }
        }
    }

    @Test
    void topTwoLossesAndMetricsEqualOneDeviceInEveryMode() {
        MoeConfig cfg = MoeConfig.of(8, 2, 8, 8).withLoadBalancing(MoeLoadBalancingStrategy.SWITCH_TRANSFORMER, 0.1).withRouterZLoss(0.01);
        EpCase c = EpCase.random(cfg, 4, 4, false, 17);
        Map<String, HostArray> want = oneDevice(c, null);
        assertThat(want).containsKeys("load_balancing_loss", "router_z_loss");
        List<EpMode> modes = new ExpertParallelMoe(c.cfg(), VIEW, EpMode.AUTO).allowed(16);
        assertThat(modes).as("replicated, ring and token-sharded").hasSize(3);
        for (EpMode mode : modes) {
            ExpertParallelMoe ep = new ExpertParallelMoe(c.cfg(), VIEW, mode);
            ExpertParallelMoe.Result r = ep.run(c.x(), null, c.s(), c.gate(), c.wi(), c.wu(), c.wd(), null, null, null);
            MoeMetrics<HostArray> m = ep.metrics(r, null, c.s());
            assertSame(mode.cliName(), m, want);
            assertThat(m.expertLoads().toLongArray()).as(mode.cliName() + ": the run's own loads").containsExactly(r.expertLoads().toLongArray());
        }
    }

    /**
     * Every routing strategy and load-balancing loss in a bf16 layer with tp = 2: the output, router logits and loads
     * of the run and every loss and metric equal the one-device layer's bit for bit, in every mode the strategy allows
     * (expert choice ranks tokens across the batch: REPLICATED with D = 1 only). EpDtypeTest says why the output is
     * exact; the metrics are redone from the run's (exact) logits by the one-device router.
     */
    @Test
    void everyStrategyInBf16EqualsOneDeviceBitForBit() {
        MoeLoadBalancingStrategy[] losses = {MoeLoadBalancingStrategy.STANDARD, MoeLoadBalancingStrategy.SWITCH_TRANSFORMER,
                MoeLoadBalancingStrategy.EXPERT_CHOICE, MoeLoadBalancingStrategy.STANDARD, MoeLoadBalancingStrategy.SWITCH_TRANSFORMER};
        MoeRoutingStrategy[] strategies = MoeRoutingStrategy.values();
        for (int i = 0; i < strategies.length; i++) {
            MoeConfig cfg = MoeConfig.of(8, 2, 8, 8).withDtype(io.hlo4j.dsl.moe.MoeDtype.BFLOAT16).withRoutingStrategy(strategies[i])
                    .withLoadBalancing(losses[i % losses.length], 0.1).withRouterZLoss(0.01);
            EpCase c = EpCase.random(cfg, 4, 4, true, 23 + i);
            Map<String, HostArray> want = oneDevice(c, null);
            List<EpMode> modes = new ExpertParallelMoe(c.cfg(), VIEW, EpMode.AUTO).allowed(16);
            assertThat(modes).as(strategies[i] + " modes").isNotEmpty();
            for (EpMode mode : modes) {
                String what = strategies[i] + " " + mode.cliName();
                ExpertParallelMoe ep = new ExpertParallelMoe(c.cfg(), VIEW, mode);
                ExpertParallelMoe.Result r = ep.run(c.x(), null, c.s(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB());
                assertThat(r.output().toDoubleArray()).as(what + " output").containsExactly(c.oracle().get(0).reshape(16, 8).toDoubleArray());
                assertThat(r.routerLogits().toDoubleArray()).as(what + " logits").containsExactly(c.oracle().get(1).toDoubleArray());
                Map<String, HostArray> got = ep.metrics(r, null, c.s()).asMap();
                assertThat(got.keySet()).as(what).containsExactlyInAnyOrderElementsOf(want.keySet());
                for (String k : want.keySet()) assertThat(got.get(k).toDoubleArray()).as(what + " " + k).containsExactly(want.get(k).toDoubleArray());
            }
        }
    }

    @Test
    void hashRoutingWithTokenIdsEqualsOneDevice() {
        MoeConfig cfg = MoeConfig.of(8, 2, 8, 8).withRoutingStrategy(MoeRoutingStrategy.HASH).withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 1);
        EpCase c = EpCase.random(cfg, 4, 4, false, 23);
        long[] v = new long[16];
        for (int i = 0; i < 16; i++) v[i] = (i * 5 + 3) % 11 - 4;   // negative ids too
        HostArray ids = HostArray.fromLongs(io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.IntegerType.I32, 4, 4), v);
        Map<String, HostArray> want = oneDevice(c, ids);
        ExpertParallelMoe ep = new ExpertParallelMoe(c.cfg(), VIEW, EpMode.TOKEN_SHARDED);
        ExpertParallelMoe.Result r = ep.run(c.x(), ids, c.s(), c.gate(), c.wi(), c.wu(), c.wd(), null, null, null);
        assertSame("hash, token ids", ep.metrics(r, ids, c.s()), want);
        // the ids matter: a run by positions selects otherwise, and metrics refuse to mix a run's ids with positions
        ExpertParallelMoe.Result byPositions = ep.run(c.x(), null, c.s(), c.gate(), c.wi(), c.wu(), c.wd(), null, null, null);
        assertThat(ep.metrics(byPositions, null, c.s()).selectedExperts().toLongArray()).isNotEqualTo(want.get("selected_experts").toLongArray());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ep.metrics(r, null, c.s()))
                .hasMessageContaining("ExpertParallelMoe.metrics: the run was given token ids [4, 4]; pass the same ids");
    }

    @Test
    void tokenIdsAreRefusedUnlessHashRouting() {
        EpCase c = EpCase.random(MoeConfig.of(8, 2, 8, 8), 4, 4, false, 5);
        HostArray ids = EpCase.i32(new long[16]);
        ExpertParallelMoe ep = new ExpertParallelMoe(c.cfg(), VIEW, EpMode.REPLICATED);
        assertThatThrownBy(() -> ep.run(c.x(), ids, c.s(), c.gate(), c.wi(), c.wu(), c.wd(), null, null, null)).isInstanceOf(MoeException.class)
                .hasMessageContaining("ExpertParallelMoe.run: token ids").hasMessageContaining("routing_strategy is top_k; only hash routing reads token ids")
                .satisfies(e -> assertThat(((MoeException) e).format()).as("names the caller's line").contains("EpMetricsTest.java:"));
    }
}
