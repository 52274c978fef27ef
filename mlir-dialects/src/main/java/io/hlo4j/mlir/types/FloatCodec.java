package io.hlo4j.mlir.types;

/**
 * Bit-exact conversion between doubles and every {@link FloatKind}. Bits are returned right-aligned in a long
 * (an f16 occupies bits 0..15, an f4 bits 0..3).
 *
 * <p>{@link #encode} rounds once, directly from the double, to nearest with ties to even (never through an
 * intermediate f32, so f64 -> bf16 and f64 -> f8 see no double rounding). Per format:
 * <ul>
 *   <li>IEEE formats (bf16, f16, f32, tf32, f8E5M2, f8E4M3, f8E3M4): overflow gives +-inf; NaN keeps its sign
 *       and the top payload bits, with the quiet bit set when those bits are all zero.</li>
 *   <li>Finite formats with a NaN (f8E4M3FN, the FNUZ kinds, f8E8M0FNU): overflow and +-inf give NaN (signed
 *       S.1111.111 for E4M3FN, 0x80 for FNUZ, 0xFF for E8M0FNU). FNUZ kinds have no -0: -0 and negative
 *       values that round to zero encode as +0.</li>
 *   <li>f8E8M0FNU (unsigned, exponent only, no zero): negative numbers give NaN; values below 2^-127, zero
 *       and -0 give the nearest representable value, the smallest 2^-127 (0x00); this is ml_dtypes' saturating
 *       cast, while its default cast gives NaN for zero. Values that round above 2^127 give NaN.
 *       Ties round up: the only significand digit is the implicit 1, which is odd.</li>
 *   <li>MX formats without NaN (f4E2M1FN, f6E2M3FN, f6E3M2FN): overflow and +-inf saturate to +-max; NaN has
 *       no encoding and is refused with an {@link ArithmeticException} naming the format.</li>
 * </ul>
 * {@link #decode} is exact for every format (all of them are subsets of f64).
 */
public final class FloatCodec {
    private FloatCodec() {}

    private static final FloatKind[] KINDS = FloatKind.values();
    /** Largest finite magnitude bit pattern per kind (sign excluded). */
    private static final long[] MAX_FINITE = new long[KINDS.length];
    /** Decoded values of every bit pattern of the kinds of at most 8 bits, indexed by ordinal. */
    private static final double[][] SMALL_TABLES = new double[KINDS.length][];

    static {
        for (FloatKind k : KINDS) {
            int p = k.mantissaBits();
            long magMask = magnitudeMask(k);
            MAX_FINITE[k.ordinal()] = switch (k.nanEncoding()) {
                case IEEE -> (((1L << k.exponentBits()) - 1) << p) - 1;
                case ALL_ONES -> magMask - 1;
                case NEG_ZERO, NONE -> magMask;
            };
            if (k.bitWidth() <= 8) {
                double[] t = new double[1 << k.bitWidth()];
                for (int b = 0; b < t.length; b++) t[b] = decodeSlow(k, b);
                SMALL_TABLES[k.ordinal()] = t;
            }
        }
    }

    /** The bit pattern of {@code value} rounded to {@code kind}. */
    public static long encode(FloatKind kind, double value) {
        return switch (kind) {
            case F64 -> Double.doubleToRawLongBits(value);
            case F32 -> Double.isNaN(value) ? encodeSlow(kind, value)
                    : Float.floatToRawIntBits((float) value) & 0xFFFFFFFFL; // JLS: one IEEE round to nearest even
            case F8E8M0FNU -> encodeSlow(kind, value);
            default -> encodeNormal(kind, value);
        };
    }

