package io.hlo4j.dsltest.moejourney;

import static io.hlo4j.dsltest.moejourney.MoeJourney.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.HookPoint;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.Map;

/**
 * Day two: hooks that change routing (docs/moe.md, Hooks), each checked to change exactly what its place implies,
 * in all three methods, against {@link MoeOracle} fed with the hooked values:
 * <ul>
 *   <li>after_gate adding a per-expert bias to the logits: the returned logits, the probabilities, the selection, the
 *       weights, the z-loss and both factors of the load-balancing loss all see the bias;</li>
 *   <li>before_topk adding the same bias to the scores: only selection and weights move; logits, probabilities and
 *       the z-loss stay the unhooked ones;</li>
 *   <li>before_topk capping the scores: equal capped scores tie and go to the lower expert index;</li>
 *   <li>a select_hook choosing on biased scores but weighting with the unbiased ones (DeepSeek-V3 style): tokens
 *       whose choice did not change keep their weights and outputs; the strategy's default rule is not applied.</li>
 * </ul>
 */
class RoutingHooksJourneyTest {
    static final MoeOracle.Inputs IN = random(43, 2, 4, 4, 4, 3, false);
    /** A logit bias (after_gate) and a probability-sized one (before_topk, select_hook), both lifting expert 3. */
    static final double[] BIAS = {0, 0, 0, 0.9}, SCORE_BIAS = {0, 0, 0, 0.12};
    static final MoeConfig CFG = MoeConfig.of(4, 2, 4, 3).withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 1).withRouterZLoss(1);

    static Tensor bias(Tensor like) { return Ops.constant(BIAS, Shape.of(4), like.dtype()); }
    static Tensor scoreBias(Tensor like) { return Ops.constant(SCORE_BIAS, Shape.of(4), like.dtype()); }

    static double[][] plus(double[][] v, double[] b) {
        double[][] r = new double[v.length][];
        for (int t = 0; t < v.length; t++) {
            r[t] = v[t].clone();
            for (int e = 0; e < b.length; e++) r[t][e] += b[e];
        }
        return r;
    }

    @Test
    void afterGateBiasMovesEverythingDownstreamOfTheLogits() {
        double[][] l = plus(MoeOracle.logits(IN), BIAS);
        MoeOracle.Result want = MoeOracle.run(CFG, IN, l, MoeOracle.softmax(l), null);
        MoeOracle.Result plain = MoeOracle.run(CFG, IN, null);
        assertThat(want.loads()).as("the bias must change the routing for the test to mean something").isNotEqualTo(plain.loads());
        for (MoEMethods m : MoEMethods.values()) {
            Map<String, HostArray> got = MoeJourney.run(CFG.withMoeMethod(m), MoeFusedHooks.<Tensor>none().withAfterGate(x -> x.add(bias(x))), IN, DType.F32);
            assertMatches("after_gate bias, " + m, got, want, 2e-6);
        }
    }

    @Test
    void beforeTopkBiasMovesOnlySelectionAndWeights() {
        double[][] l = MoeOracle.logits(IN);
        MoeOracle.Result want = MoeOracle.run(CFG, IN, l, plus(MoeOracle.softmax(l), SCORE_BIAS), null);
        MoeOracle.Result plain = MoeOracle.run(CFG, IN, null);
        assertThat(want.loads()).isNotEqualTo(plain.loads());
        assertThat(want.z()).as("z-loss untouched").isEqualTo(plain.z());
        for (MoEMethods m : MoEMethods.values()) {
            Map<String, HostArray> got = MoeJourney.run(CFG.withMoeMethod(m), MoeFusedHooks.<Tensor>none().withBeforeTopk(x -> x.add(scoreBias(x))), IN, DType.F32);
            assertMatches("before_topk bias, " + m, got, want, 2e-6);
            assertClose(m + ": logits are the gate's", got.get("router_logits").toDoubleArray(), flat(plain.logits()), 2e-6);
            assertClose(m + ": probabilities are the unhooked softmax", got.get("router_probs").toDoubleArray(), flat(plain.probs()), 2e-6);
        }
    }

    @Test
    void cappedScoresTieToTheLowerExpert() {
        double cap = 0.2;
        double[][] l = MoeOracle.logits(IN), p = MoeOracle.softmax(l), capped = new double[p.length][];
        int ties = 0;
        for (int t = 0; t < p.length; t++) {
            capped[t] = p[t].clone();
            int over = 0;
            for (int e = 0; e < 4; e++) if (capped[t][e] > cap) { capped[t][e] = cap; over++; }
            if (over >= 2) ties++;
        }
        assertThat(ties).as("tokens with two or more capped scores (exact ties)").isGreaterThan(0);
        MoeOracle.Result want = MoeOracle.run(CFG, IN, l, capped, null);
        for (MoEMethods m : MoEMethods.values()) {
            Map<String, HostArray> got = MoeJourney.run(CFG.withMoeMethod(m), MoeFusedHooks.<Tensor>none().withBeforeTopk(x -> Ops.minimum(x, cap)), IN, DType.F32);
            assertMatches("capped scores, " + m, got, want, 2e-6);
        }
    }

    /**
     * A select_hook that puts ids outside [0, E) (here: the top-k index + 3, so ids 3..6 for E = 4): such a row is
     * dropped in every method (no output, no load), as the oracle that skips it says. DENSE used to gather a clamped
     * expert for it instead, so the methods disagreed.
     */
    @Test
    void selectHookIdsOutsideTheExpertsAreDroppedAlikeInEveryMethod() {
        MoeFusedHooks<Tensor> shifted = MoeFusedHooks.<Tensor>none().withSelectHook((scores, preBias, k) -> {
            Tensor idx = Indexing.topK(scores, k).get(1);
            return new MoeFusedHooks.Selection<>(Indexing.topK(scores, k).get(0), Ops.add(idx, Ops.full(idx.shape(), 3, idx.dtype())));
        });
        double[][] p = MoeOracle.softmax(MoeOracle.logits(IN));
        double[] want = new double[IN.n() * 4];
        long[] loads = new long[4];
        int inRange = 0;
        for (int t = 0; t < IN.n(); t++) {
            int[] top = MoeOracle.topK(p[t], 2);
            for (int j = 0; j < 2; j++) {
                int e = top[j] + 3;
                if (e >= 4) continue;
                inRange++;
                loads[e]++;
                double[] y = MoeOracle.expert(IN, MoeOracle.row(IN, t), e);
                for (int o = 0; o < 4; o++) want[t * 4 + o] += p[t][top[j]] * y[o];
            }
        }
        assertThat(inRange).as("some rows stay in range, most do not").isBetween(1, IN.n() - 1);
        for (MoEMethods m : MoEMethods.values()) {
            Map<String, HostArray> got = MoeJourney.run(CFG.withMoeMethod(m), shifted, IN, DType.F32);
            assertClose(m + ": output without the out-of-range rows", got.get("output").toDoubleArray(), want, 2e-6);
            assertThat(got.get("expert_loads").toLongArray()).as(m + ": loads count only ids in range").containsExactly(loads);
        }
    }

    /** Selection on p + bias, weights = the unbiased p at the chosen experts, renormalized by the hook itself. */
    @Test
    void selectHookChoosesOnBiasedScoresAndWeighsWithUnbiasedOnes() {
        MoeFusedHooks.SelectHook<Tensor> select = (scores, preBias, k) -> {
            Tensor biased = scores.add(scoreBias(scores));
            Tensor idx = Indexing.topK(biased, k).get(1);
            Tensor w = Indexing.takeAlongAxis(scores, idx, 1);
            return new MoeFusedHooks.Selection<>(Ops.div(w, w.sum(true, 1)), idx);
        };
        double[][] l = MoeOracle.logits(IN), p = MoeOracle.softmax(l);
        MoeOracle.Result plain = MoeOracle.run(CFG, IN, null);
        int[][] experts = new int[IN.n()][];
        double[][] w = new double[IN.n()][];
        MoeOracle.select(CFG, plus(p, SCORE_BIAS), null, IN.s(), experts, w);  // selection only; weights from p below
        for (MoEMethods m : MoEMethods.values()) {
            MoeFusedHooks<Tensor> hooks = MoeFusedHooks.<Tensor>none().withSelectHook(select);
            Map<String, HostArray> got = MoeJourney.run(CFG.withMoeMethod(m), hooks, IN, DType.F32);
            Map<String, HostArray> none = MoeJourney.run(CFG.withMoeMethod(m), MoeFusedHooks.none(), IN, DType.F32);
            assertThat(hooks.isSet(HookPoint.REFINE_WEIGHTS_HOOK)).as("the layer never mutates the user's hooks").isFalse();
            assertThat(got.get("selected_experts").toLongArray()).as(m + ": selection on biased scores").containsExactly(flat(experts));
            long[] sel = got.get("selected_experts").toLongArray(), sel0 = none.get("selected_experts").toLongArray();
            double[] gw = got.get("selected_weights").toDoubleArray(), out = got.get("output").toDoubleArray(), out0 = none.get("output").toDoubleArray();
            int changed = 0;
            for (int t = 0; t < IN.n(); t++) {
                double a = p[t][experts[t][0]], b = p[t][experts[t][1]];
                assertClose(m + ": token " + t + " weights from unbiased p", new double[] {gw[2 * t], gw[2 * t + 1]}, new double[] {a / (a + b), b / (a + b)}, 2e-6);
                boolean same = sel[2 * t] == sel0[2 * t] && sel[2 * t + 1] == sel0[2 * t + 1];
                if (!same) { changed++; continue; }
                for (int o = 0; o < 4; o++) {
                    assertThat(out[t * 4 + o]).as("%s: token %d kept its experts, so its output", m, t).isCloseTo(out0[t * 4 + o], org.assertj.core.data.Offset.offset(1e-6));
                }
            }
            assertThat(changed).as("tokens whose choice the bias changed").isBetween(1, IN.n() - 1);
            assertClose(m + ": logits untouched", got.get("router_logits").toDoubleArray(), flat(plain.logits()), 2e-6);
            assertClose(m + ": z-loss untouched", new double[] {got.get("router_z_loss").getDouble(0)}, new double[] {plain.z()}, 2e-6);
        }
    }
}
