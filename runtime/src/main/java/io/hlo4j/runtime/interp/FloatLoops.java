package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.IntStream;

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

    /** {@link #forRange(int, Range)} with {@code chunk} items per task (parallel from 4 chunks). */
    static void forRange(int n, int chunk, Range body) {
        if (n < 4L * chunk) {
            body.run(0, n);
            return;
        }
        int chunks = (n + chunk - 1) / chunk;
        IntStream.range(0, chunks).parallel().forEach(c -> body.run(c * chunk, (int) Math.min(n, (long) (c + 1) * chunk)));
    }

    static void unary(String name, FloatType ft, double[] in, double[] out, DoubleUnaryOperator fd) {
        if (ft.kind() == FloatKind.F32 && name.equals("stablehlo.exponential") && DotKernels.VECTOR) {
            forRange(out.length, (lo, hi) -> VectorExp.expF32(in, out, lo, hi));
        } else if (ft.kind() == FloatKind.F32 && name.equals("stablehlo.logistic") && DotKernels.VECTOR) {
            forRange(out.length, (lo, hi) -> VectorExp.logisticF32(in, out, lo, hi));
        } else if (ft.kind() == FloatKind.F32 && name.equals("stablehlo.exponential")) {
            forRange(out.length, (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) Math.exp(in[i]); });
        } else if (ft.kind() == FloatKind.F32 && name.equals("stablehlo.logistic")) {
            forRange(out.length, (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) (1.0 / (1.0 + Math.exp(-in[i]))); });
        } else if (ft.kind() == FloatKind.F32) {
            forRange(out.length, (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) fd.applyAsDouble(in[i]); });
        } else {
            forRange(out.length, (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = Elem.round(ft, fd.applyAsDouble(in[i])); });
        }
    }

    /** {@code out = op(x, y)} for op {@code name} (full name), whose per-element function is {@code fd}. */
    static void binary(String name, FloatType ft, double[] x, double[] y, double[] out, DoubleBinaryOperator fd) {
        int n = out.length;
        FloatKind k = ft.kind();
        if (k == FloatKind.F32) {
            Range r = switch (name) {
                case "stablehlo.add" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) (x[i] + y[i]); };
                case "stablehlo.subtract" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) (x[i] - y[i]); };
                case "stablehlo.multiply" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) (x[i] * y[i]); };
                case "stablehlo.divide" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) (x[i] / y[i]); };
                case "stablehlo.maximum" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) Math.max(x[i], y[i]); };
                case "stablehlo.minimum" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) Math.min(x[i], y[i]); };
                default -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = (float) fd.applyAsDouble(x[i], y[i]); };
            };
            forRange(n, r);
        } else if (k == FloatKind.F64) {
            Range r = switch (name) {
                case "stablehlo.add" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = x[i] + y[i]; };
                case "stablehlo.subtract" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = x[i] - y[i]; };
                case "stablehlo.multiply" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = x[i] * y[i]; };
                case "stablehlo.divide" -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = x[i] / y[i]; };
                default -> (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = fd.applyAsDouble(x[i], y[i]); };
            };
            forRange(n, r);
        } else {
            forRange(n, (lo, hi) -> { for (int i = lo; i < hi; i++) out[i] = Elem.round(ft, fd.applyAsDouble(x[i], y[i])); });
        }
    }
}
