package io.hlo4j.dsltest.moe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.runtime.array.HostArray;
import java.io.IOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every golden fixture case (numpy f64 oracle, scripts/moe_reference.py) through the traced layer on the
 * interpreter with each of the three methods: outputs within 1e-5 relative (f32 cases), expert choices and loads
 * exactly, losses and metrics within 1e-5; and the three methods agree with each other. bf16 cases: the same
 * selection, logits and metrics checks, weights within one bf16 ulp (selection runs on bf16-rounded probabilities, as the oracle's), and
 * outputs within {@link #BF16_TOL}.
 */
class MoeLayerFixturesTest {
    static final double TOL = 1e-5;
    /**
     * bf16 cases: the expert FFN runs in bf16 (8 bits of mantissa), the oracle in f64; relative to the output's
     * largest magnitude the worst case measured 1.07e-2 (c01), so 2e-2 leaves little room for a real error.
     */
    static final double BF16_TOL = 2e-2;
    /** bf16 weights: one bf16 ulp relative (2^-8); the renormalization divides in bf16 where the oracle uses f64. */
    static final double BF16_WEIGHT_TOL = 0x1p-8;

    static List<String> cases() throws IOException { return MoeCase.names(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyMethodMatchesTheOracleAndTheOthers(String name) {
        MoeCase c = MoeCase.load(name);
        boolean bf16 = c.config().dtype() == MoeDtype.BFLOAT16;
        double tol = bf16 ? BF16_TOL : TOL;
        Map<MoEMethods, MoeCase.Result> results = new EnumMap<>(MoEMethods.class);
        for (MoEMethods m : MoEMethods.values()) {
            MoeCase.Result r = c.run(m);
            results.put(m, r);
            String what = name + " " + m;
            assertThat(r.get("selected_experts").toLongArray()).as(what + " selected_experts")
                    .containsExactly(c.expected("selected_experts").toLongArray());
            assertThat(r.get("expert_loads").toLongArray()).as(what + " expert_loads")
                    .containsExactly(c.expected("expert_loads").toLongArray());
            assertRelClose(what + " router_logits", r.get("router_logits"), c.expected("router_logits"), TOL);
            assertRelClose(what + " router_probs", r.get("router_probs"), c.expected("router_probs"), TOL);
            assertRelClose(what + " selected_weights", r.get("selected_weights"), c.expected("selected_weights"),
                    bf16 ? BF16_WEIGHT_TOL : TOL);
            assertRelClose(what + " output", r.get("output"), c.expected("output"), tol);
            JsonNode mj = c.metricsJson();
            for (String k : List.of("load_balancing_loss", "router_z_loss", "expert_utilization", "routing_entropy")) {
                JsonNode want = mj.get(k);
                if (want.isNull()) {
                    assertThat(r.get(k)).as(what + " " + k + " is not computed").isNull();
                } else {
                    assertThat(r.get(k)).as(what + " " + k).isNotNull();
                    double got = r.get(k).toDoubleArray()[0];
                    assertThat(Math.abs(got - want.asDouble())).as(what + " " + k + " = " + got + ", want " + want.asDouble())
                            .isLessThanOrEqualTo(TOL * Math.abs(want.asDouble()) + 1e-9);
                }
            }
        }
        HostArray ref = results.get(MoEMethods.FUSED_MOE).get("output");
        for (MoEMethods m : List.of(MoEMethods.STANDARD_MOE, MoEMethods.DENSE_MOE)) {
            assertRelClose(name + " " + m + " vs FUSED output", results.get(m).get("output"), ref, bf16 ? BF16_TOL : TOL);
        }
    }

    /** |got - want| <= tol * max|want| elementwise (relative to the array's scale), shapes equal. */
    static void assertRelClose(String what, HostArray got, HostArray want, double tol) {
        assertThat(got.shape()).as(what + " shape").containsExactly(want.shape());
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        double scale = 0;
        for (double v : w) scale = Math.max(scale, Math.abs(v));
        scale = Math.max(scale, 1e-6);
        for (int i = 0; i < w.length; i++) {
            double err = Math.abs(g[i] - w[i]) / scale;
            if (!(err <= tol)) {
                throw new AssertionError(what + ": element " + i + " is " + g[i] + ", want " + w[i] + " (relative error " + err + " > " + tol + ")");
            }
        }
    }
}
