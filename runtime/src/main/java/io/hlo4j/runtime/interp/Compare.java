package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;

import java.util.List;

/**
 * {@code stablehlo.compare}: IEEE comparisons for FLOAT (NaN unordered, -0 == +0), a total order for
 * TOTALORDER (-NaN < -inf < ... < -0 < +0 < ... < +inf < +NaN), signed or unsigned integer order.
 */
final class Compare {
    private Compare() {}

    enum Dir { EQ, NE, GE, GT, LE, LT }

    static List<RtValue> compare(Operation op, List<RtValue> args, Frame f) {
        Tensor a = (Tensor) args.get(0), b = (Tensor) args.get(1);
        Dir dir = Dir.valueOf(Attrs.enumValue(op, "comparison_direction"));
        String type = Attrs.enumValue(op, "compare_type");
        Tensor r = Tensor.blank(op.result().type());
        long[] out = r.ints;
        int n = a.size;
        switch (a.elem) {
            case FLOAT -> {
                if ("TOTALORDER".equals(type)) {
                    for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) out[i] = test(dir, Long.compare(totalKey(a.re[i]), totalKey(b.re[i]))) ? 1 : 0;
                } else {
                    double[] x = a.re, y = b.re;
                    for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) out[i] = ieee(dir, x[i], y[i]) ? 1 : 0;
                }
            }
            case COMPLEX -> {
                if (dir != Dir.EQ && dir != Dir.NE) throw InterpreterException.at(op, "complex numbers compare only with EQ or NE");
                for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) {
                    boolean eq = a.re[i] == b.re[i] && a.im[i] == b.im[i];
                    out[i] = (dir == Dir.EQ) == eq ? 1 : 0;
                }
            }
            case SIGNED -> {
                for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) out[i] = test(dir, Long.compare(a.ints[i], b.ints[i])) ? 1 : 0;
            }
            case UNSIGNED, BOOL -> {
                for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) out[i] = test(dir, Long.compareUnsigned(a.ints[i], b.ints[i])) ? 1 : 0;
            }
        }
        return List.of(r);
    }

    /** A key whose signed order is the IEEE total order of doubles (a double holds any narrower format exactly). */
    static long totalKey(double v) {
        long bits = Double.doubleToRawLongBits(v);
        return bits ^ ((bits >> 63) >>> 1);
    }

    static boolean ieee(Dir d, double x, double y) {
        return switch (d) {
            case EQ -> x == y;
            case NE -> x != y;
            case GE -> x >= y;
            case GT -> x > y;
            case LE -> x <= y;
            case LT -> x < y;
        };
    }

    static boolean test(Dir d, int c) {
        return switch (d) {
            case EQ -> c == 0;
            case NE -> c != 0;
            case GE -> c >= 0;
            case GT -> c > 0;
            case LE -> c <= 0;
            case LT -> c < 0;
        };
    }
}
