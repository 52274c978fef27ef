package io.hlo4j.dsltest.moe;

import static io.hlo4j.dsltest.moe.MoeLayerFixturesTest.assertRelClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.array.MutableHostArray;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hooks change the traced layer at their place, in every method: checked against the hook-free run of the worked
 * example (TOP_K, k = 2, E = 4, no biases) and against expected routing decisions.
 */
class MoeHooksLayerTest {
    static final MoeCase CASE = MoeCase.load("worked_example");

    static HostArray scaled(HostArray a, double f) {
        double[] v = a.toDoubleArray();
        for (int i = 0; i < v.length; i++) v[i] *= f;
        return HostArray.fromDoubles(a.type(), v);
    }

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void ffnAndCombineHooksScaleTheOutput(MoEMethods m) {
        HostArray base = CASE.run(m).get("output");
        // no wd bias: doubling h (after_wiwu / before_wo) or y (after_wo) doubles the output
        for (var hooks : java.util.List.<MoeFusedHooks<Tensor>>of(
                MoeFusedHooks.<Tensor>none().withAfterWiwu(h -> Ops.mul(h, 2.0)),
                MoeFusedHooks.<Tensor>none().withBeforeWo(h -> Ops.mul(h, 2.0)),
                MoeFusedHooks.<Tensor>none().withAfterWo(y -> Ops.mul(y, 2.0)),
                MoeFusedHooks.<Tensor>none().withFinalizeOutput(y -> Ops.mul(y, 2.0)),
                MoeFusedHooks.<Tensor>none().withOutputWeightsHook(w -> Ops.mul(w, 2.0)),
                MoeFusedHooks.<Tensor>none().withBeforeCombine((y, w) -> new MoeFusedHooks.CombineInputs<>(y, Ops.mul(w, 2.0))))) {
            MoeCase.Result r = CASE.run(m, hooks);
            assertRelClose(m + " " + hooks + " output", r.get("output"), scaled(base, 2.0), 1e-6);
            // the router is untouched by these hooks
            assertThat(r.get("selected_experts").toLongArray()).containsExactly(CASE.expected("selected_experts").toLongArray());
        }
    }

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void afterGateSetsTheReturnedLogitsAndTheSelection(MoEMethods m) {
        // zero logits: uniform probabilities, every token ties and takes experts 0 and 1 with weights 1/2
        MoeCase.Result r = CASE.run(m, MoeFusedHooks.<Tensor>none().withAfterGate(l -> Ops.sub(l, l)));
        assertThat(r.get("router_logits").toDoubleArray()).containsOnly(0.0);
        assertThat(r.get("selected_experts").toLongArray()).containsExactly(0, 1, 0, 1, 0, 1);
        assertThat(r.get("selected_weights").toDoubleArray()).containsOnly(0.5);
        // before_gate on the router input: zero input gives zero logits too
        MoeCase.Result g = CASE.run(m, MoeFusedHooks.<Tensor>none().withBeforeGate(x -> Ops.mul(x, 0.0)));
        assertThat(g.get("selected_experts").toLongArray()).containsExactly(0, 1, 0, 1, 0, 1);
        // ... while the experts still see the real tokens: the output equals the after_gate run's
        assertRelClose(m + " before_gate vs after_gate", g.get("output"), r.get("output"), 1e-6);
    }

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void beforeTopkReversesTheChoice(MoEMethods m) {
        // negated scores pick the two least likely experts (ties to the lower index)
        MoeCase.Result r = CASE.run(m, MoeFusedHooks.<Tensor>none().withBeforeTopk(Ops::neg));
        double[] p = CASE.expected("router_probs").toDoubleArray();
        long[] got = r.get("selected_experts").toLongArray();
        for (int t = 0; t < 3; t++) {
            double[] row = Arrays.copyOfRange(p, 4 * t, 4 * t + 4);
            Integer[] order = {0, 1, 2, 3};
            Arrays.sort(order, (a, b) -> Double.compare(row[a], row[b]));
            assertThat(new long[]{got[2 * t], got[2 * t + 1]}).as("token %d", t).containsExactly(order[0], order[1]);
        }
    }

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void selectAndRefineHooksReplaceTheDefaults(MoEMethods m) {
        // a select hook routing every token to experts 3 and 2 with weights 1 and 0: output = expert 3 alone;
        // no default renormalization runs (the weights stay as returned)
        MoeFusedHooks<Tensor> sel = MoeFusedHooks.<Tensor>none().withSelectHook((scores, pre, k) -> {
            long n = scores.dim(0);
            Tensor experts = Ops.sub(Ops.full(io.hlo4j.dsl.Shape.of(n, 2), 3, DType.I32), Ops.iota(DType.I32, io.hlo4j.dsl.Shape.of(n, 2), 1));
            Tensor w = Ops.sub(Ops.full(io.hlo4j.dsl.Shape.of(n, 2), 1, DType.F32), Ops.iota(DType.F32, io.hlo4j.dsl.Shape.of(n, 2), 1));
            return new MoeFusedHooks.Selection<>(w, experts);
        });
        MoeCase.Result r = CASE.run(m, sel);
        assertThat(r.get("selected_experts").toLongArray()).containsExactly(3, 2, 3, 2, 3, 2);
        assertThat(r.get("selected_weights").toDoubleArray()).containsExactly(1, 0, 1, 0, 1, 0);
        assertThat(r.get("expert_loads").toLongArray()).containsExactly(0, 0, 3, 3);
        // refine_weights_hook replaces the default renormalization: all-ones weights at selection give the same
        // output as all-ones weights put in right before the combine, and differ from the default run
        MoeCase.Result ones = CASE.run(m, MoeFusedHooks.<Tensor>none().withRefineWeightsHook(w -> Ops.full(w.shape(), 1.0, w.dtype())));
        assertThat(ones.get("selected_weights").toDoubleArray()).containsOnly(1.0);
        MoeCase.Result viaCombine = CASE.run(m, MoeFusedHooks.<Tensor>none().withBeforeCombine(
                (y, w) -> new MoeFusedHooks.CombineInputs<>(y, Ops.full(w.shape(), 1.0, w.dtype()))));
        assertRelClose(m + " refine ones vs combine ones", ones.get("output"), viaCombine.get("output"), 1e-6);
        assertThat(ones.get("output").toDoubleArray()).isNotEqualTo(CASE.run(m).get("output").toDoubleArray());
    }

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void inputHooksActOnTheExpertsOnlyNotTheRouter(MoEMethods m) {
        // no biases and act(0) * 0 = 0: zero rows give a zero output, while the selection stays the oracle's
        double[] base = CASE.run(m).get("output").toDoubleArray();
        assertThat(Arrays.stream(base).map(Math::abs).max().orElseThrow()).isGreaterThan(1e-3);
        for (var hooks : java.util.List.<MoeFusedHooks<Tensor>>of(
                MoeFusedHooks.<Tensor>none().withRefineInputsHook((x, w, shape) -> {
                    assertThat(shape).containsExactly(1, 3, 4);
                    assertThat(x.dims()).containsExactly(3, 4);
                    return Ops.mul(x, 0.0);
                }),
                MoeFusedHooks.<Tensor>none().withScaleReplicatedInputs((rows, w) -> Ops.mul(rows, Ops.mul(w, 0.0).reshape(w.dim(0), 1).broadcastTo(rows.dims()))),
                MoeFusedHooks.<Tensor>none().withAfterEpReceive(rows -> Ops.mul(rows, 0.0)))) {
            MoeCase.Result r = CASE.run(m, hooks);
            assertThat(r.get("selected_experts").toLongArray()).as(hooks.toString()).containsExactly(CASE.expected("selected_experts").toLongArray());
            assertRelClose(m + " " + hooks + " router_logits", r.get("router_logits"), CASE.expected("router_logits"), 1e-5);
            assertThat(r.get("output").toDoubleArray()).as(hooks.toString()).containsOnly(0.0);
        }
    }

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void normalizeGateLogitsReplacesTheSoftmax(MoEMethods m) {
        // scores = -logits: the two smallest logits are chosen, weights renormalized from the negated logits
        MoeCase.Result r = CASE.run(m, MoeFusedHooks.<Tensor>none().withNormalizeGateLogits(Ops::neg));
        double[] l = CASE.expected("router_logits").toDoubleArray();
        long[] got = r.get("selected_experts").toLongArray();
        double[] w = r.get("selected_weights").toDoubleArray();
        for (int t = 0; t < 3; t++) {
            double[] row = Arrays.copyOfRange(l, 4 * t, 4 * t + 4);
            Integer[] order = {0, 1, 2, 3};
            Arrays.sort(order, (a, b) -> Double.compare(row[a], row[b]));
            assertThat(new long[]{got[2 * t], got[2 * t + 1]}).as("token %d", t).containsExactly(order[0], order[1]);
            double a = -row[order[0]], b = -row[order[1]], sum = Math.max(a + b, 1e-8);
            assertThat(w[2 * t]).isCloseTo(a / sum, org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, Math.abs(a / sum))));
        }
        // the metrics keep the softmax probabilities
        assertRelClose(m + " router_probs", r.get("router_probs"), CASE.expected("router_probs"), 1e-5);
    }
}
