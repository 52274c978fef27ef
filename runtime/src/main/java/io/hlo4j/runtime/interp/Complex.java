package io.hlo4j.runtime.interp;

/** Complex arithmetic in double, results written to out[0] (real) and out[1] (imaginary). */
final class Complex {
    private Complex() {}

    static void mul(double ar, double ai, double br, double bi, double[] o) {
        o[0] = ar * br - ai * bi;
        o[1] = ar * bi + ai * br;
    }

    static void div(double ar, double ai, double br, double bi, double[] o) {
        // Smith's algorithm: avoids overflow in |b|^2.
        if (Math.abs(br) >= Math.abs(bi)) {
            double r = bi / br, d = br + bi * r;
            o[0] = (ar + ai * r) / d;
            o[1] = (ai - ar * r) / d;
        } else {
            double r = br / bi, d = bi + br * r;
            o[0] = (ar * r + ai) / d;
            o[1] = (ai * r - ar) / d;
        }
    }

    static void exp(double r, double i, double[] o) {
        double e = Math.exp(r);
        if (i == 0) { o[0] = e; o[1] = i; return; }
        o[0] = e * Math.cos(i);
        o[1] = e * Math.sin(i);
    }

    static void expm1(double r, double i, double[] o) {
        // exp(z) - 1 = expm1(r)cos(i) - 2 sin^2(i/2)... written to keep precision near zero.
        double s = Math.sin(i / 2);
        o[0] = Math.expm1(r) * Math.cos(i) - 2 * s * s;
        o[1] = Math.exp(r) * Math.sin(i);
    }

    static void log(double r, double i, double[] o) {
        o[0] = Math.log(Math.hypot(r, i));
        o[1] = Math.atan2(i, r);
    }

    static void log1p(double r, double i, double[] o) {
        double x = r + 1;
        // log|1+z| = 0.5 * log1p(2r + r^2 + i^2) keeps precision for small z.
        o[0] = 0.5 * Math.log1p(r * (2 + r) + i * i);
        if (Double.isInfinite(o[0]) || Double.isNaN(o[0])) o[0] = Math.log(Math.hypot(x, i));
        o[1] = Math.atan2(i, x);
    }

    static void sqrt(double r, double i, double[] o) {
        if (r == 0 && i == 0) { o[0] = 0; o[1] = i; return; }
        double m = Math.hypot(r, i);
        double t = Math.sqrt((m + Math.abs(r)) / 2);
        if (r >= 0) { o[0] = t; o[1] = i / (2 * t); }
        else { o[0] = Math.abs(i) / (2 * t); o[1] = Math.copySign(t, i); }
    }

    static void rsqrt(double r, double i, double[] o) {
        sqrt(r, i, o);
        div(1, 0, o[0], o[1], o);
    }

    static void sin(double r, double i, double[] o) {
        o[0] = Math.sin(r) * Math.cosh(i);
        o[1] = Math.cos(r) * Math.sinh(i);
    }

    static void cos(double r, double i, double[] o) {
        o[0] = Math.cos(r) * Math.cosh(i);
        o[1] = -Math.sin(r) * Math.sinh(i);
    }

    static void tan(double r, double i, double[] o) {
        // tan(z) = -i tanh(iz)
        tanh(-i, r, o);
        double re = o[1], im = -o[0];
        o[0] = re;
        o[1] = im;
    }

    static void tanh(double r, double i, double[] o) {
        if (Math.abs(r) > 20) { o[0] = Math.copySign(1, r); o[1] = Math.copySign(0, Math.sin(2 * i)); return; }
        double t = Math.tan(i), b = 1 + t * t, s = Math.sinh(r), rho = Math.sqrt(1 + s * s);
        double d = 1 + b * s * s;
        o[0] = b * rho * s / d;
        o[1] = t / d;
    }

    static void logistic(double r, double i, double[] o) {
        exp(-r, -i, o);
        div(1, 0, 1 + o[0], o[1], o);
    }

    static void pow(double ar, double ai, double br, double bi, double[] o) {
        if (ar == 0 && ai == 0) {
            if (br == 0 && bi == 0) { o[0] = 1; o[1] = 0; } else { o[0] = 0; o[1] = 0; }
            return;
        }
        log(ar, ai, o);
        double lr = o[0], li = o[1];
        mul(lr, li, br, bi, o);
        exp(o[0], o[1], o);
    }

    /** Principal cube root exp(log(z) / 3). */
    static void cbrt(double r, double i, double[] o) {
        if (r == 0 && i == 0) { o[0] = 0; o[1] = i; return; }
        double m = Math.cbrt(Math.hypot(r, i)), a = Math.atan2(i, r) / 3;
        o[0] = m * Math.cos(a);
        o[1] = m * Math.sin(a);
    }

    /** atan2(y, x) = -i log((x + i y) / sqrt(x^2 + y^2)). */
    static void atan2(double yr, double yi, double xr, double xi, double[] o) {
        double nr = xr - yi, ni = xi + yr;
        double sr = xr * xr - xi * xi + yr * yr - yi * yi, si = 2 * xr * xi + 2 * yr * yi;
        double[] d = new double[2];
        sqrt(sr, si, d);
        div(nr, ni, d[0], d[1], o);
        log(o[0], o[1], o);
        double re = o[1], im = -o[0];
        o[0] = re;
        o[1] = im;
    }
}
