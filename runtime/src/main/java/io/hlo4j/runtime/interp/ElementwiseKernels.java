package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * Element-wise math and logic. Floats are computed in double and rounded to the result type after every op
 * (the spec's and the reference interpreter's rule); integers wrap at their width, with signed or unsigned
 * division, remainder, comparison and shifts by type; XLA's results for division by zero.
 */
final class ElementwiseKernels {
    private ElementwiseKernels() {}

    /** An integer op on values normalised to type {@code t}; the caller wraps the result. */
    interface IntUnary { long apply(long v, ElementType t); }
    interface IntBinary { long apply(long a, long b, ElementType t); }
    /** A complex op: writes the result into out[0] (re), out[1] (im). */
    interface ComplexUnary { void apply(double re, double im, double[] out); }
    interface ComplexBinary { void apply(double ar, double ai, double br, double bi, double[] out); }

    static void register() {
        unary("abs", Math::abs, (v, t) -> Elem.of(t) == Elem.UNSIGNED ? v : Math.abs(v), null);
        unary("negate", v -> -v, (v, t) -> -v, (r, i, o) -> { o[0] = -r; o[1] = -i; });
        unary("sign", ElementwiseKernels::signF, (v, t) -> Elem.of(t) == Elem.UNSIGNED ? (v != 0 ? 1 : 0) : Long.signum(v),
                (r, i, o) -> {
                    double m = Math.hypot(r, i);
                    if (Double.isNaN(r) || Double.isNaN(i)) { o[0] = Double.NaN; o[1] = Double.NaN; }
                    else if (m == 0) { o[0] = 0; o[1] = 0; }
                    else { o[0] = r / m; o[1] = i / m; }
                });
        unary("not", null, (v, t) -> ~v, null);
        unary("exponential", Math::exp, null, Complex::exp);
        unary("exponential_minus_one", Math::expm1, null, Complex::expm1);
        unary("log", Math::log, null, Complex::log);
        unary("log_plus_one", Math::log1p, null, Complex::log1p);
        unary("logistic", v -> 1.0 / (1.0 + Math.exp(-v)), null, Complex::logistic);
        unary("sqrt", Math::sqrt, null, Complex::sqrt);
        unary("rsqrt", v -> 1.0 / Math.sqrt(v), null, Complex::rsqrt);
        unary("cbrt", Math::cbrt, null, Complex::cbrt);
        unary("ceil", Math::ceil, null, null);
        unary("floor", Math::floor, null, null);
        unary("round_nearest_even", Math::rint, null, null);
        unary("round_nearest_afz", ElementwiseKernels::roundAfz, null, null);
        unary("sine", Math::sin, null, Complex::sin);
        unary("cosine", Math::cos, null, Complex::cos);
        unary("tan", Math::tan, null, Complex::tan);
        unary("tanh", Math::tanh, null, Complex::tanh);
        unary("popcnt", null, (v, t) -> Long.bitCount(v & mask(t)), null);
        unary("count_leading_zeros", null, (v, t) -> Long.numberOfLeadingZeros(v & mask(t)) - (64 - Elem.width(t)), null);

        binary("add", Double::sum, (a, b, t) -> Elem.of(t) == Elem.BOOL ? a | b : a + b, // i1: logical or
                (ar, ai, br, bi, o) -> { o[0] = ar + br; o[1] = ai + bi; });
        binary("subtract", (a, b) -> a - b, (a, b, t) -> a - b, (ar, ai, br, bi, o) -> { o[0] = ar - br; o[1] = ai - bi; });
        binary("multiply", (a, b) -> a * b, (a, b, t) -> a * b, Complex::mul);
        binary("divide", (a, b) -> a / b, ElementwiseKernels::divInt, Complex::div);
        binary("remainder", (a, b) -> a % b, ElementwiseKernels::remInt, null);
        binary("maximum", ElementwiseKernels::maxF, (a, b, t) -> cmpInt(a, b, t) >= 0 ? a : b, (ar, ai, br, bi, o) -> {
            boolean first = ar > br || (ar == br && ai >= bi); // complex: lexicographic (real, then imaginary)
            o[0] = first ? ar : br;
            o[1] = first ? ai : bi;
        });
        binary("minimum", ElementwiseKernels::minF, (a, b, t) -> cmpInt(a, b, t) <= 0 ? a : b, (ar, ai, br, bi, o) -> {
            boolean first = ar < br || (ar == br && ai <= bi);
            o[0] = first ? ar : br;
            o[1] = first ? ai : bi;
        });
        binary("power", Math::pow, ElementwiseKernels::powInt, Complex::pow);
        binary("atan2", Math::atan2, null, Complex::atan2);
        binary("and", null, (a, b, t) -> a & b, null);
        binary("or", null, (a, b, t) -> a | b, null);
        binary("xor", null, (a, b, t) -> a ^ b, null);
        binary("shift_left", null, (a, b, t) -> Long.compareUnsigned(b & mask(t), Elem.width(t)) >= 0 ? 0 : a << b, null);
        binary("shift_right_logical", null,
                (a, b, t) -> Long.compareUnsigned(b & mask(t), Elem.width(t)) >= 0 ? 0 : (a & mask(t)) >>> b, null);
        binary("shift_right_arithmetic", null, (a, b, t) -> {
            long s = signExtend(a, Elem.width(t));
            return Long.compareUnsigned(b & mask(t), Elem.width(t)) >= 0 ? (s < 0 ? -1 : 0) : s >> b;
        }, null);

        Kernels.put("chlo.mulhi", (op, args, f) -> List.of(binary(op, (Tensor) args.get(0), (Tensor) args.get(1), null,
                ElementwiseKernels::mulHigh, null)));
        Kernels.put("stablehlo.is_finite", (op, args, f) -> {
            Tensor x = (Tensor) args.get(0);
            Tensor r = Tensor.blank(op.result().type());
            FloatLoops.forRange(x.size, (lo, hi) -> { for (int i = lo; i < hi; i++) r.ints[i] = Double.isFinite(x.re[i]) ? 1 : 0; });
            return List.of(r);
        });
        Kernels.put("stablehlo.real", (op, args, f) -> List.of(part((Tensor) args.get(0), op, true)));
        Kernels.put("stablehlo.imag", (op, args, f) -> List.of(part((Tensor) args.get(0), op, false)));
        Kernels.put("stablehlo.complex", (op, args, f) -> {
            Tensor a = (Tensor) args.get(0), b = (Tensor) args.get(1);
            // the parts are values of the type already: no rounding (which would quiet an f32 signalling NaN)
            return List.of(Tensor.raw((TensorType) op.result().type(), null, a.re.clone(), b.re.clone()));
        });
        Kernels.put("stablehlo.select", ElementwiseKernels::select);
        Kernels.put("stablehlo.clamp", ElementwiseKernels::clamp);
        Kernels.put("stablehlo.compare", Compare::compare);
    }

