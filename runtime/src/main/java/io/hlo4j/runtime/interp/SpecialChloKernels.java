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

    /**
     * chlo._asin_acos_kernel(x + iy) = sqrt(a^2 - x^2) + i log(a + sqrt(a^2 - 1)) with
     * a = (hypot(x + 1, y) + hypot(x - 1, y)) / 2 (ChloOps.td): the shared part of complex asin, acos, asinh and
     * acosh, e.g. asin(z) = atan2(x, w.re) + i sign(y) w.im. Computed in double, factored to avoid overflow and
     * cancellation near a = 1.
     */
    static void asinAcosKernel(double x, double y, double[] out) {
        double ax = Math.abs(x);
        double a = 0.5 * (Math.hypot(ax + 1, y) + Math.hypot(ax - 1, y));
        out[0] = Math.sqrt(a - ax) * Math.sqrt(a + ax);
        double am1 = a - 1;
        out[1] = a > 1e150 ? Math.log(2) + Math.log(a) : Math.log1p(am1 + Math.sqrt(am1) * Math.sqrt(a + 1));
    }

    private static List<RtValue> binary(Operation op, List<RtValue> args, boolean polygamma) {
        Tensor a = (Tensor) args.get(0), b = (Tensor) args.get(1);
        TensorType rt = (TensorType) op.result().type();
        if (!(rt.elementType() instanceof FloatType ft)) throw ElementwiseKernels.unsupportedType(op, rt.elementType());
        if (a.size != b.size) throw InterpreterException.at(op, "operand shapes differ: " + a.type + " vs " + b.type);
        boolean f64 = ft.kind() == FloatKind.F64;
        Tensor r = Tensor.zeros(rt);
        for (int i = 0; i < r.size; i++) {
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
