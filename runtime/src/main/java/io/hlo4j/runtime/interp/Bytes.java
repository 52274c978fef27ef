package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

/**
 * Converts between {@link Tensor}s and MLIR's dense storage layout: row-major, little-endian,
 * {@code storageBytes()} per element (i1 and sub-byte types one byte each; complex real then imaginary).
 */
public final class Bytes {
    private Bytes() {}

    public static Tensor decode(TensorType type, byte[] data, boolean splat) {
        ElementType et = type.elementType();
        Tensor t = Tensor.zeros(type);
        int eb = et.storageBytes();
        int n = t.size;
        if (!splat && data.length != (long) n * eb) {
            throw new IllegalArgumentException(type + " needs " + (long) n * eb + " bytes, got " + data.length);
        }
        switch (t.elem) {
            case BOOL, SIGNED, UNSIGNED -> {
                for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) t.ints[i] = Elem.wrap(et, readLe(data, (splat ? 0 : i) * eb, eb));
            }
            case FLOAT -> {
                FloatKind k = ((FloatType) et).kind();
                for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) t.re[i] = Floats.decode(k, readLe(data, (splat ? 0 : i) * eb, eb));
            }
            case COMPLEX -> {
                FloatKind k = ((ComplexType) et).elementType().kind();
                int h = eb / 2;
                for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) {
                    int off = (splat ? 0 : i) * eb;
                    t.re[i] = Floats.decode(k, readLe(data, off, h));
                    t.im[i] = Floats.decode(k, readLe(data, off + h, h));
                }
            }
        }
        return t;
    }

    public static byte[] encode(Tensor t) {
        ElementType et = t.elementType;
        int eb = et.storageBytes();
        byte[] out = new byte[Math.multiplyExact(t.size, eb)];
        switch (t.elem) {
            case BOOL, SIGNED, UNSIGNED -> {
                for (long i0 = 0; i0 < t.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, t.size); i < iEnd; i++) writeLe(out, i * eb, eb, t.ints[i]);
            }
            case FLOAT -> {
                FloatKind k = ((FloatType) et).kind();
                for (long i0 = 0; i0 < t.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, t.size); i < iEnd; i++) writeLe(out, i * eb, eb, Floats.bits(k, t.re[i]));
            }
            case COMPLEX -> {
                FloatKind k = ((ComplexType) et).elementType().kind();
                int h = eb / 2;
                for (long i0 = 0; i0 < t.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, t.size); i < iEnd; i++) {
                    writeLe(out, i * eb, h, Floats.bits(k, t.re[i]));
                    writeLe(out, i * eb + h, h, Floats.bits(k, t.im[i]));
                }
            }
        }
        return out;
    }

    static long readLe(byte[] d, int off, int n) {
        long v = 0;
        for (int b = n - 1; b >= 0; b--) v = (v << 8) | (d[off + b] & 0xFF);
        return v;
    }

    static void writeLe(byte[] d, int off, int n, long v) {
        for (int b = 0; b < n; b++) d[off + b] = (byte) (v >>> (8 * b));
    }
}
