package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.ep.DispatchBound;
import io.hlo4j.dsl.moe.ep.EpLayout;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

/**
 * {@link DispatchBound} against hand-counted routings (the runtime's log is its other oracle, in EpTrafficTest and
 * MoeRunMeshTest): rows per distinct (token, other shard) pair, weights and codes per remote assignment, counts per
 * peer; the pairs check against the program's report; the refusals.
 */
class DispatchBoundTest {
    static EpLayout layout(int dp, int fsdp, int ep, int tp, int sp) {
        return new EpLayout(ExpertMeshView.of(ExpertMeshView.modelMesh(dp, fsdp, ep, tp, sp)));
    }

    /** ep = 2, L = 2: tokens 0-1 on device 0 (shard 0, experts 0-1), 2-3 on device 1. */
    @Test
    void twoShardsTwoExpertsEach() {
        long[] experts = {0, 1, 0, 2, 2, 3, 1, 3};
        DispatchBound b = DispatchBound.of(layout(1, 1, 2, 1, 1), 4, 4, experts, 2, 4, 4, 4);
        // device 0: token 1 has expert 2 on shard 1 (one pair, one assignment); device 1: token 3 has expert 1 on shard 0
        assertThat(b.pairsTo()).isDeepEqualTo(new long[][] {{2, 1}, {1, 2}});
        assertThat(b.steps()).extracting(DispatchBound.Step::what)
                .containsExactly("assignment counts", "dispatch codes", "dispatch rows", "dispatch weights", "combine rows");
        assertThat(b.bytesPerDevice()).containsExactly(4 + 1 + 16 + 4 + 16, 4 + 1 + 16 + 4 + 16);
        assertThat(b.raggedSteps()).hasSize(4);
    }

    /**
     * ep = 4, L = 1, 8 tokens, k = 2, bf16 rows and weights (2 bytes), f32 combine; device d holds tokens 2d, 2d+1.
     * Token 0 goes to shards 1 and 2, token 1 to 0 and 3; all others stay on their own shard except token 6 (shard 0, 1).
     */
    @Test
    void oneExpertPerShardCountsOneWeightPerRowAndUnevenLoads() {
        long[] experts = {1, 2, 0, 3, 1, 1, 1, 1, 2, 2, 2, 2, 0, 1, 3, 3};
        DispatchBound b = DispatchBound.of(layout(1, 1, 4, 1, 1), 4, 8, experts, 2, 2, 2, 4);
        assertThat(b.steps()).extracting(DispatchBound.Step::what).containsExactly("assignment counts", "dispatch rows", "dispatch weights", "combine rows");
        // out pairs: device 0 sends 3 (shards 1, 2, 3); device 3 sends 2 (token 6 to shards 0 and 1); in: shard 0 gets 1 (token 6), shard 1 gets 2 (tokens 0, 6),
        // shard 2 gets 1 (token 0), shard 3 gets 1 (token 1)
        long[] out = {3, 0, 0, 2}, in = {1, 2, 1, 1};
        long[] want = new long[4];
        for (int d = 0; d < 4; d++) want[d] = 3 * 4 + out[d] * 8 * 2 + out[d] * 2 + in[d] * 8 * 4;
        assertThat(b.bytesPerDevice()).containsExactly(want);
        assertThat(b.max()).isEqualTo(want[0]);
    }

    /** tp members hold the same tokens and send the same; dp groups are separate expert groups. */
    @Test
    void tpReplicasSendAlikeAndDpGroupsAreSeparate() {
        // dp = 2, ep = 2, tp = 2: 8 devices, tokens over (dp, ep): 4 shards of 1 token; E = 2, k = 1, every token to expert 1 (shard ep 1)
        long[] experts = {1, 1, 1, 1};
        DispatchBound b = DispatchBound.of(layout(2, 1, 2, 2, 1), 2, 4, experts, 1, 4, 4, 4);
        long[] per = b.bytesPerDevice();
        // device (dp, ep, tp) = index dp*4 + ep*2 + tp; token t on the (dp, ep) shard t; tokens 0 (dp 0, ep 0) and 2 (dp 1, ep 0) go to ep 1
        // dp 0: ep 0 sends 1 row out (16 B) + weight 4, ep 1 receives it back: combine 16; dp 1: ep 0 sends token 2 to ep 1, the same
        long sender = 4 + 16 + 4, receiver = 4 + 16;
        assertThat(per).containsExactly(sender, sender, receiver, receiver, sender, sender, receiver, receiver);
    }

    @Test
    void oneExpertShardMovesNothing() {
        DispatchBound b = DispatchBound.of(layout(2, 1, 1, 4, 1), 4, 8, new long[] {0, 1, 2, 3}, 2, 4, 4, 4);
        assertThat(b.steps()).isEmpty();
        assertThat(b.bytesPerDevice()).containsOnly(0L);
    }

    @Test
    void checkSentComparesThePairsWithTheProgramsReport() {
        DispatchBound b = DispatchBound.of(layout(1, 1, 2, 1, 1), 4, 4, new long[] {0, 1, 0, 2, 2, 3, 1, 3}, 2, 4, 4, 4);
        b.checkSent(HostArray.fromLongs(TensorType.of(IntegerType.I32, 2, 2), new long[] {2, 1, 1, 2}));
        assertThatThrownBy(() -> b.checkSent(HostArray.fromLongs(TensorType.of(IntegerType.I32, 2, 2), new long[] {2, 1, 0, 2})))
                .isInstanceOf(MoeException.class).hasMessageContaining("device 1 sent 0").hasMessageContaining("shard 0").hasMessageContaining("implies 1");
    }

    @Test
    void refusesRoutingThatDoesNotFitTheMesh() {
        assertThatThrownBy(() -> DispatchBound.of(layout(1, 1, 4, 1, 1), 4, 4, new long[] {0, 1, 2, 3, 0, 1}, 1, 4, 4, 4))
                .isInstanceOf(MoeException.class).hasMessageContaining("6 tokens").hasMessageContaining("4 shards");
        assertThatThrownBy(() -> DispatchBound.of(layout(1, 1, 4, 1, 1), 6, 4, new long[] {0, 1, 2, 3}, 1, 4, 4, 4))
                .isInstanceOf(MoeException.class).hasMessageContaining("6 experts do not divide over the 4 shards");
        assertThatThrownBy(() -> DispatchBound.of(layout(1, 1, 2, 1, 1), 4, 4, new long[] {0, 9}, 1, 4, 4, 4))
                .isInstanceOf(MoeException.class).hasMessageContaining("selects expert 9 of 4");
    }
}
