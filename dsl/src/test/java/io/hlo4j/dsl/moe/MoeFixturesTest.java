package io.hlo4j.dsl.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks the golden fixtures of scripts/gen_moe_fixtures.py from a second side: a small, independent Java
 * re-computation of logits, probabilities, the selection of every routing strategy, the default weights (through
 * {@link MoeWeightRule}), loads, losses and metrics from each fixture's own inputs and selections.
 */
class MoeFixturesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path root() {
        try {
            return Path.of(MoeFixturesTest.class.getResource("/moe/index.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode index() throws IOException {
        return JSON.readTree(root().resolve("index.json").toFile());
    }

    static Stream<String> cases() throws IOException {
        List<String> names = new ArrayList<>();
        index().get("cases").forEach(c -> names.add(c.get("name").asText()));
        return names.stream();
    }

    static JsonNode entry(String name) throws IOException {
        for (JsonNode c : index().get("cases")) if (c.get("name").asText().equals(name)) return c;
        throw new IllegalStateException("no case " + name + " in index.json");
    }

    // ------------------------------------------------------------------ the design itself

    @Test
    void designCoversTheRequiredGrid() throws IOException {
        JsonNode cases = index().get("cases");
        Set<String> routingByLbl = new HashSet<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode c : cases) {
            JsonNode l = c.get("levels");
            routingByLbl.add(l.get("routing").asText() + "/" + l.get("load_balancing").asText());
            for (String f : List.of("k", "experts", "bias", "act", "ties", "dtype", "hash_ids")) {
                seen.add(f + "=" + l.get(f).asText());
            }
            seen.add("n=" + l.get("tokens").get(0).asInt() * l.get("tokens").get(1).asInt());
        }
        int bf16Flips = 0;
        for (JsonNode c : cases) if (c.path("bf16_selection_differs_from_f32").asBoolean(false)) bf16Flips++;
        assertThat(bf16Flips).as("bf16 cases whose rounding changes the selection").isPositive();
        int gateFlips = 0;
        for (JsonNode c : cases) if (c.path("bf16_logits_change_selection").asBoolean(false)) gateFlips++;
        assertThat(gateFlips).as("bf16 cases that a gate on the f32 hidden state would route differently").isPositive();
        assertThat(routingByLbl).hasSize(MoeRoutingStrategy.values().length * MoeLoadBalancingStrategy.values().length);
        assertThat(seen).contains("k=1", "k=2", "k=4", "experts=4", "experts=8", "experts=16", "bias=true",
                "bias=false", "act=silu", "act=gelu", "act=gelu_pytorch_tanh", "act=relu", "ties=gate_columns",
                "ties=duplicate_tokens", "dtype=bfloat16", "hash_ids=token_ids", "n=1", "n=512");
    }

    @Test
    void everyPairOfFactorLevelsOccurs() throws IOException {
        JsonNode ix = index();
        List<String> names = new ArrayList<>();
        ix.get("factors").fieldNames().forEachRemaining(names::add);
        assertThat(names).hasSize(12);
        int pairs = 0;
        for (int a = 0; a < names.size(); a++) {
            for (int b = a + 1; b < names.size(); b++) {
                Set<String> seen = new HashSet<>();
                for (JsonNode c : ix.get("cases")) {
                    if (c.has("seed")) { // the worked example is outside the design
                        seen.add(c.get("levels").get(names.get(a)) + "|" + c.get("levels").get(names.get(b)));
                    }
                }
                for (JsonNode la : ix.get("factors").get(names.get(a))) {
                    for (JsonNode lb : ix.get("factors").get(names.get(b))) {
                        assertThat(seen).as("%s=%s with %s=%s", names.get(a), la, names.get(b), lb)
                                .contains(la + "|" + lb);
                        pairs++;
                    }
                }
            }
        }
        assertThat(pairs).isGreaterThan(500);
    }

    @Test
    void workedExampleHasTheDocsPrintedNumbers() throws IOException {
        Path d = root().resolve("worked_example");
        double[] out = read(d, "output.npy").toDoubleArray();
        double[] want = {-0.051787, 0.010314, 0.041473, -0.051787, -0.028456, 0.007780, 0.020676, -0.028456,
                -0.001475, 0.130720, -0.129245, -0.001475};
        for (int i = 0; i < want.length; i++) assertThat(out[i]).as("output[%d]", i).isCloseTo(want[i], within(1.5e-6));
        assertThat(read(d, "selected_experts.npy").toLongArray()).containsExactly(2, 1, 1, 0, 0, 1);
        assertThat(read(d, "expert_loads.npy").toLongArray()).containsExactly(2, 3, 1, 0);
        JsonNode m = JSON.readTree(d.resolve("metrics.json").toFile());
        assertThat(m.get("router_z_loss").asDouble()).isCloseTo(2.890832, within(1e-6));
        assertThat(m.get("routing_entropy").asDouble()).isCloseTo(1.250419, within(1e-6));
        assertThat(m.get("expert_utilization").asDouble()).isEqualTo(0.75);
        // the doc prints EasyDeL's raw-count STANDARD loss 3.742184; the normative one is that divided by N = 3
        assertThat(m.get("load_balancing_loss").asDouble()).isCloseTo(3.742184 / 3, within(1e-6));
    }

    // ------------------------------------------------------------------ every case

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void caseIsInternallyConsistent(String name) throws IOException {
        Path d = root().resolve(name);
        MoeConfig cfg = MoeConfigJson.read(d.resolve("config.json"));
        JsonNode metrics = JSON.readTree(d.resolve("metrics.json").toFile());

        HostArray x = read(d, "x.npy");
        HostArray gate = read(d, "gate.npy");
        long[] xs = x.shape();
        int b = (int) xs[0], s = (int) xs[1], h = (int) xs[2], n = b * s;
        int e = cfg.nRoutedExperts(), k = cfg.numExpertsPerTok(), m = cfg.moeIntermediateSize();
        assertThat(h).isEqualTo(cfg.hiddenSize());
        assertThat(gate.shape()).containsExactly(h, e);
        assertThat(read(d, "wi.npy").shape()).containsExactly(e, h, m);
        assertThat(read(d, "wu.npy").shape()).containsExactly(e, h, m);
        assertThat(read(d, "wd.npy").shape()).containsExactly(e, m, h);
        if (Files.exists(d.resolve("wi_bias.npy"))) {
            assertThat(read(d, "wi_bias.npy").shape()).containsExactly(e, m);
            assertThat(read(d, "wu_bias.npy").shape()).containsExactly(e, m);
            assertThat(read(d, "wd_bias.npy").shape()).containsExactly(e, h);
        }
        assertThat(read(d, "output.npy").shape()).containsExactly(b, s, h);

        // logits = x @ gate (f64 for float32 cases; bf16 inputs, f32 sum, bf16 result for bfloat16 cases),
        // probabilities = their softmax in f64, recomputed here
        boolean bf16 = cfg.dtype() == MoeDtype.BFLOAT16;
        double[][] logits = matrix(read(d, "router_logits.npy"), n, e);
        double[][] probs = matrix(read(d, "router_probs.npy"), n, e);
        double[] xv = x.toDoubleArray(), gv = gate.toDoubleArray();
        double[][] exact = new double[n][e];                     // the f64 logits of the unrounded inputs
        for (int t = 0; t < n; t++) {
            double[] l = new double[e];
            for (int j = 0; j < e; j++) {
                float acc = 0;
                for (int c = 0; c < h; c++) {
                    exact[t][j] += xv[t * h + c] * gv[c * e + j];
                    acc += bf16((float) xv[t * h + c]) * bf16((float) gv[c * e + j]); // exact product, f32 sum
                }
                l[j] = bf16 ? bf16(acc) : exact[t][j];
                assertThat(logits[t][j]).as("logit[%d][%d]", t, j).isCloseTo(l[j], within(1e-12));
            }
            double[] p = softmax(l);
            for (int j = 0; j < e; j++) assertThat(probs[t][j]).as("prob[%d][%d]", t, j).isCloseTo(p[j], within(1e-12));
        }

        // selection scores: the probabilities (f32) or their bf16 rounding (bf16)
        double[][] scores = probs;
        if (bf16) {
            HostArray sc = read(d, "selection_scores.npy");
            scores = matrix(sc, n, e);
            for (float f : sc.toFloatArray()) assertThat(Float.floatToRawIntBits(f) & 0xFFFF).isZero();
            for (int t = 0; t < n; t++) {
                for (int j = 0; j < e; j++) {
                    assertThat(scores[t][j]).isCloseTo(probs[t][j], within(probs[t][j] * 0x1p-8 + 1e-30));
                }
            }
        }

        // the selection, recomputed from the scores for every strategy
        HostArray selE = read(d, "selected_experts.npy");
        int slots = (int) selE.shape()[1];
        long[][] experts = longMatrix(selE, n, slots);
        double[][] weights = matrix(read(d, "selected_weights.npy"), n, slots);
        long[][] wantExperts = select(cfg, scores, d, b, s);
        assertThat(experts).as("selected experts").isDeepEqualTo(wantExperts);

        if (bf16) { // the index says whether bf16 rounding changed the choice from the f32 oracle's (f64 logits)
            double[][] f32Probs = new double[n][];
            for (int t = 0; t < n; t++) f32Probs[t] = softmax(exact[t]);
            boolean differs = !java.util.Arrays.deepEquals(select(cfg, f32Probs, d, b, s), experts);
            assertThat(differs).as("bf16_selection_differs_from_f32").isEqualTo(entry(name)
                    .get("bf16_selection_differs_from_f32").asBoolean());
        }

        // the default weights through the Java rule (TOP_K renormalization on the selected scores, 1/k, 1.0 ...)
        double[][] picked = new double[n][slots];
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < slots; j++) picked[t][j] = experts[t][j] < 0 ? 0 : scores[t][(int) experts[t][j]];
        }
        int kUsed = cfg.slotsPerToken();
        assertThat(metrics.get("k_used").asInt()).isEqualTo(kUsed);
        double[][] wantW = MoeWeightRule.forStrategy(cfg.routingStrategy()).apply(HostWeights.OPS, picked, kUsed);
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < slots; j++) {
                double want = experts[t][j] < 0 ? 0 : wantW[t][j];
                assertThat(weights[t][j]).as("weight[%d][%d]", t, j).isCloseTo(want, within(1e-12));
            }
        }

        // loads, utilization, entropy, z-loss, load-balancing loss
        long[] loads = read(d, "expert_loads.npy").toLongArray();
        long[] count = new long[e];
        for (long[] row : experts) for (long id : row) if (id >= 0) count[(int) id]++;
        assertThat(loads).containsExactly(count);
        int used = 0;
        for (long c : count) if (c > 0) used++;
        assertThat(metrics.get("expert_utilization").asDouble()).isCloseTo((double) used / e, within(1e-15));
        double entropy = 0;
        for (double[] row : probs) for (double p : row) entropy -= p * Math.log(p + MoeMetrics.ENTROPY_EPS) / n;
        assertThat(metrics.get("routing_entropy").asDouble()).isCloseTo(entropy, within(1e-12));
        checkOptional(metrics, "router_z_loss", cfg.rzlCoef().isPresent()
                ? cfg.rzlCoef().getAsDouble() * zLoss(logits) : null);
        checkOptional(metrics, "load_balancing_loss", lbl(cfg, probs, experts, count, kUsed));

        // the output: a per-token dense FFN + combine in Java on the fixture's own selection and weights
        double[][] xm = matrix(x.reshape(n, h), n, h);
        double[][] want = HostExpertFfn.combine(xm, experts, weights, cfg.hiddenAct(), e, h, m,
                read(d, "wi.npy").toDoubleArray(), read(d, "wu.npy").toDoubleArray(), read(d, "wd.npy").toDoubleArray(),
                optional(d, "wi_bias.npy"), optional(d, "wu_bias.npy"), optional(d, "wd_bias.npy"));
        double[] out = read(d, "output.npy").toDoubleArray();
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < h; o++) {
                assertThat(out[t * h + o]).as("output[%d][%d]", t, o).isCloseTo(want[t][o], within(1e-12));
            }
        }
    }

    private static double[] optional(Path d, String file) throws IOException {
        return Files.exists(d.resolve(file)) ? read(d, file).toDoubleArray() : null;
    }

    // ------------------------------------------------------------------ the independent re-computation

    private static long[][] select(MoeConfig cfg, double[][] p, Path d, int b, int s) throws IOException {
        int n = p.length, e = p[0].length, k = cfg.numExpertsPerTok();
        return switch (cfg.routingStrategy()) {
            case TOP_K, TOP_K_NDIV -> topK(p, k);
            case SWITCH -> topK(p, 1);
            case HASH -> {
                long[] ids = new long[n];
                Path tok = d.resolve("token_ids.npy");
                if (Files.exists(tok)) ids = read(d, "token_ids.npy").toLongArray();
                else for (int t = 0; t < n; t++) ids[t] = t % s;
                long[][] r = new long[n][k];
                for (int t = 0; t < n; t++) for (int j = 0; j < k; j++) r[t][j] = (ids[t] + j) % e;
                yield r;
            }
            case EXPERT_CHOICE -> {
                int cap = cfg.expertCapacity(n);
                boolean[][] chosen = new boolean[n][e];
                for (int ex = 0; ex < e; ex++) {
                    boolean[] taken = new boolean[n];
                    for (int c = 0; c < cap; c++) {
                        int best = -1;
                        for (int t = 0; t < n; t++) {
                            if (!taken[t] && (best < 0 || p[t][ex] > p[best][ex])) best = t; // ties: lower token
                        }
                        taken[best] = true;
                        chosen[best][ex] = true;
                    }
                }
                long[][] r = new long[n][e];
                for (int t = 0; t < n; t++) {
                    int j = 0;
                    for (int ex = 0; ex < e; ex++) if (chosen[t][ex]) r[t][j++] = ex;
                    while (j < e) r[t][j++] = MoeMetrics.UNUSED_SLOT;
                }
                yield r;
            }
        };
    }

    /** Repeated arg-max with strict comparison, so equal scores go to the lower expert index. */
    private static long[][] topK(double[][] p, int k) {
        long[][] r = new long[p.length][k];
        for (int t = 0; t < p.length; t++) {
            boolean[] taken = new boolean[p[t].length];
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int ex = 0; ex < p[t].length; ex++) {
                    if (!taken[ex] && (best < 0 || p[t][ex] > p[t][best])) best = ex;
                }
                taken[best] = true;
                r[t][j] = best;
            }
        }
        return r;
    }

    /** Round to the nearest bfloat16, ties to even (finite values). */
    static float bf16(float f) {
        int u = Float.floatToRawIntBits(f);
        return Float.intBitsToFloat((u + 0x7FFF + ((u >>> 16) & 1)) & 0xFFFF0000);
    }

    private static double[] softmax(double[] l) {
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (double v : l) max = Math.max(max, v);
        for (double v : l) z += Math.exp(v - max);
        double[] p = new double[l.length];
        for (int j = 0; j < l.length; j++) p[j] = Math.exp(l[j] - max) / z;
        return p;
    }

    private static double zLoss(double[][] logits) {
        double sum = 0;
        for (double[] row : logits) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : row) max = Math.max(max, v);
            double z = 0;
            for (double v : row) z += Math.exp(v - max);
            double lse = max + Math.log(z);
            sum += lse * lse;
        }
        return sum / logits.length;
    }

    private static Double lbl(MoeConfig cfg, double[][] probs, long[][] experts, long[] loads, int kUsed) {
        if (!cfg.computesLoadBalancingLoss()) return null;
        int n = probs.length, e = probs[0].length;
        double coef = cfg.lblCoef().getAsDouble();
        double[] mean = new double[e];
        for (double[] row : probs) for (int j = 0; j < e; j++) mean[j] += row[j] / n;
        double acc = 0;
        switch (cfg.loadBalancingStrategy()) {
            case STANDARD -> {
                for (int j = 0; j < e; j++) acc += loads[j] / (double) (n * kUsed) * mean[j];
                return coef * e * acc;
            }
            case SWITCH_TRANSFORMER -> {
                double[] first = new double[e];
                for (long[] row : experts) if (row[0] >= 0) first[(int) row[0]] += 1.0 / n;
                for (int j = 0; j < e; j++) acc += first[j] * mean[j];
                return coef * e * acc;
            }
            case EXPERT_CHOICE -> {
                double mu = 0;
                for (long l : loads) mu += (double) l / e;
                for (long l : loads) acc += (l - mu) * (l - mu) / e;
                return coef * acc * e / (n * kUsed);
            }
            default -> throw new IllegalStateException("NONE computes no loss");
        }
    }

    private static void checkOptional(JsonNode metrics, String key, Double want) {
        JsonNode got = metrics.get(key);
        if (want == null) {
            assertThat(got.isNull()).as(key + " is null").isTrue();
        } else {
            assertThat(got.isNumber()).as(key + " is a number").isTrue();
            assertThat(got.asDouble()).as(key).isCloseTo(want, within(1e-12 * Math.max(1, Math.abs(want))));
        }
    }

    // ------------------------------------------------------------------ npy helpers

    static HostArray read(Path dir, String file) throws IOException {
        return Npy.read(dir.resolve(file));
    }

    static double[][] matrix(HostArray a, int rows, int cols) {
        assertThat(a.shape()).containsExactly(rows, cols);
        double[] v = a.toDoubleArray();
        double[][] r = new double[rows][cols];
        for (int i = 0; i < rows; i++) System.arraycopy(v, i * cols, r[i], 0, cols);
        return r;
    }

    static long[][] longMatrix(HostArray a, int rows, int cols) {
        assertThat(a.shape()).containsExactly(rows, cols);
        long[] v = a.toLongArray();
        long[][] r = new long[rows][cols];
        for (int i = 0; i < rows; i++) System.arraycopy(v, i * cols, r[i], 0, cols);
        return r;
    }
}
