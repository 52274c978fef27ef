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
        unary("sinh", Math::sinh, (r, i, o) -> { o[0] = Math.sinh(r) * Math.cos(i); o[1] = Math.cosh(r) * Math.sin(i); });
        unary("cosh", Math::cosh, (r, i, o) -> { o[0] = Math.cosh(r) * Math.cos(i); o[1] = Math.sinh(r) * Math.sin(i); });
        unary("asin", Math::asin, ComplexInverse::asin);
        unary("acos", Math::acos, ComplexInverse::acos);
        unary("atan", Math::atan, ComplexInverse::atan);
        unary("asinh", SpecialFunctions::asinh, ComplexInverse::asinh);
        unary("acosh", SpecialFunctions::acosh, ComplexInverse::acosh);
        unary("atanh", SpecialFunctions::atanh, ComplexInverse::atanh);
        unary("erf", SpecialFunctions::erf, null);
        unary("erfc", SpecialFunctions::erfc, null);
        unary("erf_inv", SpecialFunctions::erfInv, null);
        unary("lgamma", SpecialFunctions::lgamma, null);
        unary("digamma", SpecialFunctions::digamma, null);
        unary("bessel_i1e", SpecialFunctions::besselI1e, null);
        Kernels.put("chlo.next_after", ChloKernels::nextAfter);
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
        for (int i = 0; i < x.size; i++) {
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
