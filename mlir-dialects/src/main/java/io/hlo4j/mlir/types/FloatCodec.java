package io.hlo4j.mlir.types;

/**
 * Bit-exact conversion between doubles and every {@link FloatKind}: encode rounds to nearest, ties to even,
 * with each format's overflow rule (to infinity where the format has one; to NaN for finite-only formats with
 * a NaN; saturating to the largest finite value for formats without NaN), and decode is exact.
 * Bits are returned right-aligned in a long.
 */
public final class FloatCodec {
    private FloatCodec() {}

    /** The bit pattern of {@code value} rounded to {@code kind}. */
    public static long encode(FloatKind kind, double value) {
        return switch (kind) {
            case F64 -> Double.doubleToRawLongBits(value);
            case F32 -> Float.floatToRawIntBits((float) value) & 0xFFFFFFFFL;
            default -> throw new UnsupportedOperationException("encode " + kind + " not yet implemented");
        };
    }

    /** The exact value of bit pattern {@code bits} in {@code kind}. */
    public static double decode(FloatKind kind, long bits) {
        return switch (kind) {
            case F64 -> Double.longBitsToDouble(bits);
            case F32 -> Float.intBitsToFloat((int) bits);
            default -> throw new UnsupportedOperationException("decode " + kind + " not yet implemented");
        };
    }
}
