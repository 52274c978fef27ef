package io.hlo4j.runtime.interp;

/** Inverse trigonometric and hyperbolic functions of a complex argument (principal branches). */
final class ComplexInverse {
    private ComplexInverse() {}

    /** asinh(z) = -i asin(iz) through the accurate asin; log(z + sqrt(z^2 + 1)) for huge or non-finite z. */
    static void asinh(double r, double i, double[] o) {
        if (Double.isNaN(r) || Double.isNaN(i) || Double.isInfinite(r) || Double.isInfinite(i)
                || Math.abs(r) > 1e150 || Math.abs(i) > 1e150) {
            asinhByLog(r, i, o);
            return;
        }
        asin(-i, r, o); // asin(iz) with iz = (-i, r)
        double re = o[1], im = -o[0]; // asinh(z) = -i * asin(iz)
        o[0] = re;
        o[1] = im;
    }

    /** log(z + sqrt(z^2 + 1)) on the half plane re >= 0, mirrored. */
    private static void asinhByLog(double r, double i, double[] o) {
        boolean neg = r < 0 || (r == 0 && 1 / r < 0);
        double x = neg ? -r : r, y = neg ? -i : i;
        double[] t = new double[2];
        double ar = x * x - y * y + 1, ai = 2 * x * y;
        Complex.sqrt(ar, ai, t);
        Complex.log(x + t[0], y + t[1], o);
        if (neg) { o[0] = -o[0]; o[1] = -o[1]; }
    }

    /**
     * asin(z) by Hull, Fairgrieve and Tang's formulas (real part from asin(B) or an atan form near |B| = 1,
     * imaginary part from log1p of A - 1 computed without cancellation), accurate across the plane.
     */
    static void asin(double r, double i, double[] o) {
        if (Double.isNaN(r) || Double.isNaN(i) || Double.isInfinite(r) || Double.isInfinite(i)
                || Math.abs(r) > 1e150 || Math.abs(i) > 1e150) {
            asinh(-i, r, o); // asin(z) = -i asinh(iz)
            double re = o[1], im = -o[0];
            o[0] = re;
            o[1] = im;
            return;
        }
        double x = Math.abs(r), y = Math.abs(i);
        double rr = Math.hypot(x + 1, y), ss = Math.hypot(x - 1, y);
        double a = (rr + ss) / 2, b = x / a;
        double y2 = y * y;
        double am1 = x < 1 ? 0.5 * (y2 / (rr + (x + 1)) + y2 / (ss + (1 - x))) : 0.5 * (y2 / (rr + (x + 1)) + (ss + (x - 1)));
        double im = Math.log1p(am1 + Math.sqrt(am1 * (a + 1)));
        double re;
        if (b <= 0.6417) re = Math.asin(b);
        else if (x <= 1) re = Math.atan(x / Math.sqrt(0.5 * (a + x) * (y2 / (rr + (x + 1)) + (ss + (1 - x)))));
        else re = Math.atan(x / (y * Math.sqrt(0.5 * ((a + x) / (rr + (x + 1)) + (a + x) / (ss + (x - 1))))));
        o[0] = Math.copySign(re, r);
        o[1] = Math.copySign(im, i);
    }

    static void acos(double r, double i, double[] o) {
        asin(r, i, o);
        o[0] = Math.PI / 2 - o[0];
        o[1] = -o[1];
    }

    /** atanh(z) = (log1p(z) - log1p(-z)) / 2. */
    static void atanh(double r, double i, double[] o) {
        double[] a = new double[2], b = new double[2];
        Complex.log1p(r, i, a);
        Complex.log1p(-r, -i, b);
        o[0] = (a[0] - b[0]) / 2;
        o[1] = (a[1] - b[1]) / 2;
    }

    static void atan(double r, double i, double[] o) {
        atanh(-i, r, o); // atan(z) = -i atanh(iz)
        double re = o[1], im = -o[0];
        o[0] = re;
        o[1] = im;
    }

    /** acosh(z) = log(z + sqrt(z + 1) sqrt(z - 1)). */
    static void acosh(double r, double i, double[] o) {
        double[] p = new double[2], q = new double[2];
        Complex.sqrt(r + 1, i, p);
        Complex.sqrt(r - 1, i, q);
        double sr = p[0] * q[0] - p[1] * q[1], si = p[0] * q[1] + p[1] * q[0];
        Complex.log(r + sr, i + si, o);
    }
}
