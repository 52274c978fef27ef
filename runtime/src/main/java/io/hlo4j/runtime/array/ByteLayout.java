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

    /** Bytes per chunk of {@link #encodeChunks}: a buffer that stays in the cache while a checksum reads it. */
    static final int CHUNK_BYTES = 64 * 1024;

    /**
     * {@link #encode}'s bytes handed to {@code sink} in order, a chunk of whole elements at a time, from one reused buffer
     * of at most {@link #CHUNK_BYTES} (or one element): no copy of the whole array. Each chunk is valid during its call.
     */
    static void encodeChunks(HostArray a, java.util.function.Consumer<ByteBuffer> sink) {
        Storage st = a.storage();
        Layout layout = st.layout;
        int n = st.size;
        int per = a.elementType().storageBytes();
        if (n == 0 || per == 0) return;
        int chunk = Math.max(1, CHUNK_BYTES / per), slots = layout.slots();
        byte[] out = new byte[Math.min(n, chunk) * per];
        ByteBuffer bb = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        // raw slots are the element bits where the width fills them (f16, bf16, i16, i32, ...); else masked per element
        boolean raw = switch (layout.store()) {
            case FLOAT, DOUBLE -> true;
            case SHORT -> per == 2 && layout.bitWidth() == 16;
            case INT -> per == 4 && layout.bitWidth() == 32;
            case LONG -> per == 8 && layout.bitWidth() == 64;
            case BYTE -> false;
        };
        for (int k = 0; k < n; k += chunk) {
            int m = Math.min(chunk, n - k);
            if (!raw) for (int j = 0; j < m; j++) writeLE(out, j * per, per, st.bits(k + j));
            else switch (layout.store()) {
                case FLOAT -> bb.clear().asFloatBuffer().put(st.f, k * slots, m * slots);
                case DOUBLE -> bb.clear().asDoubleBuffer().put(st.d, k * slots, m * slots);
                case LONG -> bb.clear().asLongBuffer().put(st.l, k, m);
                case INT -> bb.clear().asIntBuffer().put(st.i, k, m);
                case SHORT -> bb.clear().asShortBuffer().put(st.s, k, m);
                case BYTE -> throw new IllegalStateException("unreachable");
            }
            sink.accept(bb.clear().limit(m * per));
        }
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
