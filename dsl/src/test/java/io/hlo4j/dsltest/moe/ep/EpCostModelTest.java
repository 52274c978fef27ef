package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.ep.EpCostModel;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.EpShapes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

/** The cost model against byte counts worked out by hand (f32, E = 8, H = 8; see each case's arithmetic). */
class EpCostModelTest {
    static final List<EpMode> ALL = List.of(EpMode.REPLICATED, EpMode.RING, EpMode.TOKEN_SHARDED);

    static double total(EpShapes s, EpMode m) { return EpCostModel.estimate(s, m).total(); }

    /** Shapes where token-sharded is cheapest of the three and replicated beats ring: the hand counts of each mode. */
    static Stream<Arguments> tokenShardedCheapest() {
        return Stream.of(
                // N = 16, k = 2, D = 1, X = 4, Q = 2: T = 16, T_l = 4, R = 8.
                // replicated: 3/4*16*8*4 = 384 (entry) + 1/2*16*8*4 = 256 (tp) + 2*3/4*16*4*4 = 384 (psum) = 1024;
                // ring: 384 (x) + 3/4*16*2*4 = 96 (ids) + 96 (weights) + 256 (tp) + 3/4*16*4*4 = 192 + 2*3/4*8*4 = 48 (loads) = 1072;
                // token-sharded: a token's 2 experts miss a given other shard (L = 2) with probability 6/8 * 5/7 = 15/28, so it
                // touches 3 * 13/28 = 39/28 other shards and a shard sends 4 * 39/28 = 39/7 pairs; its 4 * 2 = 8 assignments are
                // remote with probability 3/4, 6 of them: 3/4*4*4 = 12 (counts, one i32 per peer) + 39/7*8*4 = 1248/7 (rows)
                // + 6*(1 + 4) = 30 (u8 code and f32 weight per remote assignment) + 1248/7 (combine, f32) + 1/2*4*8*4 = 64 (tp)
                // + 48 (loads) = 3574/7 (about 511).
                Arguments.of("four expert shards, two tp", new EpShapes(16, 8, 8, 8, 2, 4, 4, 1, 4, 2), 1024.0, 1072.0, 3574.0 / 7),
                // N = 16, k = 4, D = 1, X = 2, Q = 1: T = 16, T_l = 8, R = 32.
                // replicated: 1/2*16*8*4 = 256 + 2*1/2*16*8*4 = 512 = 768;
                // ring: 256 + 1/2*16*4*4 = 128 + 128 + 1/2*16*8*4 = 256 + 2*1/2*8*4 = 32 = 800;
                // token-sharded: 4 experts all on my shard with probability 4/8*3/7*2/6*1/5 = 1/70, so 8 * 69/70 = 276/35
                // pairs; 8 * 4 / 2 = 16 remote assignments: 1/2*2*4 = 4 (counts) + 276/35*8*4 = 8832/35 (rows) + 16*(1 + 4) = 80
                // (codes and weights) + 8832/35 (combine) + 32 (loads) = 21724/35 (about 621). With one (code, weight) per
                // assignment instead of 2k f32 per pair, many slots on two shards no longer favour replication.
                Arguments.of("many slots on two shards", new EpShapes(16, 8, 8, 8, 4, 4, 4, 1, 2, 1), 768.0, 800.0, 21724.0 / 35));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tokenShardedCheapest")
    void tokenShardedIsCheapest(String name, EpShapes s, double replicated, double ring, double tokenSharded) {
        assertThat(total(s, EpMode.REPLICATED)).isEqualTo(replicated);
        assertThat(total(s, EpMode.RING)).isEqualTo(ring);
        assertThat(total(s, EpMode.TOKEN_SHARDED)).isCloseTo(tokenSharded, within(1e-9));
        assertThat(EpCostModel.choose(s, ALL).mode()).isEqualTo(EpMode.TOKEN_SHARDED);
        assertThat(EpCostModel.choose(s, List.of(EpMode.REPLICATED, EpMode.RING)).mode()).isEqualTo(EpMode.REPLICATED);
    }

    /**
     * One expert per shard (E = X = 8, L = 1): a row carries exactly one assignment, so only its f32 weight travels, no
     * code. N = 16, k = 2, D = 1, Q = 1: T_l = 2; a token misses a given other shard with probability 7/8 * 6/7 = 3/4,
     * so 2 * 7 * 1/4 = 7/2 pairs and 2 * 2 * 7/8 = 7/2 remote assignments (the same, the experts being distinct):
     * 7/8*8*4 = 28 (counts) + 7/2*8*4 = 112 (rows) + 7/2*4 = 14 (weights) + 112 (combine) + 2*7/8*8*4 = 56 (loads) = 322.
     * replicated: 7/8*16*8*4 = 448 + 2*7/8*16*8*4 = 896 + 0 = 1344; ring: 448 + 7/8*16*2*4 = 112 (ids) + 112 (weights)
     * + 7/8*16*8*4 = 448 + 56 = 1176.
     */
    @Test
    void oneExpertPerShardSendsWeightsWithoutCodes() {
        EpShapes s = new EpShapes(16, 8, 8, 8, 2, 4, 4, 1, 8, 1);
        assertThat(total(s, EpMode.TOKEN_SHARDED)).isCloseTo(322.0, within(1e-9));
        assertThat(EpCostModel.estimate(s, EpMode.TOKEN_SHARDED).entries()).filteredOn(e -> e.what().startsWith("dispatch codes") || e.what().startsWith("dispatch weights"))
                .singleElement().satisfies(e -> {
                    assertThat(e.what()).contains("weights");
                    assertThat(e.bytes()).isCloseTo(14.0, within(1e-9));
                });
        assertThat(total(s, EpMode.REPLICATED)).isEqualTo(1344.0);
        assertThat(total(s, EpMode.RING)).isEqualTo(1176.0);
        assertThat(EpCostModel.choose(s, ALL).mode()).isEqualTo(EpMode.TOKEN_SHARDED);
    }

    /** Only dp = 8: every mode moves just the loads psum, 2*7/8*8*4 = 56; the tie goes to REPLICATED. */
    @Test
    void noExpertAxisTiesGoToReplicated() {
        EpShapes s = new EpShapes(16, 8, 8, 8, 2, 4, 4, 8, 1, 1);
        for (EpMode m : ALL) assertThat(total(s, m)).as(m.name()).isEqualTo(56.0);
        assertThat(EpCostModel.choose(s, ALL).mode()).isEqualTo(EpMode.REPLICATED);
    }

    /** bf16 hidden state and compute halve the token and row terms: X = 2, Q = 1, N = 16, k = 1: ring 1/2*16*8*2 = 128 (x)
     * + 1/2*16*1*4 = 32 (ids) + 1/2*16*1*2 = 16 (weights) + 1/2*16*8*4 = 256 (f32 partials) + 32 (loads) = 464. */
    @Test
    void bf16ShrinksTokenTraffic() {
        EpShapes s = new EpShapes(16, 8, 8, 8, 1, 2, 2, 1, 2, 1);
        assertThat(total(s, EpMode.RING)).isEqualTo(464.0);
    }

    /**
     * bf16 with tp > 1 reduce-scatters each expert row's f32 partials over tp before rounding it (EpDtypeTest): N = 16,
     * k = 2, D = 1, X = 2, Q = 2, H = 8, bf16: REPLICATED's tp reduce_scatter moves the rows [T k = 32, 8] f32,
     * 1/2*32*8*4 = 512 bytes, not the combined [16, 8] (256). And on the traced bodies the model's non-ragged entries are
     * the module's collectives, op for op, in every mode.
     */
    @Test
    void bf16WithTpReducesRowsAndTheModelMatchesTheTracedBody() {
        EpShapes s = new EpShapes(16, 8, 8, 8, 2, 2, 2, 1, 2, 2);
        assertThat(EpCostModel.estimate(s, EpMode.REPLICATED).entries()).filteredOn(e -> e.what().equals("expert outputs over tp"))
                .singleElement().satisfies(e -> assertThat(e.bytes()).isEqualTo(512.0));
        io.hlo4j.dsl.moe.MoeConfig cfg = io.hlo4j.dsl.moe.MoeConfig.of(8, 2, 8, 8).withDtype(io.hlo4j.dsl.moe.MoeDtype.BFLOAT16);
        for (int[] f : new int[][] {{1, 1, 2, 2, 1}, {2, 1, 2, 2, 1}}) {
            for (EpMode m : ALL) {
                io.hlo4j.dsl.moe.ep.ExpertParallelMoe.Program p = new io.hlo4j.dsl.moe.ep.ExpertParallelMoe(cfg, EpEquivalence.view(f), m)
                        .trace(16, 8, io.hlo4j.dsl.DType.BF16, true);
                List<String> got = new java.util.ArrayList<>(), want = new java.util.ArrayList<>();
                for (var col : io.hlo4j.dsl.moe.ep.CollectiveTraffic.of(p.run().module())) {
                    if (!col.ragged()) got.add(col.op() + "/" + col.groupSize() + "/" + Math.round(col.bytes()));
                }
                for (var e : p.estimate().bodyEntries()) {
                    if (!e.op().equals("ragged_all_to_all")) want.add(e.op() + "/" + e.groupSize() + "/" + Math.round(e.bytes()));
                }
                got.sort(null);
                want.sort(null);
                assertThat(got).as(java.util.Arrays.toString(f) + " " + m).isEqualTo(want);
            }
        }
    }

    @Test
    void noAllowedModeIsAnError() {
        EpShapes s = new EpShapes(16, 8, 8, 8, 2, 4, 4, 1, 4, 2);
        assertThatThrownBy(() -> EpCostModel.choose(s, List.of())).isInstanceOf(MoeException.class).hasMessageContaining("no expert-parallel mode");
        assertThatThrownBy(() -> EpCostModel.estimate(s, EpMode.AUTO)).isInstanceOf(MoeException.class);
    }
}
