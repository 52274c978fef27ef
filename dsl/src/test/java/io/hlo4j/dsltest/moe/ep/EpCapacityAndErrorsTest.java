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

    /** X = 2 shards of 8 tokens (16 rows each): a buffer of 12 rows overflows on some device and the run is refused. */
    @Test
    void aCapacityThatOverflowsIsRefusedNamingTheDevice() {
        ExpertParallelMoe ep = new ExpertParallelMoe(TOP2.cfg(), view(1, 1, 2, 1, 1), EpMode.TOKEN_SHARDED).withCapacity(12);
        assertThatThrownBy(() -> ep.run(TOP2.x(), null, TOP2.s(), TOP2.gate(), TOP2.wi(), TOP2.wu(), TOP2.wd(), null, null, null))
                .isInstanceOf(MoeException.class).hasMessageContaining("received").hasMessageContaining("capacity of 12 rows")
                .hasMessageContaining("worst case 32");
    }

    /** A capacity below the worst case (32) that the routing fits in gives the oracle's result. */
    @Test
    void aCapacityThatFitsGivesTheExactResult() {
        ExpertParallelMoe ep = new ExpertParallelMoe(TOP2.cfg(), view(1, 1, 2, 1, 1), EpMode.TOKEN_SHARDED).withCapacity(24);
        TOP2.check("capacity 24", ep.run(TOP2.x(), null, TOP2.s(), TOP2.gate(), TOP2.wi(), TOP2.wu(), TOP2.wd(), null, null, null));
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
}
