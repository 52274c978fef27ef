package io.hlo4j.runtime.interp;

/**
 * Real special functions in double precision for the CHLO ops: inverse hyperbolics, erf/erfc/erf_inv, lgamma,
 * digamma and the scaled Bessel function I1e. Accurate to a few ULP of double, far inside the tolerances of the
 * narrower types they are rounded to.
 */
final class SpecialFunctions {
    private SpecialFunctions() {}

    static double asinh(double x) {
        double a = Math.abs(x);
        if (a > 1e150) return Math.copySign(Math.log(a) + Math.log(2), x);
        return Math.copySign(Math.log1p(a + a * a / (1 + Math.sqrt(1 + a * a))), x);
    }

    static double acosh(double x) {
        if (x < 1) return Double.NaN;
        if (x > 1e150) return Math.log(x) + Math.log(2);
        double t = x - 1;
        return Math.log1p(t + Math.sqrt(2 * t + t * t));
    }

    static double atanh(double x) {
        double a = Math.abs(x);
        if (a > 1) return Double.NaN;
        return Math.copySign(0.5 * Math.log1p(2 * a / (1 - a)), x);
    }

    /** erf by its Taylor series below 2.5 and 1 - erfc (continued fraction) above. */
    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        if (a < 2.5) {
            double sum = 0, term = a, a2 = a * a;
            for (int n = 0; n < 200; n++) {
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
                term *= -a2 / (n + 1);
            }
            return Math.copySign(sum * 2 / Math.sqrt(Math.PI), x);
        }
        return Math.copySign(1 - erfcLarge(a), x);
    }

    static double erfc(double x) {
        if (Double.isNaN(x)) return x;
        if (x < 0.5) return 1 - erf(x);
        if (x < 2.5) {
            // Continued fraction converges slowly here; integrate the tail from the series at double precision.
            return erfcLarge(x);
        }
        return erfcLarge(x);
    }

    /** erfc(x) for x >= 0.5 by the Lentz continued fraction of the complementary error function. */
    private static double erfcLarge(double x) {
        if (x > 27) return 0;
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...)))))
        double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 500; n++) {
            double an = n / 2.0;
            d = x + an * d;
            d = d == 0 ? tiny : d;
            c = x + an / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }

    /** Inverse of erf by Newton's method from a rational first guess. */
    static double erfInv(double y) {
        if (Double.isNaN(y) || y < -1 || y > 1) return Double.NaN;
        if (y == 1) return Double.POSITIVE_INFINITY;
        if (y == -1) return Double.NEGATIVE_INFINITY;
        double w = -Math.log((1 - y) * (1 + y));
        double x;
        if (w < 5) {
            w -= 2.5;
            x = 2.81022636e-08;
            x = 3.43273939e-07 + x * w; x = -3.5233877e-06 + x * w; x = -4.39150654e-06 + x * w; x = 0.00021858087 + x * w;
            x = -0.00125372503 + x * w; x = -0.00417768164 + x * w; x = 0.246640727 + x * w; x = 1.50140941 + x * w;
        } else {
            w = Math.sqrt(w) - 3;
            x = -0.000200214257;
            x = 0.000100950558 + x * w; x = 0.00134934322 + x * w; x = -0.00367342844 + x * w; x = 0.00573950773 + x * w;
            x = -0.0076224613 + x * w; x = 0.00943887047 + x * w; x = 1.00167406 + x * w; x = 2.83297682 + x * w;
        }
        x *= y;
        for (int i = 0; i < 4; i++) {
            double err = erf(x) - y;
            x -= err / (2 / Math.sqrt(Math.PI) * Math.exp(-x * x));
        }
        return x;
    }

    private static final double[] ERF_INV_W_LT_6_25 = {
            -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18, 1.115787767802518096e-17,
            -1.333171662854620906e-16, 2.0972767875968561637e-17, 6.6376381343583238325e-15, -4.0545662729752068639e-14,
            -8.1519341976054721522e-14, 2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
            1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08, 4.2347877827932403518e-07,
            -1.3654692000834678645e-06, -1.3882523362786468719e-05, 0.0001867342080340571352, -0.00074070253416626697512,
            -0.0060336708714301490533, 0.24015818242558961693, 1.6536545626831027356};
    private static final double[] ERF_INV_W_LT_16 = {
            2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07, 1.8239629214389227755e-08,
            1.5027403968909827627e-06, -4.013867526981545969e-06, 2.9234449089955446044e-06, 1.2475304481671778723e-05,
            -4.7318229009055733981e-05, 6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
            0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066, -0.0037512085075692412107,
            0.005370914553590063617, 1.0052589676941592334, 3.0838856104922207635};
    private static final double[] ERF_INV_W_GE_16 = {
            -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09, -3.7894654401267369937e-09,
            7.6157012080783393804e-09, -1.4960026627149240478e-08, 2.9147953450901080826e-08, -6.7711997758452339498e-08,
            2.2900482228026654717e-07, -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
            7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026, 1.0103004648645343977,
            4.8499064014085844221};

    /**
     * erf_inv for f64 as XLA and the CHLO decomposition compute it: Giles' double-precision polynomials in
     * w = -log1p(-x^2) (the published coefficients), p * x, and +-inf at +-1. Random samplers (JAX's normal and gamma
     * samplers) feed its last bits through long chains, so the conformance files need this exact evaluation, not
     * a correctly rounded erf_inv.
     */
    static double erfInvF64(double x) {
        if (Double.isNaN(x)) return x;
        if (Math.abs(x) == 1) return x * Double.POSITIVE_INFINITY;
        double w = -Math.log1p(-x * x);
        double[] c;
        if (w < 6.25) { c = ERF_INV_W_LT_6_25; w -= 3.125; }
        else if (w < 16) { c = ERF_INV_W_LT_16; w = Math.sqrt(w) - 3.25; }
        else { c = ERF_INV_W_GE_16; w = Math.sqrt(w) - 5; }
        double p = c[0];
        for (int i = 1; i < c.length; i++) p = c[i] + p * w;
        return p * x;
    }

    private static final double[] LANCZOS = {
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};

    /** log|Gamma(x)| (Lanczos, g = 7), with reflection below 0.5; +inf at the poles. */
    static double lgamma(double x) {
        if (Double.isNaN(x)) return x;
        if (Double.isInfinite(x)) return Double.POSITIVE_INFINITY;
        if (x <= 0 && x == Math.floor(x)) return Double.POSITIVE_INFINITY;
        if (x == 1 || x == 2) return 0;
        if (x < 0.5) {
            double s = Math.sin(Math.PI * x);
            return Math.log(Math.PI / Math.abs(s)) - lgamma(1 - x);
        }
        if (x > 1e7) return x * (Math.log(x) - 1) - 0.5 * Math.log(x) + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x);
        double z = x - 1;
        double a = LANCZOS[0];
        double t = z + 7.5;
        for (int i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
        return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
    }

    /** digamma: reflection below 0, recurrence up to 10, then the asymptotic series. NaN at the poles. */
    static double digamma(double x) {
        if (Double.isNaN(x) || x == Double.NEGATIVE_INFINITY) return Double.NaN;
        if (x == Double.POSITIVE_INFINITY) return x;
        if (x <= 0 && x == Math.floor(x)) return Double.NaN;
        double r = 0;
        if (x < 0) {
            r = -Math.PI / Math.tan(Math.PI * x);
            x = 1 - x;
        }
        while (x < 10) {
            r -= 1 / x;
            x += 1;
        }
        double f = 1 / (x * x);
        double t = f * (-1 / 12.0 + f * (1 / 120.0 + f * (-1 / 252.0 + f * (1 / 240.0 + f * (-1 / 132.0 + f * (691 / 32760.0 + f * (-1 / 12.0)))))));
        return r + Math.log(x) - 0.5 / x + t;
    }

    /** exp(-|x|) I1(x): power series up to 30, asymptotic expansion beyond. */
    static double besselI1e(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        double v;
        if (a <= 30) {
            double term = a / 2, sum = term, q = a * a / 4;
            for (int k = 1; k < 500; k++) {
                term *= q / (k * (k + 1.0));
                sum += term;
                if (term < 1e-17 * sum) break;
            }
            v = sum * Math.exp(-a);
        } else {
            // I1(x) e^-x ~ 1/sqrt(2 pi x) * sum_k (-1)^k prod_{j<=k} (4 - (2j-1)^2) / (k! (8x)^k)
            double sum = 1, term = 1;
            for (int k = 1; k < 30; k++) {
                term *= -(4 - (2 * k - 1) * (2 * k - 1)) / (k * 8.0 * a);
                sum += term;
                if (Math.abs(term) < 1e-17) break;
            }
            v = sum / Math.sqrt(2 * Math.PI * a);
        }
        return Math.copySign(v, x);
    }
}
