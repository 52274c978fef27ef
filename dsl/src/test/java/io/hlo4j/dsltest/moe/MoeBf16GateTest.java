package io.hlo4j.dsltest.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.runtime.array.HostArray;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The gate in a bf16 layer follows EasyDeL's FUSED path: the hidden state is cast to the compute dtype before
 * before_gate and the gate, and the linear gate multiplies in bf16 with f32 accumulation and rounds the logits to
 * bf16. Before, hlo4j ran the gate on the f32 hidden state (f32 logits); the fixture cases flagged
 * {@code bf16_logits_change_selection} route differently under the two, so they fail the old behaviour.
 */
class MoeBf16GateTest {

    /** The flagged cases: every method selects as the regenerated oracle, and the f32-logit gate would not. */
    @Test
    void casesWhereBf16LogitsChangeTheSelectionFollowTheOracle() throws IOException {
        List<String> flagged = new ArrayList<>();
        for (JsonNode c : MoeCase.JSON.readTree(MoeCase.root().resolve("index.json").toFile()).get("cases")) {
            if (c.path("bf16_logits_change_selection").asBoolean(false)) flagged.add(c.get("name").asText());
        }
        assertThat(flagged).as("fixture cases whose selection depends on the gate's dtype").isNotEmpty();
        for (String name : flagged) {
            MoeCase c = MoeCase.load(name);
            assertThat(c.config().dtype()).isEqualTo(MoeDtype.BFLOAT16);
            long[] want = c.expected("selected_experts").toLongArray();
            for (MoEMethods m : MoEMethods.values()) {
                MoeCase.Result r = c.run(m);
                assertThat(r.get("router_logits").type().toString()).as(name + " " + m + " logits").endsWith("xbf16>");
                // bf16 values, computed as the oracle computes them: equal, not close
                assertThat(r.get("router_logits").toDoubleArray()).as(name + " " + m + " logits")
                        .containsExactly(c.expected("router_logits").toDoubleArray());
                assertThat(r.get("selected_experts").toLongArray()).as(name + " " + m + " selection").containsExactly(want);
            }
            assertThat(f32LogitSelection(c)).as(name + ": a gate on the f32 hidden state selects differently").isNotEqualTo(want);
        }
    }

    /** The old router: logits from the f32 hidden state (the traced x argument, not the cast one), FUSED. */
    private static long[] f32LogitSelection(MoeCase c) {
        HostArray x = c.inputs().get("x");
        long n = x.shape()[0] * x.shape()[1], h = x.shape()[2];
        List<String> names = c.args(MoEMethods.FUSED_MOE);
        HostArray[] argv = names.stream().map(c.inputs()::get).toArray(HostArray[]::new);
        Map<String, HostArray> r = Jit.jit("old_gate", a -> {
            Tensor xs = (Tensor) a[names.indexOf("x")], gate = (Tensor) a[names.indexOf("gate")];
            UnaryOperator<Tensor> f32Gate = ignored -> Linalg.matmul(xs.reshape(n, h), gate);
            ExpertWeights w = ExpertWeights.of((Tensor) a[names.indexOf("wi")], (Tensor) a[names.indexOf("wu")], (Tensor) a[names.indexOf("wd")]);
            Tensor ids = names.contains("token_ids") ? (Tensor) a[names.indexOf("token_ids")] : null;
            return new BaseMoeModule(c.config(), MoeFusedHooks.none()).moeCall(xs, f32Gate, w, null, null, null, true, 0, ids).asMap();
        }).callMap((Object[]) argv);
        return r.get("selected_experts").toLongArray();
    }

