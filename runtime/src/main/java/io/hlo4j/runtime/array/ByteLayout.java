package io.hlo4j.runtime.array;

import io.hlo4j.mlir.types.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Little-endian element bytes, the layout shared by {@code DenseElementsAttr} and .npy payloads:
 * {@code storageBytes()} per element in row-major order; integers as their low bits (sub-byte values masked to
 * their width, upper bits zero; on input upper bits are ignored and the value re-extended), i1 as 0/1 (any
 * non-zero byte reads as true), floats as their bit patterns, complex as real then imaginary.
 */
final class ByteLayout {
    private ByteLayout() {}

    static HostArray decode(TensorType type, byte[] data) {
        MutableHostArray m = MutableHostArray.zeros(type);
        Layout layout = m.layout();
        int n = m.size();
        int per = type.elementType().storageBytes();
        long expected = (long) n * per;
        if (data.length != expected) {
            throw new IllegalArgumentException(type + " needs " + expected + " bytes of element data, got " + data.length);
        }
        Storage st = m.freezeStorageForDecode();
        ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        switch (layout.category()) {
            case FLOAT, COMPLEX -> {
                if (layout.store() == Layout.Store.FLOAT) bb.asFloatBuffer().get(st.f);
                else if (layout.store() == Layout.Store.DOUBLE) bb.asDoubleBuffer().get(st.d);
                else for (int k = 0; k < n; k++) st.setBits(k, readLE(data, k * per, per));
            }
            case BOOL -> { for (int k = 0; k < n; k++) st.b[k] = (byte) (data[k] != 0 ? 1 : 0); }
            case SIGNED, UNSIGNED -> {
                if (layout.bitWidth() == 64) bb.asLongBuffer().get(st.l);
                else for (int k = 0; k < n; k++) st.setBits(k, readLE(data, k * per, per));
            }
        }
        return new HostArray(type, st);
    }

    static byte[] encode(HostArray a) {
        Storage st = a.storage();
        Layout layout = st.layout;
        int n = st.size;
        int per = a.elementType().storageBytes();
        byte[] out = new byte[Math.multiplyExact(n, per)];
        ByteBuffer bb = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        switch (layout.store()) {
            case FLOAT -> bb.asFloatBuffer().put(st.f);
            case DOUBLE -> bb.asDoubleBuffer().put(st.d);
            case LONG -> { if (layout.bitWidth() == 64) bb.asLongBuffer().put(st.l); else writeAll(st, out, n, per); }
            default -> writeAll(st, out, n, per);
        }
        return out;
    }

    private static void writeAll(Storage st, byte[] out, int n, int per) {
        for (int k = 0; k < n; k++) writeLE(out, k * per, per, st.bits(k));
    }

    static long readLE(byte[] data, int off, int len) {
        long v = 0;
        for (int j = len - 1; j >= 0; j--) v = (v << 8) | (data[off + j] & 0xFF);
        return v;
    }

    static void writeLE(byte[] out, int off, int len, long v) {
        for (int j = 0; j < len; j++) {
            out[off + j] = (byte) v;
            v >>>= 8;
        }
    }
}
