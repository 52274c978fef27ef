package io.hlo4j.dsltest.moejourney;

import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;

import java.util.Arrays;

/**
 * The MoE layer of moe-semantics.md written as plain Java loops in double precision, token by token, from the
 * normative formulas (not from the DSL code): logits, f32-free softmax, each strategy's selection and default
 * weight rule, the SwiGLU expert FFN (SiLU), the weighted combine, loads, the three load-balancing losses, z-loss,
 * utilization and entropy. Hooks are modelled by the tests that need them (a logit bias, a score transform).
 */
final class MoeOracle {
    private MoeOracle() {}

    /** The layer's inputs as flat row-major arrays; biases may be null. */
    record Inputs(int b, int s, int h, int e, int m, double[] x, double[] gate, double[] wi, double[] wu, double[] wd,
                  double[] wiB, double[] wuB, double[] wdB) {
        int n() { return b * s; }
    }

    /** What the layer computes for one call. experts/weights are [N][slots] (-1 and 0 in unused slots). */
    record Result(double[][] logits, double[][] probs, int[][] experts, double[][] weights, double[][] out, long[] loads,
                  Double lbl, Double z, double utilization, double entropy) {}

    static double[][] logits(Inputs in) {
        double[][] l = new double[in.n()][in.e];
        for (int t = 0; t < in.n(); t++)
            for (int e = 0; e < in.e; e++) {
                double acc = 0;
                for (int i = 0; i < in.h; i++) acc += in.x[t * in.h + i] * in.gate[i * in.e + e];
                l[t][e] = acc;
            }
        return l;
    }

    static double[][] softmax(double[][] l) {
        double[][] p = new double[l.length][];
        for (int t = 0; t < l.length; t++) {
            double mx = Arrays.stream(l[t]).max().orElseThrow(), s = 0;
            p[t] = new double[l[t].length];
            for (int e = 0; e < l[t].length; e++) s += p[t][e] = Math.exp(l[t][e] - mx);
            for (int e = 0; e < l[t].length; e++) p[t][e] /= s;
        }
        return p;
    }

