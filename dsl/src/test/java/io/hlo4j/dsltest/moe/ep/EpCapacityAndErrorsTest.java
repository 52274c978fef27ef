package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.dsl.moe.ep.EpCostModel;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import org.junit.jupiter.api.Test;

import java.util.List;

/** Capacity of the token-sharded receive buffer, AUTO, other routing strategies, and the refusals. */
class EpCapacityAndErrorsTest {
    static final EpCase TOP2 = EpEquivalence.TOP2;

    static ExpertMeshView view(int dp, int fsdp, int ep, int tp, int sp) { return ExpertMeshView.of(ExpertMeshView.modelMesh(dp, fsdp, ep, tp, sp)); }

    /**
     * X shards of 16/X tokens each: shard m receives one row per (token, m) pair of all shards. A buffer of exactly
     * the most any shard receives (from the oracle's routing, below the worst case of 16) gives the exact result;
     * one row less is refused, naming the device and the worst case. X = 2, 4 and 8: L = 4, 2 (codes in the
     * assignment exchange) and 1 (weights with the rows).
     */
    @Test
    void aCapacityOneRowShortIsRefusedAndAnExactOneRuns() {
        long[] experts = TOP2.oracle().get(3).toLongArray();
        for (int x : new int[] {2, 4, 8}) {
            int le = 8 / x;
            long[] received = new long[x];
            for (int t = 0; t < 16; t++) {
                java.util.Set<Long> shards = new java.util.HashSet<>();
                for (int j = 0; j < 2; j++) shards.add(experts[t * 2 + j] / le);
                for (long m : shards) received[(int) m]++;
            }
            long most = java.util.Arrays.stream(received).max().orElseThrow();
            assertThat(most).isLessThan(16);
            ExpertParallelMoe fits = new ExpertParallelMoe(TOP2.cfg(), view(1, 1, x, 1, 1), EpMode.TOKEN_SHARDED).withCapacity(most);
            TOP2.check("X = " + x + ", capacity " + most, fits.run(TOP2.x(), null, TOP2.s(), TOP2.gate(), TOP2.wi(), TOP2.wu(), TOP2.wd(), null, null, null));
            ExpertParallelMoe shortBy1 = new ExpertParallelMoe(TOP2.cfg(), view(1, 1, x, 1, 1), EpMode.TOKEN_SHARDED).withCapacity(most - 1);
            assertThatThrownBy(() -> shortBy1.run(TOP2.x(), null, TOP2.s(), TOP2.gate(), TOP2.wi(), TOP2.wu(), TOP2.wd(), null, null, null))
                    .as("X = " + x).isInstanceOf(MoeException.class)
                    .hasMessageContaining("received 1 (token, shard) rows more than its capacity of " + (most - 1) + " rows")
                    .hasMessageContaining("worst case 16");
        }
    }

    @Test
    void autoRunsTheModeTheCostModelPicks() {
        ExpertMeshView v = view(1, 1, 4, 2, 1);
        ExpertParallelMoe ep = new ExpertParallelMoe(TOP2.cfg(), v, EpMode.AUTO);
        EpCostModel.Estimate plan = ep.plan(16, 8, DType.F32);
        ExpertParallelMoe.Result r = TOP2.runEp(v, EpMode.AUTO);
        assertThat(r.mode()).isEqualTo(plan.mode()).isEqualTo(EpMode.TOKEN_SHARDED);
        TOP2.check("auto", r);
    }

    /** Switch (k = 1) and hash routing (ids from the positions in the sequence, split with the tokens). */
    @Test
    void switchAndHashRoutingInEveryMode() {
        for (MoeRoutingStrategy s : List.of(MoeRoutingStrategy.SWITCH, MoeRoutingStrategy.HASH, MoeRoutingStrategy.TOP_K_NDIV)) {
            EpCase c = EpCase.random(MoeConfig.of(8, s == MoeRoutingStrategy.SWITCH ? 1 : 2, 8, 8).withRoutingStrategy(s), 2, 8, false, 31);
            for (EpMode m : EpEquivalence.modes()) c.check(s + " " + m, c.runEp(view(2, 1, 2, 2, 1), m));
        }
    }

    /** Expert choice ranks tokens across the batch: fine when nothing splits the tokens, refused when something does. */
    @Test
    void expertChoiceRunsReplicatedOnlyWhenTokensAreWhole() {
        EpCase c = EpCase.random(MoeConfig.of(8, 2, 8, 8).withRoutingStrategy(MoeRoutingStrategy.EXPERT_CHOICE), 2, 8, false, 41);
        c.check("expert choice replicated", c.runEp(view(1, 2, 2, 2, 1), EpMode.REPLICATED));
        assertThat(new ExpertParallelMoe(c.cfg(), view(1, 2, 2, 2, 1), EpMode.AUTO).allowed(16)).containsExactly(EpMode.REPLICATED);
        assertThatThrownBy(() -> c.runEp(view(1, 2, 2, 2, 1), EpMode.TOKEN_SHARDED)).isInstanceOf(MoeException.class)
                .hasMessageContaining("expert_choice routing ranks tokens across the batch").hasMessageContaining("4 shards of the dp and expert axes [dp, fsdp, ep, sp]");
    }

    @Test
    void refusals() {
        EpCase c = TOP2;
        assertThatThrownBy(() -> new ExpertParallelMoe(MoeConfig.of(6, 2, 8, 8), view(1, 1, 4, 1, 1), EpMode.RING).trace(16, 8, DType.F32, false))
                .isInstanceOf(MoeException.class).hasMessageContaining("6 experts do not divide over the 4 shards of the expert axes [fsdp, ep, sp]");
        assertThatThrownBy(() -> new ExpertParallelMoe(c.cfg(), view(1, 1, 8, 1, 1), EpMode.TOKEN_SHARDED).trace(12, 8, DType.F32, false))
                .isInstanceOf(MoeException.class).hasMessageContaining("the 12 tokens do not divide over the 8 shards of the dp and expert axes");
        assertThatThrownBy(() -> new ExpertParallelMoe(MoeConfig.of(8, 2, 8, 12), view(1, 1, 1, 8, 1), EpMode.REPLICATED).trace(16, 12, DType.F32, false))
                .isInstanceOf(MoeException.class).hasMessageContaining("intermediate size 12 and hidden size 8 must divide by tp = 8");
        assertThatThrownBy(() -> new ExpertParallelMoe(c.cfg(), view(1, 1, 2, 1, 1), EpMode.RING).withCapacity(4).trace(16, 8, DType.F32, false))
                .isInstanceOf(MoeException.class).hasMessageContaining("capacity applies to token-sharded dispatch only");
    }

    @Test
    void autoWithNoModeThatFitsSaysWhy() {
        // 6 tokens over dp = 4: no mode can split them; the message is the reason, not the cost model's inputs
        assertThatThrownBy(() -> new ExpertParallelMoe(TOP2.cfg(), view(4, 1, 1, 1, 1), EpMode.AUTO).trace(6, 8, DType.F32, false))
                .isInstanceOf(MoeException.class)
                .hasMessageContaining("expert-parallel FUSED, mode auto: no mode fits: the 6 tokens do not divide over the 4 shards of the dp axes")
                .hasMessageNotContaining("EpShapes");
    }
}