    /**
     * By hand, E = 2, H = 4: x = [1 + 2^-9, 1, 2^-12, 2^-12] rounds to [1, 1, 2^-12, 2^-12] in bf16; gate column 0 =
     * [1, 2^-8, 2^-12, 2^-12] gives the exact products 1, 2^-8, 2^-24, 2^-24. Summed in f32 each 2^-24 is half an
     * ulp of 1 + 2^-8 and rounds away (ties to even), and 1 + 2^-8 rounds to 1.0 in bf16 (a tie, to even). A bf16
     * dot accumulated exactly would give 1 + 2^-7 (the exact sum 1 + 2^-8 + 2^-23 is past the tie); the f32 hidden
     * state would give 1 + 2^-9 + 2^-8 + 2^-23 in f32. Column 1 is 0. The z-loss is on f32(logits):
     * log(e + 1)^2.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(MoEMethods.class)
    void gateMultipliesInBf16WithF32Accumulation(MoEMethods method) {
        MoeConfig cfg = MoeConfig.of(2, 1, 4, 2).withDtype(MoeDtype.BFLOAT16).withMoeMethod(method).withRouterZLoss(1.0);
        double u = 0x1p-12;
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 1, 1, 4).tensorType(), 1 + 0x1p-9, 1, u, u);
        HostArray gate = HostArray.fromDoubles(Spec.of(DType.F32, 4, 2).tensorType(), 1, 0, 0x1p-8, 0, u, 0, u, 0);
        double[] ones = new double[16];
        Arrays.fill(ones, 1);
        HostArray wi = HostArray.fromDoubles(Spec.of(DType.F32, 2, 4, 2).tensorType(), ones);
        HostArray wd = HostArray.fromDoubles(Spec.of(DType.F32, 2, 2, 4).tensorType(), ones);
        List<DType> gateSaw = new ArrayList<>();
        var lowered = Jit.jit("moe", a -> {
            Tensor k = (Tensor) a[1];
            UnaryOperator<Tensor> linear = BaseMoeModule.linearGate(k);
            UnaryOperator<Tensor> userGate = in -> {
                gateSaw.add(in.dtype());
                return linear.apply(in);
            };
            return new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0], userGate,
                    ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), true).asMap();
        }).lower(x, gate, wi, wi, wd);
        assertThat(gateSaw).as("the dtype a user-supplied gate receives").containsExactly(DType.BF16);
        // what the linear gate emits: a dot_general of bf16 operands with an f32 result, then a convert to bf16
        Matcher dot = Pattern.compile("(%\\S+) = stablehlo\\.dot_general [^\\n]*: \\(tensor<1x4xbf16>, tensor<4x2xbf16>\\) -> tensor<1x2xf32>")
                .matcher(lowered.asText());
        assertThat(dot.find()).as(lowered.asText()).isTrue();
        assertThat(lowered.asText()).contains("stablehlo.convert " + dot.group(1) + " : (tensor<1x2xf32>) -> tensor<1x2xbf16>");

        Map<String, HostArray> r = Jit.jit("moe", a -> new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0],
                BaseMoeModule.linearGate((Tensor) a[1]), ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), true).asMap())
                .callMap(x, gate, wi, wi, wd);
        assertThat(r.get("router_logits").type().toString()).isEqualTo("tensor<1x2xbf16>");
        assertThat(r.get("router_logits").toDoubleArray()).containsExactly(1.0, 0.0);
        double lse = Math.log(Math.E + 1);
        assertThat(r.get("router_z_loss").toDoubleArray()[0]).isCloseTo(lse * lse, within(1e-6));
        assertThat(r.get("selected_experts").toLongArray()).containsExactly(0);
    }

    /** An f32 layer keeps its f32 gate: one dot_general in f32, f32 logits, the gate sees f32 tokens. */
    @Test
    void f32LayerGateStaysF32() {
        MoeConfig cfg = MoeConfig.of(2, 1, 4, 2);
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 1, 1, 4).tensorType(), 1 + 0x1p-9, 1, 0, 0);
        HostArray gate = HostArray.fromDoubles(Spec.of(DType.F32, 4, 2).tensorType(), 1, 0, 0x1p-8, 0, 0, 0, 0, 0);
        double[] ones = new double[16];
        Arrays.fill(ones, 1);
        HostArray wi = HostArray.fromDoubles(Spec.of(DType.F32, 2, 4, 2).tensorType(), ones);
        HostArray wd = HostArray.fromDoubles(Spec.of(DType.F32, 2, 2, 4).tensorType(), ones);
        List<DType> gateSaw = new ArrayList<>();
        Map<String, HostArray> r = Jit.jit("moe", a -> {
            UnaryOperator<Tensor> linear = BaseMoeModule.linearGate((Tensor) a[1]);
            return new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0], in -> {
                gateSaw.add(in.dtype());
                return linear.apply(in);
            }, ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), true).asMap();
        }).callMap(x, gate, wi, wi, wd);
        assertThat(gateSaw).containsExactly(DType.F32);
        assertThat(r.get("router_logits").type().toString()).isEqualTo("tensor<1x2xf32>");
        assertThat(r.get("router_logits").toDoubleArray()).containsExactly((double) (float) (1 + 0x1p-9 + 0x1p-8), 0.0);
    }

    /**
     * DeepSeek-V3's router multiplies float32(x) @ float32(K) in a bf16 model too: f32 logits of the bf16-cast
     * tokens. E = 4 in 2 groups, k = 2, H = 4. x = [1 + 2^-9, 3, 0, 0] (bf16: [1, 3, 0, 0]); gate row 0 =
     * [1, 1 + 2^-10, 0.5, 0], row 1 = [0, 0, 0, 1]: logits 1 (not 1 + 2^-9: the tokens are cast first), 1 + 2^-10
     * (an f32 kernel and f32 logits; bf16 would give 1), 0.5, 3, all exact in f32.
     */
    @Test
    void deepseekGateStaysF32InABf16Layer() {
        MoeConfig cfg = MoeConfig.of(4, 2, 4, 2).withDtype(MoeDtype.BFLOAT16);
        var block = new io.hlo4j.dsl.moe.models.DeepseekV3MoeBlock(cfg, new io.hlo4j.dsl.moe.models.DeepseekV3MoeBlock.Routing(2, 1, 1.0, true, 0), null);
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 1, 1, 4).tensorType(), 1 + 0x1p-9, 3, 0, 0);
        double[] g = new double[16];
        g[0] = 1;
        g[1] = 1 + 0x1p-10;
        g[2] = 0.5;
        g[7] = 1;
        double[] ones = new double[32];
        Arrays.fill(ones, 1);
        Map<String, HostArray> w = Map.of("gate", HostArray.fromDoubles(Spec.of(DType.F32, 4, 4).tensorType(), g),
                "bias", HostArray.fromDoubles(Spec.of(DType.F32, 4).tensorType(), 0, 0, 0, 0),
                "wi", HostArray.fromDoubles(Spec.of(DType.F32, 4, 4, 2).tensorType(), ones),
                "wu", HostArray.fromDoubles(Spec.of(DType.F32, 4, 4, 2).tensorType(), ones),
                "wd", HostArray.fromDoubles(Spec.of(DType.F32, 4, 2, 4).tensorType(), ones));
        @SuppressWarnings("unchecked")
        HostArray logits = Jit.jit("ds", a -> block.call((Tensor) a[1], (Map<String, Tensor>) a[0], false).routerLogits()).call1(w, x);
        assertThat(logits.type().toString()).isEqualTo("tensor<1x4xf32>");
        assertThat(logits.toDoubleArray()).containsExactly(1, 1 + 0x1p-10, 0.5, 3);
    }
}