    static long mask(ElementType t) {
        int w = Elem.width(t);
        return w == 64 ? -1L : (1L << w) - 1;
    }

    static long signExtend(long v, int w) {
        if (w == 64) return v;
        int s = 64 - w;
        return (v << s) >> s;
    }

    static int cmpInt(long a, long b, ElementType t) {
        return Elem.of(t) == Elem.SIGNED ? Long.compare(a, b) : Long.compareUnsigned(a, b);
    }

    static double signF(double v) {
        if (Double.isNaN(v) || v == 0) return v;
        return v > 0 ? 1.0 : -1.0;
    }

    static double roundAfz(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return v;
        double a = Math.abs(v), f = Math.floor(a);
        if (a - f >= 0.5) f += 1;
        return Math.copySign(f, v);
    }

    static double maxF(double a, double b) { return Floats.max(a, b); }

    static double minF(double a, double b) { return Floats.min(a, b); }

    static long divInt(long a, long b, ElementType t) {
        Elem e = Elem.of(t);
        if (b == 0) return e == Elem.BOOL ? a : -1;
        if (e == Elem.UNSIGNED) return Long.divideUnsigned(a, b);
        return a / b; // MIN / -1 wraps to MIN in Java as in XLA
    }

    static long remInt(long a, long b, ElementType t) {
        if (b == 0) return a;
        if (Elem.of(t) == Elem.UNSIGNED) return Long.remainderUnsigned(a, b);
        return a % b;
    }