    /**
     * Fast path when the result is a normal number: splice the re-biased exponent above the f64 fraction and
     * round the dropped bits to nearest even in one add; a carry out of the fraction moves into the exponent.
     * Magnitudes past the largest finite value take the format's overflow rule; subnormal results, zero, NaN
     * and infinity take the general path.
     */
    private static long encodeNormal(FloatKind kind, double value) {
        long raw = Double.doubleToRawLongBits(value);
        int biased = (int) ((raw >>> 52) & 0x7FF) - 1023 + kind.bias();
        int p = kind.mantissaBits();
        if (biased <= 0 || biased > (1 << kind.exponentBits()) - 1 || ((raw >>> 52) & 0x7FF) == 0x7FF) {
            return encodeSlow(kind, value);
        }
        int drop = 52 - p;
        long m = ((long) biased << 52) | (raw & 0xFFFFFFFFFFFFFL);
        m += ((1L << (drop - 1)) - 1) + ((m >>> drop) & 1);
        long mag = m >>> drop;
        boolean negative = raw < 0;
        if (mag > MAX_FINITE[kind.ordinal()]) return encodeOverflow(kind, negative);
        return negative ? mag | (1L << (kind.bitWidth() - 1)) : mag;
    }

    /** The exact value of bit pattern {@code bits} in {@code kind}; bits above the format's width are ignored. */
    public static double decode(FloatKind kind, long bits) {
        return switch (kind) {
            case F64 -> Double.longBitsToDouble(bits);
            // NaNs take the slow path: widening a float NaN may set its quiet bit, which would change the payload.
            case F32 -> (bits & 0x7F800000L) == 0x7F800000L ? decodeSlow(kind, bits & 0xFFFFFFFFL) : Float.intBitsToFloat((int) bits);
            case BF16 -> (bits & 0x7F80L) == 0x7F80L ? decodeSlow(kind, bits & 0xFFFF) : Float.intBitsToFloat(((int) bits & 0xFFFF) << 16);
            case F16 -> (bits & 0x7C00L) == 0x7C00L ? decodeSlow(kind, bits & 0xFFFF) : Float.float16ToFloat((short) bits);
            case TF32 -> decodeSlow(kind, bits & 0x7FFFF);
            default -> SMALL_TABLES[kind.ordinal()][(int) (bits & ((1L << kind.bitWidth()) - 1))];
        };
    }

    /** {@code value} rounded to {@code kind} and widened back: decode(encode(value)) without NaN payloads. */
    public static double round(FloatKind kind, double value) {
        if (kind == FloatKind.F64) return value;
        if (kind == FloatKind.F32) return (float) value;
        return decode(kind, encode(kind, value));
    }

    /** Whether {@code bits} is a NaN of {@code kind}. */
    public static boolean isNaN(FloatKind kind, long bits) {
        return Double.isNaN(decode(kind, bits));
    }

    /** The bit pattern of the largest finite value of {@code kind}. */
    public static long maxFiniteBits(FloatKind kind) {
        return MAX_FINITE[kind.ordinal()];
    }

    /** The largest finite value of {@code kind}. */
    public static double maxFinite(FloatKind kind) {
        return decode(kind, MAX_FINITE[kind.ordinal()]);
    }

    /** The canonical quiet NaN of {@code kind}; throws for the MX formats that have none. */
    public static long nanBits(FloatKind kind) {
        return encodeNaN(kind, false, 0);
    }

    private static long magnitudeMask(FloatKind k) {
        return (1L << (k.bitWidth() - (k.signed() ? 1 : 0))) - 1;
    }

    private static long signBit(FloatKind k) {
        return k.signed() ? 1L << (k.bitWidth() - 1) : 0;
    }

    private static long encodeNaN(FloatKind k, boolean negative, long doublePayload) {
        int p = k.mantissaBits();
        return switch (k.nanEncoding()) {
            case IEEE -> {
                long frac = doublePayload >>> (52 - p);
                if (frac == 0) frac = 1L << (p - 1);
                yield (negative ? signBit(k) : 0) | (((1L << k.exponentBits()) - 1) << p) | frac;
            }
            case ALL_ONES -> (negative ? signBit(k) : 0) | magnitudeMask(k);
            case NEG_ZERO -> signBit(k);
            case NONE -> throw new ArithmeticException(k.mnemonic() + " has no NaN encoding; cannot encode NaN");
        };
    }

    /** Encoding of an overflowing magnitude (or infinity) per the format's rule. */
    private static long encodeOverflow(FloatKind k, boolean negative) {
        if (!k.signed()) return magnitudeMask(k); // E8M0FNU: NaN
        long sign = negative ? signBit(k) : 0;
        return switch (k.nanEncoding()) {
            case IEEE -> sign | (((1L << k.exponentBits()) - 1) << k.mantissaBits());
            case ALL_ONES, NEG_ZERO -> encodeNaN(k, negative, 0);
            case NONE -> sign | MAX_FINITE[k.ordinal()];
        };
    }

