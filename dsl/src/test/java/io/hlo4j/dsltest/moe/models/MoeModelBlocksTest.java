package io.hlo4j.dsltest.moe.models;

import static io.hlo4j.dsltest.moe.models.HfBlockHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.models.DeepseekV3MoeBlock;
import io.hlo4j.dsl.moe.models.HfMoeCheckpoint;
import io.hlo4j.dsl.moe.models.MixtralSparseMoeBlock;
import io.hlo4j.dsl.moe.models.Qwen2MoeSparseMoeBlock;
import io.hlo4j.runtime.array.HostArray;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each model block loads random weights from a Hugging Face-named safetensors file, runs on the interpreter and is
 * compared with a per-token double-precision reference of that model's formula written here from the HF
 * [out, in] matrices (no transposition shared with the loader).
 */
class MoeModelBlocksTest {
    static final int B = 2, S = 5, N = B * S, H = 8, M = 6;
    static final String PREFIX = "model.layers.3.";

    @TempDir Path tmp;

    /** Routed experts (HF names under {@code expertPrefix}), returning per-expert [gate, up, down] matrices. */
    static double[][][] experts(HfBlockHarness t, String expertPrefix, int e, String g, String u, String d) {
        double[][][] w = new double[e][][];
        for (int i = 0; i < e; i++) {
            String p = expertPrefix + i + ".";
            w[i] = new double[][]{t.put(p + g + ".weight", 0.5, M, H), t.put(p + u + ".weight", 0.5, M, H), t.put(p + d + ".weight", 0.5, H, M)};
        }
        return w;
    }

    static double[] routedSum(double[][][] w, int[] sel, double[] wt, double[] x, int tok) {
        double[] y = new double[H];
        for (int j = 0; j < sel.length; j++) {
            double[] f = swiglu(w[sel[j]][0], w[sel[j]][1], w[sel[j]][2], H, M, x, tok * H);
            for (int c = 0; c < H; c++) y[c] += wt[j] * f[c];
        }
        return y;
    }

    static void assertRun(String what, Run got, double[] out, int[][] sel, double[][] wt) {
        double tol = 1e-5 * Math.max(1, maxAbs(out));
        for (int i = 0; i < out.length; i++) assertThat(got.output()[i]).as("%s output[%d]", what, i).isCloseTo(out[i], within(tol));
        int k = sel[0].length;
        for (int t = 0; t < sel.length; t++) {
            for (int j = 0; j < k; j++) {
                assertThat(got.experts()[t * k + j]).as("%s token %d slot %d expert", what, t, j).isEqualTo(sel[t][j]);
                assertThat(got.weights()[t * k + j]).as("%s token %d slot %d weight", what, t, j).isCloseTo(wt[t][j], within(1e-6));
            }
        }
    }

    // ------------------------------------------------------------------ Mixtral

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void mixtralMatchesThePerTokenFormula(MoEMethods method) throws Exception {
        // k = 1 too: Hugging Face divides by the sum there as well (weight 1), unlike the layer's default rule
        for (int k : new int[]{2, 1}) mixtral(method, k);
    }

    void mixtral(MoEMethods method, int k) throws Exception {
        int e = 4;
        HfBlockHarness t = new HfBlockHarness(11);
        double[] gate = t.put(PREFIX + "block_sparse_moe.gate.weight", 1.0, e, H);
        double[][][] w = experts(t, PREFIX + "block_sparse_moe.experts.", e, "w1", "w3", "w2");
        double[] x = t.randomInput(N, H);
        var block = new MixtralSparseMoeBlock(MoeConfig.of(e, k, H, M).withMoeMethod(method), null);
        Map<String, HostArray> loaded = block.load(HfMoeCheckpoint.open(t.write(tmp)), PREFIX);
        Run got = run(x, B, S, H, loaded, (xs, ws) -> block.call(xs, ws, true));

        double[] out = new double[N * H];
        int[][] sel = new int[N][];
        double[][] wt = new double[N][k];
        for (int tok = 0; tok < N; tok++) {
            double[] p = softmax(matvec(gate, e, H, x, tok * H));
            sel[tok] = topK(p, k);
            wt[tok] = topKWeights(p, sel[tok], true);
            System.arraycopy(routedSum(w, sel[tok], wt[tok], x, tok), 0, out, tok * H, H);
        }
        assertRun("mixtral " + method + " k=" + k, got, out, sel, wt);
    }

