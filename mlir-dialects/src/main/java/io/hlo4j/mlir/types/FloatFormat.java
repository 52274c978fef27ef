package io.hlo4j.mlir.types;

import java.math.BigInteger;

/**
 * MLIR's spelling of a float value, bit-exact with upstream's printer. MLIR first tries APFloat's
 * {@code toString(6 digits, no padding, keep zeros)} ({@code 1.000000e+00}); if that text does not parse back
 * to the same bits it uses APFloat's default {@code toString} ({@code -3.43464923}, {@code 3.40282347E+38});
 * if that has no '.', or the value is NaN/Inf, it prints the bit pattern as hex ({@code 0x7FC00000}).
 * {@link #apFloatToString} is a port of APFloat's decimal algorithm (including its truncate-then-round-half-up
 * digit selection), so the digits match even where that differs from correct rounding.
 */
public final class FloatFormat {
    private FloatFormat() {}

    /** How MLIR prints an f64 value ({@code printFloatValue}); non-finite values come out as hex. */
    public static String format(double v) {
        return format(FloatKind.F64, Double.doubleToRawLongBits(v));
    }

    /** How MLIR prints the value with bit pattern {@code bits} of {@code kind} (decimal when exact, else hex). */
    public static String format(FloatKind kind, long bits) {
        String decimal = decimal(kind, bits);
        return decimal != null ? decimal : hex(kind, bits);
    }

    /** Whether {@link #format} spells this value in hex (then attribute printers keep the {@code : type}). */
    public static boolean printsAsHex(FloatKind kind, long bits) { return decimal(kind, bits) == null; }

    /** The bit pattern as MLIR's APInt C literal: {@code 0x} then upper-case hex digits, no leading zeros. */
    public static String hex(FloatKind kind, long bits) {
        long masked = kind.bitWidth() == 64 ? bits : bits & ((1L << kind.bitWidth()) - 1);
        return "0x" + Long.toHexString(masked).toUpperCase(java.util.Locale.ROOT);
    }

    private static String decimal(FloatKind kind, long bits) {
        double v = decode(kind, bits);
        if (Double.isNaN(v) || Double.isInfinite(v)) return null;
        int precision = kind.mantissaBits() + 1;
        String six = apFloatToString(v, precision, 6, 0, false);
        if (roundTrips(kind, six, bits)) return six;
        String dflt = apFloatToString(v, precision, 0, 3, true);
        return dflt.indexOf('.') >= 0 ? dflt : null;
    }

    private static double decode(FloatKind kind, long bits) {
        return switch (kind) {
            case F64 -> Double.longBitsToDouble(bits);
            case F32 -> Float.intBitsToFloat((int) bits);
            default -> FloatCodec.decode(kind, bits);
        };
    }

    /** APFloat's {@code APFloat(semantics, text).bitwiseIsEqual(value)}: parses with round-to-nearest-even. */
    private static boolean roundTrips(FloatKind kind, String text, long bits) {
        return switch (kind) {
            case F64 -> Double.doubleToRawLongBits(Double.parseDouble(text)) == bits;
            case F32 -> (Float.floatToRawIntBits(Float.parseFloat(text)) & 0xFFFFFFFFL) == (bits & 0xFFFFFFFFL);
            // The texts tried have at most 6 (or 2 + precision*59/196 <= 6 for these formats) significant
            // digits, far from any tie of a <= 16-bit format, so rounding via double cannot double-round.
            default -> FloatCodec.encode(kind, Double.parseDouble(text)) == (bits & ((1L << kind.bitWidth()) - 1));
        };
    }

