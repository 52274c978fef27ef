package io.hlo4j.mlir.parse;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Decoding of literal token text: string escapes, hex digits, integers with their range checks. */
final class Literals {
    private Literals() {}

    /** Thrown for a malformed literal; the caller turns it into a ParseException at the token. */
    static final class BadLiteral extends RuntimeException {
        BadLiteral(String message) { super(message, null, false, false); }
    }

    /**
     * The value of a quoted string token (quotes included in {@code text}). Escapes: \" \\ \n \t and \XX (two
     * hex digits, one byte). The bytes are read as UTF-8; if they are not valid UTF-8 each byte becomes the
     * Latin-1 character of the same code.
     */
    static String unquote(String text) {
        int end = text.length() - 1;
        if (text.indexOf('\\') < 0) return text.substring(1, end);
        byte[] out = new byte[end * 3];
        int n = 0;
        for (int i = 1; i < end; i++) {
            char c = text.charAt(i);
            if (c != '\\') {
                if (c < 0x80) out[n++] = (byte) c;
                else {
                    byte[] enc = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                    if (Character.isHighSurrogate(c) && i + 1 < end) {
                        enc = text.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
                        i++;
                    }
                    System.arraycopy(enc, 0, out, n, enc.length);
                    n += enc.length;
                }
                continue;
            }
            char e = text.charAt(++i);
            switch (e) {
                case '"', '\\' -> out[n++] = (byte) e;
                case 'n' -> out[n++] = '\n';
                case 't' -> out[n++] = '\t';
                default -> {
                    int hi = i + 1 < end ? hexDigit(text.charAt(i)) : -1;
                    int lo = i + 1 < end ? hexDigit(text.charAt(i + 1)) : -1;
                    if (hi < 0 || lo < 0) throw new BadLiteral("unknown escape in string literal: '\\" + e + "'");
                    out[n++] = (byte) (hi << 4 | lo);
                    i++;
                }
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(out, 0, n)).toString();
        } catch (CharacterCodingException notUtf8) {
            return new String(out, 0, n, StandardCharsets.ISO_8859_1);
        }
    }

    /** Hex digit values by ASCII code, -1 for other characters. */
    private static final byte[] HEX = new byte[128];

    static {
        java.util.Arrays.fill(HEX, (byte) -1);
        for (char c = '0'; c <= '9'; c++) HEX[c] = (byte) (c - '0');
        for (char c = 'a'; c <= 'f'; c++) HEX[c] = (byte) (c - 'a' + 10);
        for (char c = 'A'; c <= 'F'; c++) HEX[c] = (byte) (c - 'A' + 10);
    }

    static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /** Decodes the hex digits of {@code text[from, to)} into bytes (two digits a byte, in order). */
    static byte[] hexBytes(String text, int from, int to) {
        int digits = to - from;
        if ((digits & 1) != 0) throw new BadLiteral("hex string has an odd number of digits (" + digits + ")");
        byte[] out = new byte[digits >> 1];
        byte[] table = HEX;
        for (int i = from, j = 0; i < to; i += 2, j++) {
            char a = text.charAt(i);
            char b = text.charAt(i + 1);
            int hi = a < 128 ? table[a] : -1;
            int lo = b < 128 ? table[b] : -1;
            if ((hi | lo) < 0) throw new BadLiteral("invalid hex digit in hex string near offset " + (i - from));
            out[j] = (byte) (hi << 4 | lo);
        }
        return out;
    }

    /** The magnitude of an INTEGER (decimal) or HEX token as an unsigned 64-bit pattern; too large is an error. */
    static long magnitude(String token) {
        try {
            if (token.startsWith("0x")) {
                if (token.length() > 18 && !token.substring(2, token.length() - 16).chars().allMatch(c -> c == '0')) {
                    throw new BadLiteral("integer literal " + token + " does not fit in 64 bits");
                }
                return Long.parseUnsignedLong(token.substring(Math.max(2, token.length() - 16)), 16);
            }
            return Long.parseUnsignedLong(token);
        } catch (NumberFormatException e) {
            throw new BadLiteral("integer literal " + token + " does not fit in 64 bits");
        }
    }

    /**
     * The bit pattern of an integer literal for an integer type of {@code width} bits, checked to fit:
     * signless and unsigned types take 0..2^width-1, signless and signed types take -2^(width-1)..; negative
     * values of unsigned types are errors. Signless/signed results are sign-extended, unsigned zero-extended
     * (i1 is zero-extended: true is 1).
     */
    static long fitInteger(boolean negative, long magnitude, int width, boolean signed, boolean unsigned, String typeName) {
        if (magnitude >= 0 && width < 64) {
            long v = negative ? -magnitude : magnitude;
            long min = unsigned ? 0 : -(1L << (width - 1));
            long max = signed ? (1L << (width - 1)) - 1 : (1L << width) - 1;
            if (v < min || v > max) throw new BadLiteral("integer value " + v + " is out of range for " + typeName);
            long mask = (1L << width) - 1;
            long bits = v & mask;
            if (!unsigned && width > 1 && (bits >>> (width - 1)) != 0) bits |= ~mask;
            return bits;
        }
        BigInteger m = new BigInteger(Long.toUnsignedString(magnitude));
        BigInteger v = negative ? m.negate() : m;
        BigInteger two = BigInteger.TWO;
        BigInteger min = unsigned ? BigInteger.ZERO : two.pow(width - 1).negate();
        BigInteger max = signed ? two.pow(width - 1).subtract(BigInteger.ONE) : two.pow(width).subtract(BigInteger.ONE);
        if (v.compareTo(min) < 0 || v.compareTo(max) > 0) {
            throw new BadLiteral("integer value " + v + " is out of range for " + typeName);
        }
        long bits = v.longValue();
        if (width == 64) return bits;
        long mask = (1L << width) - 1;
        bits &= mask;
        if (!unsigned && width > 1 && (bits >>> (width - 1)) != 0) bits |= ~mask;
        return bits;
    }
}
