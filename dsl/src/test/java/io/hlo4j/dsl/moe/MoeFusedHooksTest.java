package io.hlo4j.dsl.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class MoeFusedHooksTest {
    /** Selected top-2 probabilities of the worked example (easydel-moe-behavior.md 5.3), token 0 and 1. */
    private static final double[][] W = {{0.344129, 0.303693}, {0.367792, 0.286437}};

    private static MoeFusedHooks<double[][]> defaults(MoeRoutingStrategy s, int k) {
        return MoeFusedHooks.<double[][]>none().withStrategyDefaults(s, k, HostWeights.OPS);
    }

    @Test
    void topKRenormalizesToTheWorkedExampleWeights() {
        MoeFusedHooks<double[][]> h = defaults(MoeRoutingStrategy.TOP_K, 2);
        assertThat(h.installedDefault()).contains(MoeWeightRule.RENORMALIZE);
        double[][] w = h.refineWeightsHook().apply(W);
        // the doc's printed weights: [0.531209, 0.468791], [0.562177, 0.437823]
        assertThat(w[0][0]).isCloseTo(0.531209, within(1e-6));
        assertThat(w[0][1]).isCloseTo(0.468791, within(1e-6));
        assertThat(w[1][0]).isCloseTo(0.562177, within(1e-6));
        assertThat(w[1][1]).isCloseTo(0.437823, within(1e-6));
    }

    @Test
    void topKWithOneExpertKeepsTheProbabilityAndTinySumsAreFloored() {
        double[][] one = {{0.25}, {0.75}};
        assertThat(defaults(MoeRoutingStrategy.TOP_K, 1).refineWeightsHook().apply(one)).isSameAs(one);
        double[][] tiny = {{1e-10, 1e-10}};
        double[][] w = defaults(MoeRoutingStrategy.TOP_K, 2).refineWeightsHook().apply(tiny);
        assertThat(w[0][0]).isCloseTo(1e-2, within(1e-15)); // 1e-10 / max(2e-10, 1e-8)
    }

    @Test
    void otherStrategiesDefaults() {
        assertThat(defaults(MoeRoutingStrategy.TOP_K_NDIV, 2).refineWeightsHook().apply(W)).isSameAs(W);
        assertThat(defaults(MoeRoutingStrategy.SWITCH, 4).refineWeightsHook().apply(new double[][] {{0.3}, {0.9}}))
                .isEqualTo(new double[][] {{1.0}, {1.0}});
        assertThat(defaults(MoeRoutingStrategy.HASH, 4).refineWeightsHook().apply(new double[][] {{0.1, 0.2, 0.3, 0.4}}))
                .isEqualTo(new double[][] {{0.25, 0.25, 0.25, 0.25}});
        assertThat(defaults(MoeRoutingStrategy.EXPERT_CHOICE, 2).refineWeightsHook().apply(W))
                .isEqualTo(new double[][] {{0.5, 0.5}, {0.5, 0.5}});
        assertThat(defaults(MoeRoutingStrategy.EXPERT_CHOICE, 2).installedDefault()).contains(MoeWeightRule.ONE_OVER_K);
        assertThat(defaults(MoeRoutingStrategy.SWITCH, 2).installedDefault()).contains(MoeWeightRule.ONES);
    }

    @Test
    void defaultsAreNotInstalledWhenTheUserSetSelectOrRefine() {
        UnaryOperator<double[][]> mine = w -> HostWeights.OPS.fullLike(w, 7.0);
        MoeFusedHooks<double[][]> refine = MoeFusedHooks.<double[][]>none().withRefineWeightsHook(mine);
        MoeFusedHooks<double[][]> r2 = refine.withStrategyDefaults(MoeRoutingStrategy.TOP_K, 2, HostWeights.OPS);
        assertThat(r2).isSameAs(refine);
        assertThat(r2.refineWeightsHook()).isSameAs(mine);
        assertThat(r2.installedDefault()).isEmpty();

        MoeFusedHooks<double[][]> select = MoeFusedHooks.<double[][]>none()
                .withSelectHook((scores, pre, k) -> new MoeFusedHooks.Selection<>(scores, scores));
        MoeFusedHooks<double[][]> s2 = select.withStrategyDefaults(MoeRoutingStrategy.TOP_K, 2, HostWeights.OPS);
        assertThat(s2.isSet(HookPoint.REFINE_WEIGHTS_HOOK)).isFalse();
        assertThat(s2.installedDefault()).isEmpty();

        // another hook does not block the default
        MoeFusedHooks<double[][]> other = MoeFusedHooks.<double[][]>none().withAfterGate(l -> l)
                .withStrategyDefaults(MoeRoutingStrategy.HASH, 2, HostWeights.OPS);
        assertThat(other.isSet(HookPoint.AFTER_GATE)).isTrue();
        assertThat(other.installedDefault()).contains(MoeWeightRule.ONE_OVER_K);
    }

    @Test
    void copiesAreIndependentAndEveryPointCanBeSet() {
        MoeFusedHooks<double[][]> none = MoeFusedHooks.none();
        UnaryOperator<double[][]> id = x -> x;
        MoeFusedHooks<double[][]> all = none.withBeforeGate(id).withAfterGate(id).withNormalizeGateLogits(id)
                .withBeforeTopk(id).withSelectHook((s, p, k) -> new MoeFusedHooks.Selection<>(s, s))
                .withRefineWeightsHook(id).withRefineInputsHook((x, w, shape) -> x)
                .withScaleReplicatedInputs((x, w) -> x).withAfterEpReceive(id).withAfterWiwu(id).withBeforeWo(id)
                .withAfterWo(id).withOutputWeightsHook(id).withBeforeCombine(MoeFusedHooks.CombineInputs::new)
                .withFinalizeOutput(id);
        for (HookPoint p : HookPoint.values()) {
            assertThat(all.isSet(p)).as(p.value()).isTrue();
            assertThat(none.isSet(p)).as(p.value()).isFalse();
        }
        assertThat(all.without(HookPoint.AFTER_WO).isSet(HookPoint.AFTER_WO)).isFalse();
        assertThat(all.isSet(HookPoint.AFTER_WO)).isTrue();
        assertThat(HookPoint.values()).hasSize(15);
    }

    @Test
    void applyRunsTheHookAtItsPointOnly() {
        double[][] x = {{1.0, 2.0}};
        MoeFusedHooks<double[][]> h = MoeFusedHooks.<double[][]>none()
                .withFinalizeOutput(o -> HostWeights.OPS.fullLike(o, -1.0));
        assertThat(h.apply(HookPoint.FINALIZE_OUTPUT, x)).isEqualTo(new double[][] {{-1.0, -1.0}});
        assertThat(h.apply(HookPoint.BEFORE_GATE, x)).isSameAs(x);
        assertThat(h.apply(HookPoint.BEFORE_COMBINE, x)).isSameAs(x); // unset: identity
        MoeFusedHooks<double[][]> c = h.withBeforeCombine(MoeFusedHooks.CombineInputs::new);
        assertThatThrownBy(() -> c.apply(HookPoint.BEFORE_COMBINE, x)).isInstanceOf(MoeException.class)
                .hasMessageContaining("before_combine");
    }

    @Test
    void userRefineReplacesAnInstalledDefault() {
        MoeFusedHooks<double[][]> d = defaults(MoeRoutingStrategy.TOP_K, 2);
        MoeFusedHooks<double[][]> u = d.withRefineWeightsHook(w -> w);
        assertThat(u.installedDefault()).isEmpty();
        assertThat(d.installedDefault()).contains(MoeWeightRule.RENORMALIZE);
        assertThat(d.without(HookPoint.REFINE_WEIGHTS_HOOK).installedDefault()).isEmpty();
        assertThatThrownBy(() -> d.withAfterGate(null)).isInstanceOf(MoeException.class)
                .hasMessageContaining("after_gate");
    }
}