    /** Indices of the k largest entries, descending, ties to the lower index. */
    static int[] topK(double[] v, int k) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> v[a] != v[b] ? Double.compare(v[b], v[a]) : Integer.compare(a, b));
        int[] r = new int[k];
        for (int j = 0; j < k; j++) r[j] = idx[j];
        return r;
    }

    /**
     * Selection by the config's strategy on {@code scores} (what top-k sees), then the default weight rule: the
     * selected scores for TOP_K / TOP_K_NDIV (renormalized for TOP_K when k > 1), 1 for SWITCH, 1/k otherwise.
     */
    static void select(MoeConfig cfg, double[][] scores, long[] tokenIds, int seqLen, int[][] experts, double[][] weights) {
        int n = scores.length, e = cfg.nRoutedExperts(), k = cfg.numExpertsPerTok();
        switch (cfg.routingStrategy()) {
            case TOP_K, TOP_K_NDIV, SWITCH -> {
                int slots = cfg.routingStrategy() == MoeRoutingStrategy.SWITCH ? 1 : k;
                for (int t = 0; t < n; t++) {
                    experts[t] = topK(scores[t], slots);
                    weights[t] = new double[slots];
                    double sum = 0;
                    for (int j = 0; j < slots; j++) sum += weights[t][j] = scores[t][experts[t][j]];
                    for (int j = 0; j < slots; j++) {
                        if (cfg.routingStrategy() == MoeRoutingStrategy.SWITCH) weights[t][j] = 1;
                        else if (cfg.routingStrategy() == MoeRoutingStrategy.TOP_K && k > 1) weights[t][j] /= Math.max(sum, 1e-8);
                    }
                }
            }
            case HASH -> {
                for (int t = 0; t < n; t++) {
                    long h = tokenIds != null ? tokenIds[t] : t % seqLen;
                    experts[t] = new int[k];
                    weights[t] = new double[k];
                    for (int j = 0; j < k; j++) {
                        experts[t][j] = (int) Math.floorMod(h + j, (long) e);
                        weights[t][j] = 1.0 / k;
                    }
                }
            }
            case EXPERT_CHOICE -> {
                int c = (int) Math.min(n, Math.ceil(cfg.capacityFactor() * n * k / e));
                boolean[][] chosen = new boolean[n][e];
                for (int x = 0; x < e; x++) {
                    double[] col = new double[n];
                    for (int t = 0; t < n; t++) col[t] = scores[t][x];
                    for (int t : topK(col, c)) chosen[t][x] = true;
                }
                for (int t = 0; t < n; t++) {
                    experts[t] = new int[e];
                    weights[t] = new double[e];
                    int j = 0;
                    for (int x = 0; x < e; x++) if (chosen[t][x]) { experts[t][j] = x; weights[t][j++] = 1.0 / k; }
                    for (; j < e; j++) experts[t][j] = -1;
                }
            }
        }
    }

    static double silu(double a) { return a / (1 + Math.exp(-a)); }

    /** y = (silu(x wi[e] + wi_b[e]) * (x wu[e] + wu_b[e])) wd[e] + wd_b[e] for one token row x. */
    static double[] expert(Inputs in, double[] x, int e) {
        double[] h = new double[in.m];
        for (int j = 0; j < in.m; j++) {
            double a = in.wiB == null ? 0 : in.wiB[e * in.m + j], b = in.wuB == null ? 0 : in.wuB[e * in.m + j];
            for (int i = 0; i < in.h; i++) {
                a += x[i] * in.wi[(e * in.h + i) * in.m + j];
                b += x[i] * in.wu[(e * in.h + i) * in.m + j];
            }
            h[j] = silu(a) * b;
        }
        double[] y = new double[in.h];
        for (int o = 0; o < in.h; o++) {
            double acc = in.wdB == null ? 0 : in.wdB[e * in.h + o];
            for (int j = 0; j < in.m; j++) acc += h[j] * in.wd[(e * in.m + j) * in.h + o];
            y[o] = acc;
        }
        return y;
    }

    static double[] row(Inputs in, int t) { return Arrays.copyOfRange(in.x, t * in.h, (t + 1) * in.h); }

    /** The whole layer with the given router logits (after any after_gate hook) and scores (what top-k sees). */
    static Result run(MoeConfig cfg, Inputs in, double[][] logits, double[][] scores, long[] tokenIds) {
        int n = in.n(), e = in.e;
        double[][] probs = softmax(logits);
        int[][] experts = new int[n][];
        double[][] weights = new double[n][];
        select(cfg, scores, tokenIds, in.s, experts, weights);
        double[][] out = new double[n][in.h];
        long[] loads = new long[e];
        for (int t = 0; t < n; t++)
            for (int j = 0; j < experts[t].length; j++) {
                if (experts[t][j] < 0) continue;
                loads[experts[t][j]]++;
                double[] y = expert(in, row(in, t), experts[t][j]);
                for (int o = 0; o < in.h; o++) out[t][o] += weights[t][j] * y[o];
            }
        int k = cfg.slotsPerToken();
        double[] pMean = new double[e];
        double entropy = 0, zs = 0;
        for (int t = 0; t < n; t++) {
            double mx = Arrays.stream(logits[t]).max().orElseThrow(), se = 0;
            for (int x = 0; x < e; x++) {
                pMean[x] += probs[t][x] / n;
                entropy -= probs[t][x] * Math.log(probs[t][x] + 1e-8) / n;
                se += Math.exp(logits[t][x] - mx);
            }
            double lse = mx + Math.log(se);
            zs += lse * lse / n;
        }
        Double lbl = null;
        if (cfg.lblCoef().isPresent() && cfg.loadBalancingStrategy() != MoeLoadBalancingStrategy.NONE) {
            double coef = cfg.lblCoef().getAsDouble(), acc = 0;
            switch (cfg.loadBalancingStrategy()) {
                case STANDARD -> { for (int x = 0; x < e; x++) acc += loads[x] / ((double) n * k) * pMean[x]; acc *= coef * e; }
                case SWITCH_TRANSFORMER -> {
                    double[] f1 = new double[e];
                    for (int t = 0; t < n; t++) if (experts[t][0] >= 0) f1[experts[t][0]] += 1.0 / n;
                    for (int x = 0; x < e; x++) acc += f1[x] * pMean[x];
                    acc *= coef * e;
                }
                case EXPERT_CHOICE -> {
                    double mean = Arrays.stream(loads).sum() / (double) e;
                    for (int x = 0; x < e; x++) acc += (loads[x] - mean) * (loads[x] - mean) / e;
                    acc *= coef * e / ((double) n * k);
                }
                case NONE -> throw new AssertionError();
            }
            lbl = acc;
        }
        Double z = cfg.rzlCoef().isPresent() ? cfg.rzlCoef().getAsDouble() * zs : null;
        double util = Arrays.stream(loads).filter(v -> v > 0).count() / (double) e;
        return new Result(logits, probs, experts, weights, out, loads, lbl, z, util, entropy);
    }

    /** The plain layer: logits from the gate, scores = their softmax. */
    static Result run(MoeConfig cfg, Inputs in, long[] tokenIds) {
        double[][] l = logits(in);
        return run(cfg, in, l, softmax(l), tokenIds);
    }

    /** The smallest gap between the k-th and (k+1)-th score of any token (top-k selections need one > 0). */
    static double minTopKGap(double[][] scores, int k) {
        double gap = Double.POSITIVE_INFINITY;
        for (double[] r : scores) {
            double[] s = r.clone();
            Arrays.sort(s);
            if (k < s.length) gap = Math.min(gap, s[s.length - k] - s[s.length - k - 1]);
        }
        return gap;
    }
}
