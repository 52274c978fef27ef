package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.shard.ExpertMeshView;
import org.junit.jupiter.api.Test;

class EpSmokeTest {
    @Test
    void one() {
        EpCase c = EpCase.random(MoeConfig.of(8, 2, 8, 8), 2, 8, false, 1);
        for (int[] f : new int[][] {{1, 1, 2, 2, 2}, {2, 1, 4, 1, 1}}) {
            ExpertMeshView v = ExpertMeshView.of(ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4]));
            for (EpMode m : new EpMode[] {EpMode.REPLICATED, EpMode.RING, EpMode.TOKEN_SHARDED}) {
                long t0 = System.nanoTime();
                c.check(java.util.Arrays.toString(f) + " " + m, c.runEp(v, m));
                System.out.println(java.util.Arrays.toString(f) + " " + m + " " + (System.nanoTime() - t0) / 1e6 + " ms");
            }
        }
    }
}