    /** The high half of the double-width product (chlo.mulhi). */
    static long mulHigh(long a, long b, ElementType t) {
        int w = Elem.width(t);
        boolean unsigned = Elem.of(t) != Elem.SIGNED;
        if (w == 64) return unsigned ? Math.unsignedMultiplyHigh(a, b) : Math.multiplyHigh(a, b);
        long m = mask(t);
        long p = unsigned ? (a & m) * (b & m) : a * b; // exact: both fit in 32 bits
        return unsigned ? p >>> w : p >> w;
    }

    static long powInt(long base, long exp, ElementType t) {
        if (Elem.of(t) == Elem.SIGNED && exp < 0) {
            if (base == 1) return 1;
            if (base == -1) return (exp & 1) == 0 ? 1 : -1;
            return 0;
        }
        long r = 1, b = base;
        long e = exp;
        while (e != 0) {
            if ((e & 1) != 0) r *= b;
            b *= b;
            e >>>= 1;
        }
        return r;
    }

    /** real or imag: a part moves as it is (a value of the result type already; rounding would quiet an f32 signalling NaN). */
    private static Tensor part(Tensor x, Operation op, boolean real) {
        TensorType rt = (TensorType) op.result().type();
        if (x.elem != Elem.COMPLEX) return Tensor.raw(rt, null, real ? x.re.clone() : new double[x.size], null);
        return Tensor.raw(rt, null, (real ? x.re : x.im).clone(), null);
    }

    /** The per-element double functions of the float unary and binary ops, by full op name (for ElementwiseFusion). */
    static final java.util.Map<String, DoubleUnaryOperator> FLOAT_UNARY = new java.util.HashMap<>();
    static final java.util.Map<String, DoubleBinaryOperator> FLOAT_BINARY = new java.util.HashMap<>();

    static void unary(String name, DoubleUnaryOperator fd, IntUnary fi, ComplexUnary fc) {
        if (fd != null) FLOAT_UNARY.put("stablehlo." + name, fd);
        Kernels.put("stablehlo." + name, (op, args, f) -> List.of(unary(op, (Tensor) args.get(0), fd, fi, fc)));
    }

    static Tensor unary(Operation op, Tensor x, DoubleUnaryOperator fd, IntUnary fi, ComplexUnary fc) {
        TensorType rt = (TensorType) op.result().type();
        ElementType et = rt.elementType();
        Tensor r = Tensor.zeros(rt);
        int n = x.size;
        switch (r.elem) {
            case FLOAT -> {
                if (fd == null) throw unsupportedType(op, et);
                FloatType ft = (FloatType) et;
                double[] in = x.re, out = r.re;
                if (x.elem == Elem.COMPLEX) { // abs of a complex number is its modulus
                    FloatLoops.forRange(n, (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = Elem.round(ft, Math.hypot(x.re[i], x.im[i])); });
                } else {
                    FloatLoops.unary(op.name(), ft, in, out, fd);
                }
            }
            case COMPLEX -> {
                if (fc == null) throw unsupportedType(op, et);
                FloatType ft = ((ComplexType) et).elementType();
                if (op.name().equals("stablehlo.negate")) {
                    // each part's sign bit flipped, as XLA's fneg of both parts: the parts (f32 or f64, the only complex
                    // parts) are values of the type already, and rounding them (the f32 cast) would quiet a signalling NaN
                    // (FloatLoops does the same for f32 and f64)
                    FloatLoops.forRange(n, (lo, hi) -> {
                        for (int i = lo; i < hi; i++) {
                            r.re[i] = Double.longBitsToDouble(Double.doubleToRawLongBits(x.re[i]) ^ Long.MIN_VALUE);
                            r.im[i] = Double.longBitsToDouble(Double.doubleToRawLongBits(x.im[i]) ^ Long.MIN_VALUE);
                        }
                    });
                    return r;
                }
                FloatLoops.forRange(n, (lo, hi) -> {
                    double[] o = new double[2];
                    for (int i = lo; i < hi; i++) {
                        fc.apply(x.re[i], x.im[i], o);
                        r.re[i] = Elem.round(ft, o[0]);
                        r.im[i] = Elem.round(ft, o[1]);
                    }
                });
            }
            default -> {
                if (fi == null) throw unsupportedType(op, et);
                long[] in = x.ints, out = r.ints;
                FloatLoops.forRange(n, (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = Elem.wrap(et, fi.apply(in[i], et)); });
            }
        }
        return r;
    }

