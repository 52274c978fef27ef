package io.hlo4j.dsltest.moe;

import static io.hlo4j.dsltest.moe.MoeLayerFixturesTest.assertRelClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.runtime.array.HostArray;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * First gradient check (the autodiff package just landed): the three methods give the same gradients of
 * sum(output^2) with respect to the hidden state, the gate kernel, wi, wu, wd and (where present) the biases.
 * Not yet: finite differences, the whole grid.
 */
class MoeGradAgreementTest {
    @ParameterizedTest
    @ValueSource(strings = {"worked_example", "c02_expert_choice_none_k4_e4_n7", "c04_top_k_switch_transformer_k1_e4_n15",
            "c17_top_k_ndiv_expert_choice_k2_e8_n7"})
    void methodsAgreeOnGradients(String name) {
        MoeCase c = MoeCase.load(name);
        boolean bias = c.inputs().containsKey("wi_bias");
        List<String> names = new ArrayList<>(List.of("x", "gate", "wi", "wu", "wd"));
        if (bias) names.addAll(List.of("wi_bias", "wu_bias", "wd_bias"));
        HostArray[] argv = names.stream().map(c.inputs()::get).toArray(HostArray[]::new);
        int[] all = new int[names.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        List<List<HostArray>> perMethod = new ArrayList<>();
        for (MoEMethods m : MoEMethods.values()) {
            MoeConfig cfg = c.config().withMoeMethod(m);
            Jit jit = Jit.jit(Grad.grad(a -> {
                ExpertWeights w = new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], bias ? (Tensor) a[5] : null,
                        bias ? (Tensor) a[6] : null, bias ? (Tensor) a[7] : null);
                Tensor y = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]), w, false).output();
                return Reductions.sum(Ops.mul(y, y), 0, 1, 2);
            }, all));
            perMethod.add(jit.lower((Object[]) argv).compile().call(argv));
        }
        List<HostArray> fused = perMethod.get(0);
        for (int i = 0; i < names.size(); i++) {
            double max = 0;
            for (double v : fused.get(i).toDoubleArray()) max = Math.max(max, Math.abs(v));
            if (!names.get(i).equals("gate") || c.config().routingStrategy() != io.hlo4j.dsl.moe.MoeRoutingStrategy.EXPERT_CHOICE) {
                assertThat(max).as(name + " d/d" + names.get(i) + " is not identically zero").isGreaterThan(0);
            }
            for (int m = 1; m < perMethod.size(); m++) {
                assertRelClose(name + " " + MoEMethods.values()[m] + " d/d" + names.get(i) + " vs FUSED", perMethod.get(m).get(i), fused.get(i), 1e-5);
            }
        }
    }

    /** FUSED gradients of the worked example against central differences of the compiled forward (f32, eps 1e-3). */
    @org.junit.jupiter.api.Test
    void fusedGradientsMatchCentralDifferences() {
        MoeCase c = MoeCase.load("worked_example");
        List<String> names = List.of("x", "gate", "wi", "wu", "wd");
        HostArray[] argv = names.stream().map(c.inputs()::get).toArray(HostArray[]::new);
        io.hlo4j.dsl.jit.TracedFunction loss = a -> {
            Tensor y = new BaseMoeModule(c.config(), MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                    ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), false).output();
            return Reductions.sum(Ops.mul(y, y), 0, 1, 2);
        };
        List<HostArray> grads = Jit.jit(Grad.grad(loss, 0, 1, 2, 3, 4)).lower((Object[]) argv).compile().call(argv);
        var forward = Jit.jit(loss).lower((Object[]) argv).compile();
        double eps = 1e-3;
        for (int a = 0; a < names.size(); a++) {
            double[] base = argv[a].toDoubleArray(), g = grads.get(a).toDoubleArray();
            double scale = 0;
            for (double v : g) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < base.length; i++) {
                double[] fd = new double[2];
                for (int sgn = 0; sgn < 2; sgn++) {
                    double[] v = base.clone();
                    v[i] += sgn == 0 ? eps : -eps;
                    HostArray[] args = argv.clone();
                    args[a] = HostArray.fromDoubles(argv[a].type(), v);
                    fd[sgn] = forward.call(args).get(0).toDoubleArray()[0];
                }
                double want = (fd[0] - fd[1]) / (2 * eps);
                assertThat(Math.abs(g[i] - want)).as("d/d%s[%d]: autodiff %s, central difference %s", names.get(a), i, g[i], want)
                        .isLessThanOrEqualTo(2e-3 * Math.max(scale, 1e-3));
            }
        }
    }
}
