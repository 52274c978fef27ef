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
            case F32 -> f32Bits(v) & 0xFFFFFFFFL;
            default -> FloatCodec.encode(k, v);
        };
    }

    /*
     * An f32 value lives in a double. Java's float-double conversions quiet a signalling NaN (x86's cvtss2sd and
     * cvtsd2ss set the quiet bit: 0x7F800001 comes back 0x7FC00001), while numpy and JAX keep an f32 array's bits and
     * XLA moves them unchanged. So a NaN crosses by its bits: sign, the 23 payload bits at the top of the double's 52
     * and the quiet bit as it is; arithmetic on it quiets it there as IEEE 754 says. Every other value converts exactly.
     */

    /** The f32 {@code bits} as the interpreter's double, a signalling NaN still signalling. */
    public static double fromF32Bits(int bits) {
        if ((bits & 0x7F80_0000) != 0x7F80_0000 || (bits & 0x007F_FFFF) == 0) return Float.intBitsToFloat(bits);
        return Double.longBitsToDouble((long) (bits >>> 31) << 63 | 0x7FF0_0000_0000_0000L | (long) (bits & 0x007F_FFFF) << 29);
    }

    /**
     * {@code v} rounded to f32, as bits; a NaN keeps its sign and the top 23 bits of its payload (its quiet bit among
     * them), quieted only when those are all zero (a payload in the low bits alone, which f32 cannot hold).
     */
    public static int f32Bits(double v) {
        if (v == v) return Float.floatToRawIntBits((float) v);
        long b = Double.doubleToRawLongBits(v);
        int payload = (int) (b >>> 29) & 0x007F_FFFF;
        return (int) (b >>> 32) & 0x8000_0000 | 0x7F80_0000 | (payload != 0 ? payload : 0x0040_0000);
    }

    public static double decode(FloatKind k, long bits) {
        switch (k) {
            case F64: return Double.longBitsToDouble(bits);
            case F32: return fromF32Bits((int) bits);
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