    // ------------------------------------------------------------------ Qwen2-MoE

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void qwen2MoeMatchesThePerTokenFormula(MoEMethods method) throws Exception {
        for (boolean norm : new boolean[]{true, false}) {
            int e = 6, k = 3, ms = 10;
            HfBlockHarness t = new HfBlockHarness(23);
            String p = PREFIX + "mlp.";
            double[] gate = t.put(p + "gate.weight", 1.0, e, H);
            double[][][] w = experts(t, p + "experts.", e, "gate_proj", "up_proj", "down_proj");
            double[] sg = t.put(p + "shared_expert.gate_proj.weight", 0.5, ms, H), su = t.put(p + "shared_expert.up_proj.weight", 0.5, ms, H);
            double[] sd = t.put(p + "shared_expert.down_proj.weight", 0.5, H, ms), sgate = t.put(p + "shared_expert_gate.weight", 1.0, 1, H);
            double[] x = t.randomInput(N, H);
            var block = new Qwen2MoeSparseMoeBlock(MoeConfig.of(e, k, H, M).withMoeMethod(method), norm, ms, null);
            Map<String, HostArray> loaded = block.load(HfMoeCheckpoint.open(t.write(tmp)), PREFIX);
            Run got = run(x, B, S, H, loaded, (xs, ws) -> block.call(xs, ws, true));

            double[] out = new double[N * H];
            int[][] sel = new int[N][];
            double[][] wt = new double[N][k];
            for (int tok = 0; tok < N; tok++) {
                double[] pr = softmax(matvec(gate, e, H, x, tok * H));
                sel[tok] = topK(pr, k);
                wt[tok] = topKWeights(pr, sel[tok], norm);
                double[] y = routedSum(w, sel[tok], wt[tok], x, tok), sh = swiglu(sg, su, sd, H, ms, x, tok * H);
                double g = sigmoid(matvec(sgate, 1, H, x, tok * H)[0]);
                for (int c = 0; c < H; c++) out[tok * H + c] = y[c] + g * sh[c];
            }
            assertRun("qwen2-moe " + method + " norm_topk_prob=" + norm, got, out, sel, wt);
        }
    }

    // ------------------------------------------------------------------ DeepSeek-V3

    static final int DS_E = 8, DS_K = 2, DS_GROUPS = 4, DS_TOPK_GROUP = 2;
    static final double DS_SCALE = 2.5;

    record DsRef(double[] out, int[][] sel, double[][] wt) {}

    /** HF DeepSeek-V3 routing per token: sigmoid scores, biased group choice, unbiased weights, norm, scaling. */
    static DsRef deepseekReference(double[] gate, double[] bias, double[][][] w, double[][] shared, int ms, double[] x, boolean grouped) {
        double[] out = new double[N * H];
        int[][] sel = new int[N][];
        double[][] wt = new double[N][DS_K];
        int per = DS_E / DS_GROUPS;
        for (int tok = 0; tok < N; tok++) {
            double[] l = matvec(gate, DS_E, H, x, tok * H), s = new double[DS_E], c = new double[DS_E];
            for (int i = 0; i < DS_E; i++) {
                s[i] = sigmoid(l[i]);
                c[i] = s[i] + bias[i];
            }
            double[] masked = c.clone();
            if (grouped) {
                double[] gs = new double[DS_GROUPS];
                for (int g = 0; g < DS_GROUPS; g++) {
                    int[] best = topK(Arrays.copyOfRange(c, g * per, (g + 1) * per), 2);
                    gs[g] = c[g * per + best[0]] + c[g * per + best[1]];
                }
                boolean[] keep = new boolean[DS_GROUPS];
                for (int g : topK(gs, DS_TOPK_GROUP)) keep[g] = true;
                for (int i = 0; i < DS_E; i++) if (!keep[i / per]) masked[i] = 0.0;
            }
            sel[tok] = topK(masked, DS_K);
            double sum = 0;
            for (int j = 0; j < DS_K; j++) sum += s[sel[tok][j]];
            for (int j = 0; j < DS_K; j++) wt[tok][j] = s[sel[tok][j]] / (sum + 1e-20) * DS_SCALE;
            double[] y = routedSum(w, sel[tok], wt[tok], x, tok), sh = swiglu(shared[0], shared[1], shared[2], H, ms, x, tok * H);
            for (int cc = 0; cc < H; cc++) out[tok * H + cc] = y[cc] + sh[cc];
        }
        return new DsRef(out, sel, wt);
    }

