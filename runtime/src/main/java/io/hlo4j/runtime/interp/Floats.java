package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.FloatCodec;
import io.hlo4j.mlir.types.FloatKind;

/**
 * Bit-level helpers for float formats: rounding through the format and raw bits, with fast paths for
 * f32/f64 and decode tables for the 8-bit formats.
 */
public final class Floats {
    private Floats() {}

    private static final double[][] DECODE8 = new double[FloatKind.values().length][];

    public static double round(FloatKind k, double v) {
        return decode(k, FloatCodec.encode(k, v));
    }

    public static long bits(FloatKind k, double v) {
        return switch (k) {
            case F64 -> Double.doubleToRawLongBits(v);
            case F32 -> Float.floatToRawIntBits((float) v) & 0xFFFFFFFFL;
            default -> FloatCodec.encode(k, v);
        };
    }

    public static double decode(FloatKind k, long bits) {
        switch (k) {
            case F64: return Double.longBitsToDouble(bits);
            case F32: return Float.intBitsToFloat((int) bits);
            default:
        }
        if (k.bitWidth() <= 8) {
            double[] t = DECODE8[k.ordinal()];
            if (t == null) {
                t = new double[1 << k.bitWidth()];
                for (int i = 0; i < t.length; i++) t[i] = FloatCodec.decode(k, i);
                DECODE8[k.ordinal()] = t;
            }
            return t[(int) (bits & ((1 << k.bitWidth()) - 1))];
        }
        return FloatCodec.decode(k, bits);
    }

    /*
     * maximum and minimum return their first NaN operand as it is. Math.max/min return "a NaN", and which one
     * depends on the JIT: the interpreted method returns the first NaN, C2's intrinsic a canonical NaN, so the
     * same program gave different bits before and after warm-up. The common (non-NaN) path is Math.max/min plus one
     * test of its result.
     */

    public static double max(double a, double b) {
        double r = Math.max(a, b);
        return r != r ? (a != a ? a : b) : r;
    }

    public static double min(double a, double b) {
        double r = Math.min(a, b);
        return r != r ? (a != a ? a : b) : r;
    }

    public static float max(float a, float b) {
        float r = Math.max(a, b);
        return r != r ? (a != a ? a : b) : r;
    }

    public static float min(float a, float b) {
        float r = Math.min(a, b);
        return r != r ? (a != a ? a : b) : r;
    }
}
