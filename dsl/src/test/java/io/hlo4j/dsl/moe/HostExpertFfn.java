package io.hlo4j.dsl.moe;

/**
 * A plain-Java, per-token dense evaluation of the expert FFN and the combine (moe-semantics.md, Expert FFN), in
 * f64, for checking fixtures from a second side. Weights are row-major flat arrays.
 */
final class HostExpertFfn {
    private HostExpertFfn() {}

    static double activation(HiddenAct act, double a) {
        return switch (act) {
            case SILU -> a / (1.0 + Math.exp(-a));
            case GELU -> 0.5 * a * (1.0 + erf(a / Math.sqrt(2.0)));
            case GELU_PYTORCH_TANH -> 0.5 * a * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * (a + 0.044715 * a * a * a)));
            case RELU -> Math.max(a, 0.0);
        };
    }

    /** erf to ~1e-14: Maclaurin series below 2.5, Lentz continued fraction for erfc above. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 2.5) {
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            r = 2.0 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) evaluated bottom-up
            double f = ax;
            for (int n = 80; n >= 1; n--) f = ax + (n / 2.0) / f;
            r = 1.0 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    /** out[t] = sum over slots of w[t][j] * FFN_{e[t][j]}(x[t]); slots with a negative id are skipped. */
    static double[][] combine(double[][] x, long[][] experts, double[][] weights, HiddenAct act, int e, int h, int m,
            double[] wi, double[] wu, double[] wd, double[] wiB, double[] wuB, double[] wdB) {
        double[][] out = new double[x.length][h];
        double[] a = new double[m], b = new double[m];
        for (int t = 0; t < x.length; t++) {
            for (int j = 0; j < experts[t].length; j++) {
                int ex = (int) experts[t][j];
                if (ex < 0) continue;
                for (int c = 0; c < m; c++) {
                    a[c] = wiB == null ? 0 : wiB[ex * m + c];
                    b[c] = wuB == null ? 0 : wuB[ex * m + c];
                    for (int i = 0; i < h; i++) {
                        a[c] += x[t][i] * wi[(ex * h + i) * m + c];
                        b[c] += x[t][i] * wu[(ex * h + i) * m + c];
                    }
                    a[c] = activation(act, a[c]) * b[c];
                }
                for (int o = 0; o < h; o++) {
                    double y = wdB == null ? 0 : wdB[ex * h + o];
                    for (int c = 0; c < m; c++) y += a[c] * wd[(ex * m + c) * h + o];
                    out[t][o] += weights[t][j] * y;
                }
            }
        }
        return out;
    }
}