    Run runDeepseek(MoEMethods method, long seed, double[] bias, DsRef[] refs, boolean checkGrouping) throws Exception {
        int ms = M; // n_shared_experts = 1
        HfBlockHarness t = new HfBlockHarness(seed);
        String p = PREFIX + "mlp.";
        double[] gate = t.put(p + "gate.weight", 1.0, DS_E, H);
        double[] b = t.set(p + "gate.e_score_correction_bias", bias, DS_E);
        double[][][] w = experts(t, p + "experts.", DS_E, "gate_proj", "up_proj", "down_proj");
        double[][] shared = {t.put(p + "shared_experts.gate_proj.weight", 0.5, ms, H), t.put(p + "shared_experts.up_proj.weight", 0.5, ms, H),
                t.put(p + "shared_experts.down_proj.weight", 0.5, H, ms)};
        double[] x = t.randomInput(N, H);
        var block = new DeepseekV3MoeBlock(MoeConfig.of(DS_E, DS_K, H, M).withMoeMethod(method),
                new DeepseekV3MoeBlock.Routing(DS_GROUPS, DS_TOPK_GROUP, DS_SCALE, true, 1), null);
        Map<String, HostArray> loaded = block.load(HfMoeCheckpoint.open(t.write(tmp)), PREFIX);
        Run got = run(x, B, S, H, loaded, (xs, ws) -> block.call(xs, ws, true));
        DsRef ref = deepseekReference(gate, b, w, shared, ms, x, true);
        refs[0] = ref;
        if (checkGrouping) {
            // the seed is chosen so that the group restriction matters for some token (else the test is blind to it)
            DsRef flat = deepseekReference(gate, b, w, shared, ms, x, false);
            assertThat(Arrays.deepEquals(flat.sel(), ref.sel())).as("grouping changes some token's choice").isFalse();
        }
        assertRun("deepseek-v3 " + method, got, ref.out(), ref.sel(), ref.wt());
        return got;
    }

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void deepseekV3MatchesThePerTokenFormula(MoEMethods method) throws Exception {
        double[] bias = new double[DS_E];
        HfBlockHarness r = new HfBlockHarness(99);
        for (int i = 0; i < DS_E; i++) bias[i] = 0.05 * r.rnd.nextGaussian();
        runDeepseek(method, 5, bias, new DsRef[1], true);
    }

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void deepseekBiasChangesTheChoiceButNotTheWeights(MoEMethods method) throws Exception {
        // the same weights and input (same seed) with no bias and with a bias lifting expert 7 above every score
        DsRef[] plain = new DsRef[1], biased = new DsRef[1];
        Run a = runDeepseek(method, 7, new double[DS_E], plain, false);
        double[] lift = new double[DS_E];
        lift[7] = 1.5;
        Run b = runDeepseek(method, 7, lift, biased, false);
        int changed = 0;
        for (int tok = 0; tok < N; tok++) {
            long[] sa = Arrays.copyOfRange(a.experts(), tok * DS_K, tok * DS_K + DS_K), sb = Arrays.copyOfRange(b.experts(), tok * DS_K, tok * DS_K + DS_K);
            assertThat(sb).as("token %d: the lifted expert is always chosen", tok).contains(7L);
            if (!Arrays.equals(sa, sb)) {
                changed++;
            } else {
                // same choice: the bias is not in the weights, which stay bit-for-bit those of the unbiased run
                assertThat(Arrays.copyOfRange(b.weights(), tok * DS_K, tok * DS_K + DS_K))
                        .containsExactly(Arrays.copyOfRange(a.weights(), tok * DS_K, tok * DS_K + DS_K));
            }
            // weights are the unbiased sigmoid scores, normalized and scaled: each row sums to routed_scaling_factor
            double sum = b.weights()[tok * DS_K] + b.weights()[tok * DS_K + 1];
            assertThat(sum).isCloseTo(DS_SCALE, within(1e-5));
        }
        assertThat(changed).as("tokens whose choice the bias changed").isGreaterThan(0);
    }

    // ------------------------------------------------------------------ loading errors

    @Test
    void missingOrMisshapenTensorsAreRefusedByName() throws Exception {
        HfBlockHarness t = new HfBlockHarness(3);
        t.put(PREFIX + "block_sparse_moe.gate.weight", 1.0, 4, H);
        experts(t, PREFIX + "block_sparse_moe.experts.", 3, "w1", "w3", "w2"); // expert 3 missing
        HfMoeCheckpoint ck = HfMoeCheckpoint.open(t.write(tmp));
        var block = new MixtralSparseMoeBlock(MoeConfig.of(4, 2, H, M), null);
        assertThatThrownBy(() -> block.load(ck, PREFIX)).isInstanceOf(MoeException.class)
                .hasMessageContaining("block_sparse_moe.experts.3.w1.weight").hasMessageContaining("missing");
        var wide = new MixtralSparseMoeBlock(MoeConfig.of(4, 2, H, M + 1), null);
        assertThatThrownBy(() -> wide.load(ck, PREFIX)).isInstanceOf(MoeException.class)
                .hasMessageContaining("experts.0.w1.weight").hasMessageContaining("[6, 8]").hasMessageContaining("[7, 8]");
    }

    @Test
    void deepseekGroupSettingsAreCheckedByName() {
        MoeConfig cfg = MoeConfig.of(8, 2, H, M);
        assertThatThrownBy(() -> new DeepseekV3MoeBlock(cfg, new DeepseekV3MoeBlock.Routing(3, 1, 1.0, true, 0), null))
                .isInstanceOf(MoeException.class).hasMessageContaining("n_group 3").hasMessageContaining("n_routed_experts 8");
        assertThatThrownBy(() -> new DeepseekV3MoeBlock(cfg, new DeepseekV3MoeBlock.Routing(4, 5, 1.0, true, 0), null))
                .isInstanceOf(MoeException.class).hasMessageContaining("topk_group 5");
        // one group of 2 experts cannot hold k = 3
        assertThatThrownBy(() -> new DeepseekV3MoeBlock(MoeConfig.of(8, 3, H, M), new DeepseekV3MoeBlock.Routing(4, 1, 1.0, true, 0), null))
                .isInstanceOf(MoeException.class).hasMessageContaining("num_experts_per_tok 3");
    }
}
