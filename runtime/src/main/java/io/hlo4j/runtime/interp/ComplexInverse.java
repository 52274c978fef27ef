package io.hlo4j.runtime.interp;

/** Inverse trigonometric and hyperbolic functions of a complex argument (principal branches). */
final class ComplexInverse {
    private ComplexInverse() {}

    /** asinh(z) = log(z + sqrt(z^2 + 1)), evaluated on the half plane re >= 0 and mirrored for accuracy. */
    static void asinh(double r, double i, double[] o) {
        boolean neg = r < 0 || (r == 0 && 1 / r < 0);
        double x = neg ? -r : r, y = neg ? -i : i;
        double[] t = new double[2];
        // z^2 + 1
        double ar = x * x - y * y + 1, ai = 2 * x * y;
        Complex.sqrt(ar, ai, t);
        Complex.log(x + t[0], y + t[1], o);
        if (neg) { o[0] = -o[0]; o[1] = -o[1]; }
    }

    static void asin(double r, double i, double[] o) {
        asinh(-i, r, o); // asin(z) = -i asinh(iz)
        double re = o[1], im = -o[0];
        o[0] = re;
        o[1] = im;
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