    /**
     * Port of LLVM's {@code IEEEFloat::toString(Str, FormatPrecision, FormatMaxPadding, TruncateZero)} for a
     * finite value held exactly in a double; {@code semanticsPrecision} is the format's significand width
     * including the implicit bit (24 for f32), used only when {@code formatPrecision} is 0.
     */
    public static String apFloatToString(double value, int semanticsPrecision, int formatPrecision,
                                         int formatMaxPadding, boolean truncateZero) {
        if (Double.isNaN(value)) return "NaN";
        if (Double.isInfinite(value)) return value < 0 ? "-Inf" : "+Inf";
        StringBuilder out = new StringBuilder();
        boolean negative = (Double.doubleToRawLongBits(value) & Long.MIN_VALUE) != 0;
        if (value == 0) {
            if (negative) out.append('-');
            if (formatMaxPadding == 0) {
                if (truncateZero) out.append("0.0E+0");
                else {
                    out.append("0.0");
                    for (int i = 1; i < formatPrecision; i++) out.append('0');
                    out.append("e+00");
                }
            } else {
                out.append('0');
            }
            return out.toString();
        }
        if (negative) out.append('-');
        if (formatPrecision == 0) formatPrecision = 2 + semanticsPrecision * 59 / 196;

        // value = significand * 2^exp, with trailing binary zeros dropped.
        long raw = Double.doubleToRawLongBits(value);
        int biased = (int) ((raw >>> 52) & 0x7FF);
        long mant = raw & 0xFFFFFFFFFFFFFL;
        int exp;
        if (biased == 0) exp = -1074;
        else {
            mant |= 1L << 52;
            exp = biased - 1075;
        }
        int tz = Long.numberOfTrailingZeros(mant);
        mant >>>= tz;
        exp += tz;

        // Convert to significand * 10^exp.
        BigInteger significand = BigInteger.valueOf(mant);
        if (exp > 0) {
            significand = significand.shiftLeft(exp);
            exp = 0;
        } else if (exp < 0) {
            significand = significand.multiply(BigInteger.valueOf(5).pow(-exp));
        }

        // First, drop decimal digits that cannot matter (truncating, as APFloat does).
        int bits = significand.bitLength();
        int bitsRequired = (formatPrecision * 196 + 58) / 59;
        if (bits > bitsRequired) {
            int tensRemovable = (bits - bitsRequired) * 59 / 196;
            if (tensRemovable > 0) {
                exp += tensRemovable;
                significand = significand.divide(BigInteger.TEN.pow(tensRemovable));
            }
        }

        // Digits, least significant first, dropping trailing zeros into the exponent.
        String digitsMsdFirst = significand.toString();
        StringBuilder buf = new StringBuilder(digitsMsdFirst.length());
        boolean inTrail = true;
        for (int i = digitsMsdFirst.length() - 1; i >= 0; i--) {
            char d = digitsMsdFirst.charAt(i);
            if (inTrail && d == '0') exp++;
            else {
                buf.append(d);
                inTrail = false;
            }
        }

        // Round half-up to formatPrecision digits.
        int n = buf.length();
        if (n > formatPrecision) {
            int firstSignificant = n - formatPrecision;
            if (buf.charAt(firstSignificant - 1) < '5') {
                while (firstSignificant < n && buf.charAt(firstSignificant) == '0') firstSignificant++;
                exp += firstSignificant;
                buf.delete(0, firstSignificant);
            } else {
                boolean carriedThrough = true;
                for (int i = firstSignificant; i != n; i++) {
                    if (buf.charAt(i) == '9') firstSignificant++;
                    else {
                        buf.setCharAt(i, (char) (buf.charAt(i) + 1));
                        carriedThrough = false;
                        break;
                    }
                }
                if (carriedThrough) {
                    exp += firstSignificant;
                    buf.setLength(0);
                    buf.append('1');
                } else {
                    exp += firstSignificant;
                    buf.delete(0, firstSignificant);
                }
            }
        }
        int nDigits = buf.length();

        boolean scientific;
        if (formatMaxPadding == 0) scientific = true;
        else if (exp >= 0) scientific = exp > formatMaxPadding || nDigits + exp > formatPrecision;
        else {
            int msd = exp + (nDigits - 1);
            scientific = msd < 0 && -msd > formatMaxPadding;
        }

        if (scientific) {
            exp += nDigits - 1;
            out.append(buf.charAt(nDigits - 1)).append('.');
            if (nDigits == 1 && truncateZero) out.append('0');
            else for (int i = 1; i != nDigits; i++) out.append(buf.charAt(nDigits - 1 - i));
            if (!truncateZero && formatPrecision > nDigits - 1) {
                for (int i = 0; i < formatPrecision - nDigits + 1; i++) out.append('0');
            }
            out.append(truncateZero ? 'E' : 'e').append(exp >= 0 ? '+' : '-');
            String e = Integer.toString(Math.abs(exp));
            if (!truncateZero && e.length() < 2) out.append('0');
            return out.append(e).toString();
        }
        if (exp >= 0) {
            for (int i = 0; i != nDigits; i++) out.append(buf.charAt(nDigits - 1 - i));
            for (int i = 0; i != exp; i++) out.append('0');
            return out.toString();
        }
        int wholeDigits = exp + nDigits;
        int i = 0;
        if (wholeDigits > 0) {
            for (; i != wholeDigits; i++) out.append(buf.charAt(nDigits - i - 1));
            out.append('.');
        } else {
            out.append("0.");
            for (int z = 0; z < -wholeDigits; z++) out.append('0');
        }
        for (; i != nDigits; i++) out.append(buf.charAt(nDigits - i - 1));
        return out.toString();
    }
}
