package io.hlo4j.cli;

import java.util.SplittableRandom;

/**
 * The demo's MoE block computed directly from its definition (Mixtral): softmax over all experts' logits,
 * keep each token's two largest probabilities, renormalise them, and sum the chosen SwiGLU experts' outputs
 * weighted by them. Plain loops in double precision, written independently of the StableHLO program, so that
 * the interpreter's result can be checked against it.
 */
final class MoeReference {
    static final int TOKENS = 8, HIDDEN = 16, EXPERTS = 4, FFN = 32, TOP_K = 2;

    /** Row-major inputs in the program's argument order: x, router, w1 (gate), w3 (up), w2 (down). */
    record Inputs(float[] x, float[] router, float[] w1, float[] w3, float[] w2) {}

    /** Results: y [tokens, hidden], logits [tokens, experts], and per token the chosen experts and their gates. */
    record Outputs(double[] y, double[] logits, int[][] experts, double[][] gates) {}

    private MoeReference() {}

    /** Uniform values in [-scale, scale) from a fixed seed: the same inputs on every machine. */
    static Inputs inputs(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return new Inputs(uniform(r, TOKENS * HIDDEN, 1.0), uniform(r, HIDDEN * EXPERTS, 1.0),
                uniform(r, EXPERTS * HIDDEN * FFN, 0.5), uniform(r, EXPERTS * HIDDEN * FFN, 0.5),
                uniform(r, EXPERTS * FFN * HIDDEN, 0.5));
    }

    private static float[] uniform(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    static Outputs compute(Inputs in) {
        double[] y = new double[TOKENS * HIDDEN];
        double[] logits = new double[TOKENS * EXPERTS];
        int[][] chosen = new int[TOKENS][TOP_K];
        double[][] gates = new double[TOKENS][TOP_K];
        for (int t = 0; t < TOKENS; t++) {
            double[] p = new double[EXPERTS];
            double max = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < EXPERTS; e++) {
                double s = 0;
                for (int h = 0; h < HIDDEN; h++) s += in.x[t * HIDDEN + h] * in.router[h * EXPERTS + e];
                logits[t * EXPERTS + e] = s;
                max = Math.max(max, s);
            }
            double sum = 0;
            for (int e = 0; e < EXPERTS; e++) sum += p[e] = Math.exp(logits[t * EXPERTS + e] - max);
            for (int e = 0; e < EXPERTS; e++) p[e] /= sum;
            // top-2 by probability; the lower index wins a tie
            boolean[] taken = new boolean[EXPERTS];
            double kept = 0;
            for (int k = 0; k < TOP_K; k++) {
                int best = -1;
                for (int e = 0; e < EXPERTS; e++) if (!taken[e] && (best < 0 || p[e] > p[best])) best = e;
                taken[best] = true;
                chosen[t][k] = best;
                kept += p[best];
            }
            for (int k = 0; k < TOP_K; k++) {
                int e = chosen[t][k];
                gates[t][k] = p[e] / kept;
                double[] out = expert(in, e, t);
                for (int h = 0; h < HIDDEN; h++) y[t * HIDDEN + h] += gates[t][k] * out[h];
            }
        }
        return new Outputs(y, logits, chosen, gates);
    }

    /** SwiGLU expert e on token t: (silu(x w1[e]) * (x w3[e])) w2[e]. */
    private static double[] expert(Inputs in, int e, int t) {
        double[] act = new double[FFN];
        for (int f = 0; f < FFN; f++) {
            double g = 0, u = 0;
            for (int h = 0; h < HIDDEN; h++) {
                double xv = in.x[t * HIDDEN + h];
                g += xv * in.w1[(e * HIDDEN + h) * FFN + f];
                u += xv * in.w3[(e * HIDDEN + h) * FFN + f];
            }
            act[f] = g / (1 + Math.exp(-g)) * u;
        }
        double[] out = new double[HIDDEN];
        for (int h = 0; h < HIDDEN; h++) {
            double s = 0;
            for (int f = 0; f < FFN; f++) s += act[f] * in.w2[(e * FFN + f) * HIDDEN + h];
            out[h] = s;
        }
        return out;
    }
}