    private static long encodeSlow(FloatKind k, double value) {
        long raw = Double.doubleToRawLongBits(value);
        boolean negative = raw < 0;
        int rawExp = (int) ((raw >>> 52) & 0x7FF);
        long rawFrac = raw & 0xFFFFFFFFFFFFFL;
        if (rawExp == 0x7FF) {
            if (rawFrac != 0) return encodeNaN(k, negative, rawFrac);
            return encodeOverflow(k, negative);
        }
        if (!k.signed() && negative && (rawExp | rawFrac) != 0) return magnitudeMask(k); // E8M0FNU: NaN
        int p = k.mantissaBits();
        int minExp = k.signed() ? 1 - k.bias() : -k.bias(); // E8M0FNU's biased exponent 0 is a normal number
        long mag;
        if ((rawExp | rawFrac) == 0) {
            mag = 0;
        } else {
            // |value| = sig * 2^(exp - 52) with sig carrying the implicit bit.
            long sig;
            int exp;
            if (rawExp == 0) {
                int shift = Long.numberOfLeadingZeros(rawFrac) - 11;
                sig = rawFrac << shift;
                exp = -1022 - shift;
            } else {
                sig = rawFrac | (1L << 52);
                exp = rawExp - 1023;
            }
            int targetExp = Math.max(exp, minExp);
            // n = round(|value| / 2^(targetExp - p)); the shift is non-negative because p <= 52.
            int shift = 52 - p + (targetExp - exp);
            long n;
            if (shift == 0) {
                n = sig;
            } else if (shift > 54) {
                n = 0; // below half of the smallest step
            } else {
                long half = 1L << (shift - 1);
                long rem = sig & ((1L << shift) - 1);
                n = sig >>> shift;
                if (rem > half || (rem == half && (n & 1) != 0)) n++;
            }
            // Works for normals, subnormals and a rounding carry alike: ((E - 1) << p) + (2^p + frac).
            // E8M0FNU (p = 0) fits the same formula; its underflow gives -1, clamped below.
            mag = ((long) (targetExp + k.bias() - 1) << p) + n;
            if (mag > MAX_FINITE[k.ordinal()]) return encodeOverflow(k, negative);
        }
        if (!k.signed()) {
            return Math.max(mag, 0); // E8M0FNU: no zero, underflow gives the smallest value 2^-127
        }
        if (mag == 0 && k.nanEncoding() == FloatKind.NanEncoding.NEG_ZERO) return 0;
        return (negative ? signBit(k) : 0) | mag;
    }

    private static double decodeSlow(FloatKind k, long bits) {
        int p = k.mantissaBits();
        long sign = signBit(k);
        boolean negative = (bits & sign) != 0;
        long mag = bits & magnitudeMask(k);
        long expField = mag >>> p;
        long frac = mag & ((1L << p) - 1);
        long expAllOnes = (1L << k.exponentBits()) - 1;
        switch (k.nanEncoding()) {
            case IEEE -> {
                if (expField == expAllOnes) {
                    if (frac == 0) return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                    return Double.longBitsToDouble((negative ? Long.MIN_VALUE : 0) | 0x7FF0000000000000L
                            | (frac << (52 - p)));
                }
            }
            case ALL_ONES -> {
                if (mag == magnitudeMask(k)) return Double.longBitsToDouble(negative ? 0xFFF8000000000000L : 0x7FF8000000000000L);
            }
            case NEG_ZERO -> { if (negative && mag == 0) return Double.NaN; }
            case NONE -> { }
        }
        double v;
        if (!k.signed()) {
            v = Math.scalb(1.0, (int) expField - k.bias()); // E8M0FNU: no mantissa, no subnormals
        } else if (expField == 0) {
            v = Math.scalb((double) frac, 1 - k.bias() - p);
        } else {
            v = Math.scalb((double) ((1L << p) | frac), (int) expField - k.bias() - p);
        }
        return negative ? -v : v;
    }
}
