package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shared body of the per-mode equivalence tests: on every factorisation of 8 devices over
 * (dp, fsdp, ep, tp, sp), the EP run of the FUSED method equals the unpartitioned FUSED oracle. Shapes: E = 8,
 * k = 2, H = M = 8, N = B S = 2 x 8 = 16, so every expert group (at most 8) divides E, every tp divides H and M,
 * and every D X (at most 8) divides N: no factorisation is skipped.
 */
final class EpEquivalence {
    private EpEquivalence() {}

    static final EpCase TOP2 = EpCase.random(MoeConfig.of(8, 2, 8, 8), 2, 8, false, 11);
    static final EpCase TOP2_BIAS = EpCase.random(MoeConfig.of(8, 2, 8, 8), 2, 8, true, 12);

    /** 16 devices: N = 4 x 8 = 32 so that D X (at most 16) divides it. */
    static final EpCase TOP2_BIAS_32 = EpCase.random(MoeConfig.of(8, 2, 8, 8), 4, 8, true, 13);

    static Stream<int[]> eight() { return EpCase.factorisations(8).stream(); }

    /** A sample of 16-device meshes: every axis used, and the folded axes on both sides of tp. */
    static Stream<int[]> sixteen() {
        return Stream.of(new int[] {1, 2, 2, 2, 2}, new int[] {2, 1, 4, 2, 1}, new int[] {4, 1, 2, 2, 1}, new int[] {2, 2, 1, 2, 2},
                new int[] {1, 1, 8, 2, 1}, new int[] {1, 1, 1, 2, 8});
    }

    static ExpertMeshView view(int[] f) { return ExpertMeshView.of(ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4])); }

    static void check(EpCase c, int[] f, EpMode mode) {
        ExpertParallelMoe.Result r = c.runEp(view(f), mode);
        assertThat(r.mode()).isEqualTo(mode);
        c.check(Arrays.toString(f) + " " + mode, r);
    }

    static List<EpMode> modes() { return List.of(EpMode.REPLICATED, EpMode.RING, EpMode.TOKEN_SHARDED); }
}
