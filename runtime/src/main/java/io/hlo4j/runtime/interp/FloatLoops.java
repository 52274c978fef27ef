package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * Element-wise float loops for large tensors: chunks on every core, and for the common binary ops on f32/f64 a
 * loop of its own (the shared loop calls one of many lambdas per element, which the JIT cannot inline). Each
 * element gets exactly the expression the op's lambda computes, rounded once to the type.
 */
final class FloatLoops {
    private FloatLoops() {}

    static final int PARALLEL_MIN = 1 << 16, CHUNK = 1 << 14;

    interface Range { void run(int from, int to); }

    /** Runs {@code body} over [0, n) in chunks, in parallel when n is large. */
    static void forRange(int n, Range body) { forRange(n, CHUNK, body); }

    /**
     * {@link #forRange(int, Range)} with {@code chunk} items per task (parallel from 4 chunks), polling the op's stop
     * between chunks ({@link StopCheck#range}).
     */
    static void forRange(int n, int chunk, Range body) { StopCheck.range(n, chunk, Math.max(1, CHUNK / chunk), body); }

    static void unary(String name, FloatType ft, double[] in, double[] out, DoubleUnaryOperator fd) {
        forRange(out.length, unaryRange(name, ft, in, out, fd));
    }

    /** The loop of {@link #unary} over a range; {@code in} may be {@code out} (each element is read before it is written). */
    static Range unaryRange(String name, FloatType ft, double[] in, double[] out, DoubleUnaryOperator fd) {
        // On f32 and f64, negate and abs change the sign bit only (IEEE 754's sign-bit operations, numpy's): the value is
        // one of the type already, and rounding it (the f32 cast) would quiet a signalling NaN. Not on every format: a
        // sign flip is no negation where there is no -0 (the FNUZ f8s) or no sign at all (f8E8M0FNU), so they round.
        boolean ieeeSign = ft.kind() == FloatKind.F32 || ft.kind() == FloatKind.F64;
        if (ieeeSign && name.equals("stablehlo.negate")) {
            return (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = Double.longBitsToDouble(Double.doubleToRawLongBits(in[i]) ^ Long.MIN_VALUE); };
        } else if (ieeeSign && name.equals("stablehlo.abs")) {
            return (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = Double.longBitsToDouble(Double.doubleToRawLongBits(in[i]) & Long.MAX_VALUE); };
        } else if (ft.kind() == FloatKind.F32 && name.equals("stablehlo.exponential") && DotKernels.VECTOR) {
            return (lo, hi) -> VectorExp.expF32(in, out, lo, hi);
        } else if (ft.kind() == FloatKind.F32 && name.equals("stablehlo.logistic") && DotKernels.VECTOR) {
            return (lo, hi) -> VectorExp.logisticF32(in, out, lo, hi);
        } else if (ft.kind() == FloatKind.F32 && name.equals("stablehlo.exponential")) {
            return (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) Math.exp(in[i]); };
        } else if (ft.kind() == FloatKind.F32 && name.equals("stablehlo.logistic")) {
            return (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) (1.0 / (1.0 + Math.exp(-in[i]))); };
        } else if (ft.kind() == FloatKind.F32) {
            return (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) fd.applyAsDouble(in[i]); };
        } else {
            return (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = Elem.round(ft, fd.applyAsDouble(in[i])); };
        }
    }

    /** {@code out = op(x, y)} for op {@code name} (full name), whose per-element function is {@code fd}. */
    static void binary(String name, FloatType ft, double[] x, double[] y, double[] out, DoubleBinaryOperator fd) {
        forRange(out.length, binaryRange(name, ft, x, y, out, fd));
    }

    /** The loop of {@link #binary} over a range; {@code x} or {@code y} may be {@code out}. */
    static Range binaryRange(String name, FloatType ft, double[] x, double[] y, double[] out, DoubleBinaryOperator fd) {
        FloatKind k = ft.kind();
        if (k == FloatKind.F32) {
            // f32 values are exact floats; for +, -, *, / the float operation is exactly the f32 rounding of the double
            // one (53 >= 2 * 24 + 2 bits: the double rounding is innocuous), in twice as many vector lanes
            return switch (name) {
                case "stablehlo.add" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) x[i] + (float) y[i]; };
                case "stablehlo.subtract" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) x[i] - (float) y[i]; };
                case "stablehlo.multiply" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) x[i] * (float) y[i]; };
                case "stablehlo.divide" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) x[i] / (float) y[i]; };
                case "stablehlo.maximum" -> (lo, hi) -> MinMaxLoops.binary(true, true, x, y, out, lo, hi);
                case "stablehlo.minimum" -> (lo, hi) -> MinMaxLoops.binary(false, true, x, y, out, lo, hi);
                default -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) fd.applyAsDouble(x[i], y[i]); };
            };
        } else if (k == FloatKind.F64) {
            return switch (name) {
                case "stablehlo.add" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = x[i] + y[i]; };
                case "stablehlo.subtract" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = x[i] - y[i]; };
                case "stablehlo.multiply" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = x[i] * y[i]; };
                case "stablehlo.divide" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = x[i] / y[i]; };
                case "stablehlo.maximum" -> (lo, hi) -> MinMaxLoops.binary(true, false, x, y, out, lo, hi);
                case "stablehlo.minimum" -> (lo, hi) -> MinMaxLoops.binary(false, false, x, y, out, lo, hi);
                default -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = fd.applyAsDouble(x[i], y[i]); };
            };
        }
        return (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = Elem.round(ft, fd.applyAsDouble(x[i], y[i])); };
    }
}
