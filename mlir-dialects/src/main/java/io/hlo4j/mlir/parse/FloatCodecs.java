package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.types.FloatCodec;
import io.hlo4j.mlir.types.FloatKind;
import org.antlr.v4.runtime.Token;

/** {@link FloatCodec} calls whose failures become parse errors at the literal (never another exception). */
final class FloatCodecs {
    private FloatCodecs() {}

    static long encode(OpParser p, Token at, FloatKind kind, double v) {
        if (kind == FloatKind.F64) return Double.doubleToRawLongBits(v);
        if (kind == FloatKind.F32) return Float.floatToRawIntBits((float) v) & 0xFFFFFFFFL;
        try {
            return FloatCodec.encode(kind, v);
        } catch (RuntimeException e) {
            throw p.cursor.errorAtPlain(at, "cannot encode " + v + " as " + kind.mnemonic() + ": " + e.getMessage());
        }
    }

    static double decode(OpParser p, Token at, FloatKind kind, long bits) {
        if (kind == FloatKind.F64) return Double.longBitsToDouble(bits);
        if (kind == FloatKind.F32) return Float.intBitsToFloat((int) bits);
        try {
            return FloatCodec.decode(kind, bits);
        } catch (RuntimeException e) {
            throw p.cursor.errorAtPlain(at, "cannot decode 0x" + Long.toHexString(bits) + " as " + kind.mnemonic() + ": " + e.getMessage());
        }
    }

    /** {@code v} rounded to the nearest value of {@code kind}. */
    static double round(OpParser p, Token at, FloatKind kind, double v) {
        if (kind == FloatKind.F64) return v;
        if (kind == FloatKind.F32) return (float) v;
        return decode(p, at, kind, encode(p, at, kind, v));
    }
}
