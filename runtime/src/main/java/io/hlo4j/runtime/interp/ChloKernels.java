package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;

import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * CHLO element-wise ops run natively (the reference first decomposes them into StableHLO): trigonometric and
 * hyperbolic functions and their inverses (real and complex), erf/erfc/erf_inv, lgamma, digamma, bessel_i1e,
 * next_after. Computed in double, rounded once to the element type.
 */
final class ChloKernels {
    private ChloKernels() {}

    static void register() {
        unary("tan", Math::tan, Complex::tan);
        unaryF32("sinh", ChloKernels::sinhF32, Math::sinh);
        unaryF32("cosh", ChloKernels::coshF32, Math::cosh);
        complexOnly("sinh", (r, i, o) -> { o[0] = Math.sinh(r) * Math.cos(i); o[1] = Math.cosh(r) * Math.sin(i); });
        complexOnly("cosh", (r, i, o) -> { o[0] = Math.cosh(r) * Math.cos(i); o[1] = Math.sinh(r) * Math.sin(i); });
        unary("asin", Math::asin, ComplexInverse::asin);
        unary("acos", Math::acos, ComplexInverse::acos);
        unary("atan", Math::atan, ComplexInverse::atan);
        unary("asinh", SpecialFunctions::asinh, ComplexInverse::asinh);
        unary("acosh", SpecialFunctions::acosh, ComplexInverse::acosh);
        unary("atanh", SpecialFunctions::atanh, ComplexInverse::atanh);
        unary("erf", SpecialFunctions::erf, null);
        unary("erfc", SpecialFunctions::erfc, null);
        Kernels.put("chlo.erf_inv", (op, args, f) -> {
            Tensor x = (Tensor) args.get(0);
            boolean isF64 = x.elementType instanceof FloatType ft && ft.kind() == FloatKind.F64;
            return List.of(ElementwiseKernels.unary(op, x, isF64 ? SpecialFunctions::erfInvF64 : SpecialFunctions::erfInv, null, null));
        });
        unary("lgamma", SpecialFunctions::lgamma, null);
        unary("digamma", SpecialFunctions::digamma, null);
        unary("bessel_i1e", SpecialFunctions::besselI1e, null);
        Kernels.put("chlo.next_after", ChloKernels::nextAfter);
    }

    private static final java.util.Map<String, ElementwiseKernels.ComplexUnary> COMPLEX = new java.util.HashMap<>();

    /** Registers the complex form of an op whose real form {@link #unaryF32} registers. */
    private static void complexOnly(String name, ElementwiseKernels.ComplexUnary fc) { COMPLEX.put(name, fc); }

    /**
     * An op whose f32 form follows XLA's f32 expansion (rounding after every step, as the CHLO decomposition
     * computes it); other float types use the double-precision function.
     */
    private static void unaryF32(String name, DoubleUnaryOperator f32, DoubleUnaryOperator other) {
        Kernels.put("chlo." + name, (op, args, f) -> {
            Tensor x = (Tensor) args.get(0);
            boolean isF32 = x.elementType instanceof FloatType ft && ft.kind() == FloatKind.F32;
            return List.of(ElementwiseKernels.unary(op, x, isF32 ? f32 : other, null, COMPLEX.get(name)));
        });
    }

    private static double f(double v) { return (float) v; }

    private static final double LOG_HALF = f(Math.log(0.5));

    /** cosh(x) = exp(x + log 1/2) + exp(-x + log 1/2), in f32 steps. */
    static double coshF32(double x) {
        return f(f(Math.exp(f(x + LOG_HALF))) + f(Math.exp(f(-x + LOG_HALF))));
    }

    /** sinh: the same form for |x| >= 1; near zero (e + e/(e+1)) / 2 with e = expm1(x), in f32 steps. */
    static double sinhF32(double x) {
        if (Math.abs(x) >= 1) return f(f(Math.exp(f(x + LOG_HALF))) - f(Math.exp(f(-x + LOG_HALF))));
        double e = f(Math.expm1(x));
        return f(f(e + f(e / f(e + 1))) * 0.5);
    }

    private static void unary(String name, DoubleUnaryOperator fd, ElementwiseKernels.ComplexUnary fc) {
        Kernels.put("chlo." + name, (op, args, f) -> List.of(ElementwiseKernels.unary(op, (Tensor) args.get(0), fd, null, fc)));
    }

    /** The next representable value of the element type after x in the direction of y. */
    private static List<RtValue> nextAfter(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0), y = (Tensor) args.get(1);
        if (!(x.elementType instanceof FloatType ft)) throw ElementwiseKernels.unsupportedType(op, x.elementType);
        FloatKind k = ft.kind();
        Tensor r = x.blank();
        long sign = 1L << (k.bitWidth() - 1);
        for (long i0 = 0; i0 < x.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, x.size); i < iEnd; i++) {
            double a = x.re[i], b = y.re[i];
            if (Double.isNaN(a) || Double.isNaN(b)) { r.re[i] = Double.NaN; continue; }
            if (a == b) { r.re[i] = b; continue; }
            long bits = Floats.bits(k, a);
            if (a == 0) {
                bits = (b < 0 ? sign : 0) | 1; // smallest subnormal towards y
            } else {
                boolean up = (b > a) == (a > 0);
                bits += up ? 1 : -1;
            }
            r.re[i] = Floats.decode(k, bits);
        }
        return List.of(r);
    }
}
