package io.hlo4j.runtime.array;

import io.hlo4j.mlir.types.FloatCodec;
import io.hlo4j.mlir.types.FloatKind;

/** Exact scalar conversions between 64-bit integers and float formats, each rounding once. */
public final class Numbers {
    private Numbers() {}

    /** The unsigned 64-bit value {@code bits} as the nearest double (ties to even). */
    public static double unsignedToDouble(long bits) {
        if (bits >= 0) return (double) bits;
        // Halve with the dropped bit folded in as a sticky bit (round to odd), then one RNE step in the cast.
        return (double) ((bits >>> 1) | (bits & 1)) * 2.0;
    }

    /**
     * Bits of integer {@code v} (read as unsigned when {@code unsigned}) rounded once to {@code kind}.
     * Formats narrower than f64 go through a double rounded to odd, which keeps the final rounding single
     * because 53 bits exceed every such format's significand by at least two.
     */
    public static long integerToFloatBits(FloatKind kind, long v, boolean unsigned) {
        switch (kind) {
            case F64 -> {
                return Double.doubleToRawLongBits(unsigned ? unsignedToDouble(v) : (double) v);
            }
            case F32 -> {
                float x = unsigned && v < 0 ? (float) ((v >>> 1) | (v & 1)) * 2.0f : (float) v;
                return Float.floatToRawIntBits(x) & 0xFFFFFFFFL;
            }
            default -> {
                return FloatCodec.encode(kind, toDoubleRoundOdd(v, unsigned));
            }
        }
    }

    /** {@code v} as a double rounded to odd: exact when it fits 53 bits, else truncated with a sticky bit. */
    static double toDoubleRoundOdd(long v, boolean unsigned) {
        boolean negative = !unsigned && v < 0;
        long mag = negative ? -v : v; // Long.MIN_VALUE stays as the pattern 2^63, read unsigned below
        int bitLength = 64 - Long.numberOfLeadingZeros(mag);
        double r;
        if (bitLength <= 53) {
            r = (double) mag;
        } else {
            int shift = bitLength - 53;
            long t = mag >>> shift;
            if ((mag & ((1L << shift) - 1)) != 0) t |= 1;
            r = Math.scalb((double) t, shift);
        }
        return negative ? -r : r;
    }

    /**
     * {@code v} truncated toward zero and saturated to [{@code min}, {@code max}] of an integer type; NaN gives 0.
     * For unsigned 64-bit targets {@code max} is -1 (all ones) and values are compared as unsigned.
     */
    public static long floatToInteger(double v, Layout target) {
        if (Double.isNaN(v)) return 0;
        double t = v < 0 ? Math.ceil(v) : Math.floor(v);
        if (target.category() == Layout.Category.UNSIGNED) {
            if (t <= 0) return 0;
            if (target.bitWidth() == 64) {
                if (t >= 0x1p64) return -1L;
                if (t >= 0x1p63) return (long) (t - 0x1p63) ^ Long.MIN_VALUE;
                return (long) t;
            }
            long max = target.maxValue();
            return t >= (double) max ? max : (long) t;
        }
        long min = target.minValue();
        long max = target.maxValue();
        if (t <= (double) min) return min;
        if (t >= 0x1p63) return max;
        long r = (long) t;
        return r > max ? max : r;
    }
}
