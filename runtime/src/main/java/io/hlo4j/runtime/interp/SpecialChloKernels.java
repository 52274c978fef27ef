package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * chlo.zeta (Hurwitz zeta, zeta(x, q) = sum_k (q + k)^-x) and chlo.polygamma, computed as the CHLO decomposition
 * computes them: f64 in double; f32 (and, upcast, f16/bf16) rounding to f32 after every step. Zeta sums 10 terms
 * directly and adds a 12-term Euler-Maclaurin tail evaluated by Horner's rule; polygamma(n, x) is
 * (-1)^(n+1) exp(lgamma(n+1)) zeta(n+1, x) for n >= 1 and digamma(x) for n = 0. Like XLA, the tail's Horner
 * factors are (x - 22 + 2i)(x - 21 + 2i) rather than the rising factorial of x, which limits the result to about
 * 1e-7 relative accuracy even in f64; the kernel reproduces XLA's numbers, not the exact function.
 * Special values: zeta is NaN for x < 1, +inf at x = 1, NaN for q <= 0 with x not an integer, and at the poles
 * (q a non-positive integer) +inf for even integer x else NaN; polygamma is NaN for n negative or not an integer.
 */
final class SpecialChloKernels {
    private SpecialChloKernels() {}

    /** 1/coefficient of the Euler-Maclaurin tail: (2k)! / B_2k, largest k first. */
    private static final double[] ZETA_COEFFS = {
            -7.1661652561756670113e18, 1.8152105401943546773e17, -4.5979787224074726105e15, 1.1646782814350067249e14,
            -2.950130727918164224e12, 7.47242496e10, -1.8924375803183791606e9, 47900160.0, -1209600.0, 30240.0, -720.0, 12.0};

    static void register() {
        Kernels.put("chlo.zeta", (op, args, f) -> binary(op, args, false));
        Kernels.put("chlo.polygamma", (op, args, f) -> binary(op, args, true));
        Kernels.put("chlo._asin_acos_kernel", (op, args, f) -> List.of(ElementwiseKernels.unary(op, (Tensor) args.get(0), null, null,
                SpecialChloKernels::asinAcosKernel)));
    }

    private static final double SAFE_MAX = Math.sqrt(Double.MAX_VALUE) / 8, SAFE_MIN = Math.sqrt(Double.MIN_NORMAL) * 4;

    /**
     * chlo._asin_acos_kernel(x + iy) = sqrt(a^2 - x^2) + i log(a + sqrt(a^2 - 1)) with x, y taken as |x|, |y| and
     * a = (hypot(x + 1, y) + hypot(x - 1, y)) / 2 (ChloOps.td): the shared part of complex asin, acos, asinh and
     * acosh, e.g. asin(z) = atan2(x, w.re) + i sign(y) w.im. Evaluated in double by the regions of CHLO's
     * decomposition (Hull et al.'s, reduced), which keep a - x and a - 1 free of cancellation near the real axis:
     * with r = hypot(x + 1, y), s = hypot(x - 1, y), safe_max = sqrt(max) / 8, safe_min = 4 sqrt(min normal),
     * <ul>
     * <li>real: y if max(x, y) >= safe_max; sqrt((a + x)/2 (y^2 / (r + x + 1) + s - (x - 1))) if x <= 1;
     * y sqrt((a + x)/2 (1 / (r + x + 1) + 1 / (s + x - 1))) otherwise;
     * <li>imaginary: log(2 y) + log1p((x/y)^2) / 2 if y >= t (t = safe_max * 1e-6, or safe_max * 1e2 when
     * x >= safe_max * 1e12); log(2 x) if y < t and x >= safe_max; y / sqrt((a - 1)(a + 1)) for y < safe_min and x < 1,
     * with a - 1 = (1 - x^2) / (a + 1); else log1p(a - 1 + sqrt((a - 1)(a + 1))) with a - 1 computed as
     * y^2 / (2 (r + x + 1)) + (s + x - 1) / 2 for x >= 1, y^2 / (2 (r + x + 1)) + y^2 / (2 (s - x + 1)) for
     * a <= 1.5, else directly.
     * </ul>
     */
    static void asinAcosKernel(double re, double im, double[] out) {
        double x = Math.abs(re), y = Math.abs(im);
        double xp1 = x + 1, xm1 = x - 1;
        double r = Math.hypot(xp1, y), s = Math.hypot(xm1, y);
        double a = 0.5 * (r + s), halfApx = 0.5 * (a + x), yy = y * y;
        double rpxp1 = r + xp1, smxm1 = s - xm1, spxm1 = s + xm1;
        if (Math.max(x, y) >= SAFE_MAX) out[0] = y;
        else if (x <= 1) out[0] = Math.sqrt(halfApx * (yy / rpxp1 + smxm1));
        else out[0] = y * Math.sqrt(halfApx / rpxp1 + halfApx / spxm1);

        double safeMaxOpt = x < SAFE_MAX * 1e12 ? SAFE_MAX * 1e-6 : SAFE_MAX * 1e2;
        boolean yLarge = y >= safeMaxOpt;
        double mx = yLarge ? y : x;
        if (mx >= (yLarge ? safeMaxOpt : SAFE_MAX)) {
            double xoy = yLarge && y != Double.POSITIVE_INFINITY ? x / y : 0;
            out[1] = Math.log(2) + Math.log(mx) + 0.5 * Math.log1p(xoy * xoy);
            return;
        }
        boolean tiny = y < SAFE_MIN && x < 1;
        double am1 = tiny ? -(xp1 * xm1) / (a + 1)
                : x >= 1 ? 0.5 * yy / rpxp1 + 0.5 * spxm1
                : a <= 1.5 ? 0.5 * yy / rpxp1 + 0.5 * yy / smxm1
                : a - 1;
        double sq = Math.sqrt(am1 * (a + 1));
        out[1] = tiny ? y / sq : Math.log1p(am1 + sq);
    }

