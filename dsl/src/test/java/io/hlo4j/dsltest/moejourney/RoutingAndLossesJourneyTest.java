package io.hlo4j.dsltest.moejourney;

import static io.hlo4j.dsltest.moejourney.MoeJourney.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/**
 * Week one, day one: every routing strategy and every load-balancing strategy docs/moe.md lists, with both auxiliary
 * losses and all metrics, on six tokens (B = 2, S = 3, H = 4, E = 4, k = 2, M = 3, with biases), against
 * {@link MoeOracle}'s plain-Java loops; and the worked example of easydel-moe-behavior.md 5.3 against the numbers
 * printed there.
 */
class RoutingAndLossesJourneyTest {
    static final MoeOracle.Inputs IN = random(41, 2, 3, 4, 4, 3, true);

    @Test
    void everyRoutingAndLoadBalancingStrategyMatchesTheLoops() {
        assertThat(MoeOracle.minTopKGap(MoeOracle.softmax(MoeOracle.logits(IN)), 2)).as("no near-tie at the top-k boundary").isGreaterThan(1e-3);
        int checked = 0;
        for (MoeRoutingStrategy rs : MoeRoutingStrategy.values()) {
            for (MoeLoadBalancingStrategy lb : MoeLoadBalancingStrategy.values()) {
                MoeConfig cfg = MoeConfig.of(4, 2, 4, 3).withRoutingStrategy(rs).withLoadBalancing(lb, 0.5).withRouterZLoss(0.1);
                MoeOracle.Result want = MoeOracle.run(cfg, IN, null);
                assertMatches(rs + "/" + lb, MoeJourney.run(cfg, MoeFusedHooks.none(), IN, DType.F32), want, 2e-6);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(20);
    }

    /** k = 1 (TOP_K keeps the raw probability: no renormalization), k = 3 and k = E, every strategy, in every method. */
    @Test
    void otherKsInEveryMethod() {
        int checked = 0;
        for (int k : new int[] {1, 3, 4}) {
            assertThat(MoeOracle.minTopKGap(MoeOracle.softmax(MoeOracle.logits(IN)), Math.min(k, 3))).isGreaterThan(1e-3);
            for (MoeRoutingStrategy rs : MoeRoutingStrategy.values()) {
                for (MoEMethods m : MoEMethods.values()) {
                    MoeConfig cfg = MoeConfig.of(4, k, 4, 3).withRoutingStrategy(rs).withMoeMethod(m)
                            .withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 0.5).withRouterZLoss(0.1);
                    assertMatches("k = " + k + ", " + rs + ", " + m, MoeJourney.run(cfg, MoeFusedHooks.none(), IN, DType.F32), MoeOracle.run(cfg, IN, null), 2e-6);
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(45);
        // TOP_K with k = 1: the weight is the winning probability itself, below 1
        Map<String, HostArray> top1 = MoeJourney.run(MoeConfig.of(4, 1, 4, 3), MoeFusedHooks.none(), IN, DType.F32);
        for (double w : top1.get("selected_weights").toDoubleArray()) assertThat(w).isBetween(0.25, 0.999);
    }

    /** Without coefficients no loss is reported; the metrics are still there. */
    @Test
    void noCoefficientsNoLosses() {
        MoeConfig cfg = MoeConfig.of(4, 2, 4, 3);
        Map<String, HostArray> got = MoeJourney.run(cfg, MoeFusedHooks.none(), IN, DType.F32);
        assertThat(got).doesNotContainKeys("load_balancing_loss", "router_z_loss");
        assertMatches("defaults", got, MoeOracle.run(cfg, IN, null), 2e-6);
    }

    /** SWITCH routes one slot whatever k says; EXPERT_CHOICE gives every expert exactly c tokens. */
    @Test
    void switchUsesOneSlotAndExpertChoiceFillsEveryExpert() {
        MoeConfig sw = MoeConfig.of(4, 3, 4, 3).withRoutingStrategy(MoeRoutingStrategy.SWITCH);
        Map<String, HostArray> s = MoeJourney.run(sw, MoeFusedHooks.none(), IN, DType.F32);
        assertThat(s.get("selected_experts").shape()).containsExactly(6, 1);
        assertThat(s.get("selected_weights").toDoubleArray()).containsOnly(1.0);
        MoeConfig ec = MoeConfig.of(4, 2, 4, 3).withRoutingStrategy(MoeRoutingStrategy.EXPERT_CHOICE);
        Map<String, HostArray> e = MoeJourney.run(ec, MoeFusedHooks.none(), IN, DType.F32);
        assertThat(e.get("expert_loads").toLongArray()).as("c = ceil(6 * 2 / 4) = 3 tokens per expert").containsExactly(3, 3, 3, 3);
        assertThat(e.get("selected_experts").shape()).as("token-major view: E slots per token").containsExactly(6, 4);
    }

    /** HASH with token ids: token t goes to (id_t + j) mod E; negative ids wrap mathematically. */
    @Test
    void hashRoutingWithTokenIds() {
        MoeConfig cfg = MoeConfig.of(4, 2, 4, 3).withRoutingStrategy(MoeRoutingStrategy.HASH).withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 1);
        long[] ids = {7, 0, -1, 2, 13, 5};
        HostArray idArray = HostArray.fromLongs(io.hlo4j.dsl.Spec.of(DType.I32, 2, 3).tensorType(), ids);
        List<HostArray> a = new java.util.ArrayList<>(args(IN, DType.F32));
        a.add(idArray);
        Map<String, HostArray> got = Jit.jit("hash", x -> {
            var o = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) x[0], BaseMoeModule.linearGate((Tensor) x[1]),
                    experts(java.util.Arrays.copyOf(x, 8)), (Tensor) x[8], true);
            return o.asMap();
        }).callMap(a.toArray());
        MoeOracle.Result want = MoeOracle.run(cfg, IN, ids);
        assertThat(got.get("selected_experts").toLongArray()).containsExactly(3, 0, 0, 1, 3, 0, 2, 3, 1, 2, 1, 2);
        assertThat(got.get("selected_experts").toLongArray()).containsExactly(flat(want.experts()));
        assertClose("hash output", got.get("output").toDoubleArray(), flat(want.out()), 2e-6);
        assertClose("hash lbl", new double[] {got.get("load_balancing_loss").getDouble(0)}, new double[] {want.lbl()}, 2e-6);
    }

    /** easydel-moe-behavior.md 5.3, built from its arange formulas; the expected numbers are the ones printed there. */
    @Test
    void workedExampleReproducesThePrintedNumbers() {
        double[] x = new double[12], gate = new double[16], wi = new double[32], wu = new double[32], wd = new double[32];
        for (int i = 0; i < 12; i++) x[i] = (i - 5) / 2.0;
        for (int i = 0; i < 16; i++) gate[i] = (i % 5 - 2) / 4.0;
        for (int i = 0; i < 32; i++) { wi[i] = (i % 7 - 3) / 8.0; wu[i] = (i % 5 - 2) / 8.0; wd[i] = i % 3 - 1; }
        MoeOracle.Inputs in = new MoeOracle.Inputs(1, 3, 4, 4, 2, x, gate, wi, wu, wd, null, null, null);
        for (MoEMethods method : MoEMethods.values()) {
            MoeConfig cfg = MoeConfig.of(4, 2, 4, 2).withMoeMethod(method).withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 1).withRouterZLoss(1);
            Map<String, HostArray> got = MoeJourney.run(cfg, MoeFusedHooks.none(), in, DType.F32);
            String m = method.toString();
            assertClose(m + " logits", got.get("router_logits").toDoubleArray(), new double[] {-0.125, 0.625, 0.75, 0.25, 0.375, 0.625, 0.25, -0.75, 0.875, 0.625, -0.25, -1.75}, 1e-7);
            assertClose(m + " probs", got.get("router_probs").toDoubleArray(), new double[] {0.143454, 0.303693, 0.344129, 0.208725, 0.286437, 0.367792,
                    0.252779, 0.092992, 0.459581, 0.357922, 0.149204, 0.033292}, 1e-6);
            assertThat(got.get("selected_experts").toLongArray()).as(m + " top-k").containsExactly(2, 1, 1, 0, 0, 1);
            assertClose(m + " weights", got.get("selected_weights").toDoubleArray(), new double[] {0.531209, 0.468791, 0.562177, 0.437823, 0.562177, 0.437824}, 1e-6);
            assertThat(got.get("expert_loads").toLongArray()).as(m + " group sizes").containsExactly(2, 3, 1, 0);
            assertClose(m + " output", got.get("output").toDoubleArray(), new double[] {-0.051787, 0.010314, 0.041473, -0.051787, -0.028456, 0.007780,
                    0.020676, -0.028456, -0.001475, 0.130720, -0.129245, -0.001475}, 1.5e-6);
            // EasyDeL's STANDARD loss 3.742184 uses raw counts: N = 3 times the normative value
            assertClose(m + " lbl", new double[] {got.get("load_balancing_loss").getDouble(0)}, new double[] {3.742184 / 3}, 1e-6);
            assertClose(m + " z-loss", new double[] {got.get("router_z_loss").getDouble(0)}, new double[] {2.890832}, 1e-6);
            assertThat(got.get("expert_utilization").getDouble(0)).isEqualTo(0.75);
            assertClose(m + " entropy", new double[] {got.get("routing_entropy").getDouble(0)}, new double[] {1.250419}, 1e-6);
        }
        // EXPERT_CHOICE loss: EasyDeL's 1.25 is Var(loads [2, 3, 1, 0]); the normative one scales it by E / (N k) = 4 / 6
        MoeConfig ec = MoeConfig.of(4, 2, 4, 2).withLoadBalancing(MoeLoadBalancingStrategy.EXPERT_CHOICE, 1);
        assertClose("expert-choice lbl", new double[] {MoeJourney.run(ec, MoeFusedHooks.none(), in, DType.F32).get("load_balancing_loss").getDouble(0)},
                new double[] {1.25 * 4 / 6}, 1e-6);
        // TOP_K_NDIV output printed in 5.3
        MoeConfig nd = MoeConfig.of(4, 2, 4, 2).withRoutingStrategy(MoeRoutingStrategy.TOP_K_NDIV);
        assertClose("top_k_ndiv output", MoeJourney.run(nd, MoeFusedHooks.none(), in, DType.F32).get("output").toDoubleArray(),
                new double[] {-0.033549, 0.006682, 0.026867, -0.033549, -0.018617, 0.005090, 0.013527, -0.018617, -0.001206, 0.106864, -0.105658, -0.001206}, 1.5e-6);
    }
}