    static void binary(String name, DoubleBinaryOperator fd, IntBinary fi, ComplexBinary fc) {
        if (fd != null) FLOAT_BINARY.put("stablehlo." + name, fd);
        Kernels.put("stablehlo." + name, (op, args, f) -> List.of(binary(op, (Tensor) args.get(0), (Tensor) args.get(1), fd, fi, fc)));
    }

    static Tensor binary(Operation op, Tensor a, Tensor b, DoubleBinaryOperator fd, IntBinary fi, ComplexBinary fc) {
        TensorType rt = (TensorType) op.result().type();
        ElementType et = rt.elementType();
        if (a.size != b.size) throw InterpreterException.at(op, "operand shapes differ: " + a.type + " vs " + b.type);
        Tensor r = Tensor.zeros(rt);
        int n = a.size;
        switch (r.elem) {
            case FLOAT -> {
                if (fd == null) throw unsupportedType(op, et);
                FloatType ft = (FloatType) et;
                FloatLoops.binary(op.name(), ft, a.re, b.re, r.re, fd);
            }
            case COMPLEX -> {
                if (fc == null) throw unsupportedType(op, et);
                FloatType ft = ((ComplexType) et).elementType();
                FloatLoops.forRange(n, (lo, hi) -> {
                    double[] o = new double[2];
                    for (int i = lo; i < hi; i++) {
                        fc.apply(a.re[i], a.im[i], b.re[i], b.im[i], o);
                        r.re[i] = Elem.round(ft, o[0]);
                        r.im[i] = Elem.round(ft, o[1]);
                    }
                });
            }
            default -> {
                if (fi == null) throw unsupportedType(op, et);
                long[] x = a.ints, y = b.ints, out = r.ints;
                FloatLoops.forRange(n, (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = Elem.wrap(et, fi.apply(x[i], y[i], et)); });
            }
        }
        return r;
    }

    static InterpreterException unsupportedType(Operation op, ElementType t) {
        return new InterpreterException("not supported by the interpreter: " + op.name() + " on " + t, op.location());
    }

    private static List<RtValue> select(Operation op, List<RtValue> args, Frame f) {
        Tensor p = (Tensor) args.get(0), a = (Tensor) args.get(1), b = (Tensor) args.get(2);
        Tensor r = a.blank();
        boolean scalar = p.size == 1 && a.size != 1 || p.rank() == 0;
        FloatLoops.forRange(r.size, (lo, hi) -> {
            for (int i = lo; i < hi; i++) r.copyElement(i, p.ints[scalar ? 0 : i] != 0 ? a : b, i);
        });
        return List.of(r);
    }

    private static List<RtValue> clamp(Operation op, List<RtValue> args, Frame f) {
        Tensor lo = (Tensor) args.get(0), x = (Tensor) args.get(1), hi = (Tensor) args.get(2);
        Tensor r = x.blank();
        ElementType et = x.elementType;
        if (x.elem != Elem.FLOAT && !x.elem.isInt()) throw unsupportedType(op, et);
        FloatLoops.forRange(x.size, (from, to) -> { for (int i = from; i < to; i++) {
            int li = lo.rank() == 0 ? 0 : i, hj = hi.rank() == 0 ? 0 : i;
            if (x.elem == Elem.FLOAT) {
                r.re[i] = Floats.min(Floats.max(x.re[i], lo.re[li]), hi.re[hj]);
            } else if (x.elem.isInt()) {
                long v = x.ints[i];
                if (cmpInt(v, lo.ints[li], et) < 0) v = lo.ints[li];
                if (cmpInt(v, hi.ints[hj], et) > 0) v = hi.ints[hj];
                r.ints[i] = v;
            }
        } });
        return List.of(r);
    }
}