    private static List<RtValue> binary(Operation op, List<RtValue> args, boolean polygamma) {
        Tensor a = (Tensor) args.get(0), b = (Tensor) args.get(1);
        TensorType rt = (TensorType) op.result().type();
        if (!(rt.elementType() instanceof FloatType ft)) throw ElementwiseKernels.unsupportedType(op, rt.elementType());
        if (a.size != b.size) throw InterpreterException.at(op, "operand shapes differ: " + a.type + " vs " + b.type);
        boolean f64 = ft.kind() == FloatKind.F64;
        Tensor r = Tensor.zeros(rt);
        for (long i0 = 0; i0 < r.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, r.size); i < iEnd; i++) {
            double v = polygamma ? polygamma(a.re[i], b.re[i], f64) : zeta(a.re[i], b.re[i], f64);
            r.re[i] = Elem.round(ft, v);
        }
        return List.of(r);
    }

    private static DoubleUnaryOperator rounding(boolean f64) { return f64 ? v -> v : v -> (float) v; }

    /** Hurwitz zeta(x, q) in f64, or in f32 steps. */
    static double zeta(double x, double q, boolean f64) {
        DoubleUnaryOperator rnd = rounding(f64);
        x = rnd.applyAsDouble(x);
        q = rnd.applyAsDouble(q);
        double negX = -x;
        double a = q;
        double initialSum = rnd.applyAsDouble(Math.pow(q, negX));
        for (int i = 0; i < 9; i++) {
            a = rnd.applyAsDouble(a + 1);
            initialSum = rnd.applyAsDouble(initialSum + rnd.applyAsDouble(Math.pow(a, negX)));
        }
        a = rnd.applyAsDouble(a + 1);
        double negPower = rnd.applyAsDouble(Math.pow(a, negX));
        double s = rnd.applyAsDouble(initialSum + rnd.applyAsDouble(rnd.applyAsDouble(negPower * a) / rnd.applyAsDouble(x - 1)));
        double aInvSq = rnd.applyAsDouble(1 / rnd.applyAsDouble(a * a));
        double horner = 0;
        for (int i = 0; i < 11; i++) {
            double factor = rnd.applyAsDouble(rnd.applyAsDouble(x - (22 - 2 * i)) * rnd.applyAsDouble(x - (21 - 2 * i)));
            double inv = rnd.applyAsDouble(1 / ZETA_COEFFS[i]);
            horner = rnd.applyAsDouble(factor * rnd.applyAsDouble(aInvSq * rnd.applyAsDouble(horner + inv)));
        }
        double last = rnd.applyAsDouble(1 / ZETA_COEFFS[11]);
        double tail = rnd.applyAsDouble(0.5 + rnd.applyAsDouble(rnd.applyAsDouble(x / a) * rnd.applyAsDouble(last + horner)));
        s = rnd.applyAsDouble(s + rnd.applyAsDouble(negPower * tail));
        // The decomposition keeps the direct sum when the tail is negligible against the smallest positive value.
        double tiny = f64 ? Double.MIN_VALUE : Float.MIN_VALUE;
        double out = Math.abs(negPower) < rnd.applyAsDouble(Math.abs(initialSum) * tiny) ? initialSum : s;
        if (x < 1) out = Double.NaN;
        boolean qLeZero = q <= 0;
        if (qLeZero && x != Math.floor(x)) out = Double.NaN;
        if (qLeZero && q == Math.floor(q)) out = x == Math.floor(x) && x % 2 == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        if (x == 1) out = Double.POSITIVE_INFINITY;
        return out;
    }

    /** polygamma(n, x) in f64, or in f32 steps. */
    static double polygamma(double n, double x, boolean f64) {
        DoubleUnaryOperator rnd = rounding(f64);
        n = rnd.applyAsDouble(n);
        x = rnd.applyAsDouble(x);
        if (Double.isNaN(n) || n != Math.floor(n) || n < 0) return Double.NaN;
        if (n == 0) return rnd.applyAsDouble(SpecialFunctions.digamma(x));
        double sign = rnd.applyAsDouble(2 * (n % 2) - 1);
        double np1 = rnd.applyAsDouble(n + 1);
        double fact = rnd.applyAsDouble(Math.exp(rnd.applyAsDouble(SpecialFunctions.lgamma(np1))));
        return rnd.applyAsDouble(rnd.applyAsDouble(sign * fact) * zeta(np1, x, f64));
    }
}
