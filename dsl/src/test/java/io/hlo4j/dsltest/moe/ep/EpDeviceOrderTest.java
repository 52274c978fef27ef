package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The expert-parallel layer on a model mesh whose device list is a permutation, not iota: each device reads its
 * coordinates from its position in the mesh (not from its partition id), and the collectives' groups follow the
 * device ids. On 8 simulated devices, in every mode, run, gradients and apply (inside the caller's ShardedJit on
 * that mesh) equal the one-device FUSED layer, and the device order is shown to matter: the permuted mesh's expert
 * groups differ from the iota mesh's.
 */
class EpDeviceOrderTest {
    static final EpCase C = EpGradientTest.CASE;   // E 8, k 2, H 8, M 8, x [2, 8, 8], biases
    static final int[] IDS = {3, 6, 1, 4, 7, 0, 5, 2};

    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (int[] f : List.of(new int[] {2, 1, 2, 2, 1}, new int[] {1, 2, 2, 1, 2}))
            for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {f, m});
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void aPermutedDeviceListGivesTheOneDeviceResults(int[] f, EpMode mode) {
        Mesh mesh = Mesh.withDeviceIds(ExpertMeshView.MODEL_AXES, f, IDS);
        Mesh iota = ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4]);
        List<String> ex = ExpertMeshView.of(mesh).expertAxes();
        assertThat(mesh.replicaGroups(ex)).as("the order matters: other expert groups").isNotEqualTo(iota.replicaGroups(ex));
        String what = Arrays.toString(f) + " device_ids=" + Arrays.toString(IDS) + " " + mode;

        ExpertParallelMoe ep = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(mesh), mode);
        ExpertParallelMoe.Result r = ep.run(C.x(), null, C.s(), C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB());
        C.check(what, r);

        List<HostArray> g = ep.gradients(C.x(), null, C.s(), C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB(), EpGradientTest.CT);
        String[] names = {"x", "gate", "wi", "wu", "wd", "wi_bias", "wu_bias", "wd_bias"};
        for (int i = 0; i < names.length; i++) {
            EpCase.assertRelClose(what + " d/d" + names[i], g.get(i), EpGradientTest.ORACLE.get(i).reshape(g.get(i).shape()), EpCase.TOL);
        }

        HostArray got = (HostArray) ShardedJit.jit("permuted", a -> ep.apply((Tensor) a[0], null, C.s(), (Tensor) a[1],
                new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], (Tensor) a[5], (Tensor) a[6], (Tensor) a[7])).output(),
                Collections.nCopies(8, NamedSharding.of(mesh))).callSimulated(C.x(), C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB()).results();
        EpCase.assertRelClose(what + " apply", got, C.oracle().get(0), EpCase.TOL);
    }
}
