package io.hlo4j.dsltest.moejourney;

import static io.hlo4j.dsltest.moejourney.MoeJourney.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/**
 * Day six: capacity and dropped tokens (docs/moe.md, "Capacity and dropped tokens"). As in EasyDeL, token-choice
 * routing is dropless: an expert takes every row routed to it, however unbalanced, and capacity_factor does not
 * change it. Only EXPERT_CHOICE has a capacity (c tokens per expert); a token no expert picks is dropped: its
 * output row is exactly 0. Token-sharded expert parallelism with a receive buffer smaller than the worst case refuses
 * an overflowing run by name instead of dropping rows.
 */
class CapacityJourneyTest {
    /** 8 tokens that all prefer expert 0 by a wide margin (x[:, 0] >= 3 and gate[0, 0] = 2). */
    static MoeOracle.Inputs skewed() {
        MoeOracle.Inputs r = random(71, 2, 4, 4, 4, 3, false);
        double[] x = r.x().clone(), gate = r.gate().clone();
        for (int t = 0; t < 8; t++) x[t * 4] = 3 + Math.abs(x[t * 4]);
        gate[0] = 2;
        return new MoeOracle.Inputs(2, 4, 4, 4, 3, x, gate, r.wi(), r.wu(), r.wd(), null, null, null);
    }

    @Test
    void tokenChoiceIsDroplessWhateverTheCapacityFactor() {
        MoeOracle.Inputs in = skewed();
        for (MoeRoutingStrategy rs : List.of(MoeRoutingStrategy.TOP_K, MoeRoutingStrategy.TOP_K_NDIV, MoeRoutingStrategy.SWITCH, MoeRoutingStrategy.HASH)) {
            for (MoEMethods m : MoEMethods.values()) {
                MoeConfig base = MoeConfig.of(4, 2, 4, 3).withRoutingStrategy(rs).withMoeMethod(m).withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 1);
                MoeOracle.Result want = MoeOracle.run(base, in, null);
                Map<String, HostArray> tight = MoeJourney.run(base.withCapacityFactor(0.25), MoeFusedHooks.none(), in, DType.F32);
                Map<String, HostArray> loose = MoeJourney.run(base.withCapacityFactor(4.0), MoeFusedHooks.none(), in, DType.F32);
                assertMatches(rs + " " + m + " capacity_factor 0.25", tight, want, 2e-6);
                for (String key : tight.keySet()) {
                    assertThat(tight.get(key).firstBitDifference(loose.get(key))).as("%s %s: %s does not depend on capacity_factor", rs, m, key).isEqualTo(-1);
                }
                if (rs != MoeRoutingStrategy.HASH) {
                    assertThat(tight.get("expert_loads").getLong(0)).as("%s: expert 0 takes all 8 tokens, far above 8 * k / E", rs).isEqualTo(8);
                }
            }
        }
    }

    @Test
    void expertChoiceDropsTheTokensNoExpertPicks() {
        MoeOracle.Inputs in = skewed();
        // c = ceil(0.25 * 8 * 2 / 4) = 1: four (token, expert) pairs for eight tokens, so at least four tokens are dropped
        MoeConfig cfg = MoeConfig.of(4, 2, 4, 3).withRoutingStrategy(MoeRoutingStrategy.EXPERT_CHOICE).withCapacityFactor(0.25)
                .withLoadBalancing(MoeLoadBalancingStrategy.SWITCH_TRANSFORMER, 1);
        assertThat(cfg.expertCapacity(8)).isEqualTo(1);
        MoeOracle.Result want = MoeOracle.run(cfg, in, null);
        for (MoEMethods m : MoEMethods.values()) {
            Map<String, HostArray> got = MoeJourney.run(cfg.withMoeMethod(m), MoeFusedHooks.none(), in, DType.F32);
            assertMatches("expert choice, c = 1, " + m, got, want, 2e-6);
            assertThat(got.get("expert_loads").toLongArray()).containsExactly(1, 1, 1, 1);
            long[] experts = got.get("selected_experts").toLongArray();
            double[] out = got.get("output").toDoubleArray();
            int dropped = 0;
            for (int t = 0; t < 8; t++) {
                boolean none = true;
                for (int j = 0; j < 4; j++) none &= experts[t * 4 + j] == -1;
                if (!none) continue;
                dropped++;
                for (int o = 0; o < 4; o++) assertThat(out[t * 4 + o]).as("%s: dropped token %d's output", m, t).isEqualTo(0.0);
            }
            assertThat(dropped).as(m + ": tokens no expert picked").isGreaterThanOrEqualTo(4);
        }
        // a capacity above N is clamped to N: every expert takes every token, each with weight 1/k, so a token's weights sum to E/k
        MoeConfig all = cfg.withCapacityFactor(8.0);
        assertThat(all.expertCapacity(8)).isEqualTo(8);
        Map<String, HostArray> got = MoeJourney.run(all, MoeFusedHooks.none(), in, DType.F32);
        assertMatches("expert choice, c = N", got, MoeOracle.run(all, in, null), 2e-6);
        assertThat(got.get("selected_weights").toDoubleArray()).containsOnly(0.5);
    }

    /** The only overflow hlo4j knows: token-sharded dispatch into a packed buffer smaller than what routing sends. */
    @Test
    void tokenShardedBufferOverflowIsRefusedNotDropped() {
        MoeOracle.Inputs in = skewed();
        MoeConfig cfg = MoeConfig.of(4, 2, 4, 3);
        List<HostArray> a = args(in, DType.F32);
        ExpertParallelMoe ep = new ExpertParallelMoe(cfg, ExpertMeshView.of(ExpertMeshView.modelMesh(1, 1, 4, 1, 1)), EpMode.TOKEN_SHARDED);
        assertThat(ep.worstCase(8)).isEqualTo(8);
        Map<String, HostArray> one = MoeJourney.run(cfg, MoeFusedHooks.none(), in, DType.F32);
        ExpertParallelMoe.Result full = ep.run(a.get(0), null, 4, a.get(1), a.get(2), a.get(3), a.get(4), null, null, null);
        assertClose("token-sharded, worst-case buffer", full.output().toDoubleArray(), one.get("output").toDoubleArray(), 1e-6);
        // every token sends a row to expert 0's shard: 2 tokens from each of the 4 shards = 8 rows into a buffer of 2
        assertThatThrownBy(() -> ep.withCapacity(2).run(a.get(0), null, 4, a.get(1), a.get(2), a.get(3), a.get(4), null, null, null))
                .isInstanceOf(MoeException.class)
                .hasMessageContaining("device 0 received").hasMessageContaining("capacity of 2 rows").hasMessageContaining("worst case 8");
    }
}
