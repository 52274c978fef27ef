package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Gradients of the EP FUSED block (w.r.t. hidden state, gate, wi, wu, wd and the biases) equal the unpartitioned
 * FUSED block's, f32, relative error <= 1e-5. The EP side differentiates each device's body (collectives transposed
 * by the autodiff's collective rules, the ragged all-to-alls by their custom VJP) and sums the replicas' partial
 * gradients; the oracle is Grad of the one-device layer. Route through the global module (VJP of
 * sdy.manual_computation, then the partitioner) is not used here.
 */
class EpGradientTest {
    static final MoeConfig CFG = MoeConfig.of(8, 2, 8, 8);
    static final EpCase CASE = EpCase.random(CFG, 2, 8, true, 51);
    static final HostArray CT = EpCase.f32(new Random(52), 1.0, 16, 8);
    static final List<HostArray> ORACLE = oracle();

    static List<HostArray> oracle() {
        EpCase c = CASE;
        MoeConfig cfg = c.cfg();
        Jit jit = Jit.jit("oracle_grad", Grad.grad(a -> {
            ExpertWeights w = new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], (Tensor) a[5], (Tensor) a[6], (Tensor) a[7]);
            Tensor y = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall(((Tensor) a[0]).reshape(2, 8, 8), BaseMoeModule.linearGate((Tensor) a[1]),
                    w, false).output().reshape(16, 8);
            return Reductions.sum(Ops.mul(y.astype(DType.F32), (Tensor) a[8]), 0, 1);
        }, 0, 1, 2, 3, 4, 5, 6, 7));
        HostArray[] argv = {c.x().reshape(16, 8), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB(), CT};
        return jit.lower((Object[]) argv).compile().call(argv);
    }

    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        // every factorisation of 8 devices over (dp, fsdp, ep, tp, sp), and the equivalence tests' sample of 16
        List<int[]> meshes = new ArrayList<>(EpEquivalence.eight().toList());
        meshes.addAll(EpEquivalence.sixteen().toList());
        for (int[] f : meshes) for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {f, m});
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void gradientsEqualTheUnpartitionedOnes(int[] f, EpMode mode) {
        EpCase c = CASE;
        ExpertMeshView v = ExpertMeshView.of(ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4]));
        List<HostArray> g = new ExpertParallelMoe(c.cfg(), v, mode).gradients(c.x(), null, c.s(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(),
                c.wuB(), c.wdB(), CT);
        String[] names = {"x", "gate", "wi", "wu", "wd", "wi_bias", "wu_bias", "wd_bias"};
        for (int i = 0; i < names.length; i++) EpCase.assertRelClose(Arrays.toString(f) + " " + mode + " d/d" + names[i], g.get(i), ORACLE.get(i), EpCase.TOL);
    }
}
