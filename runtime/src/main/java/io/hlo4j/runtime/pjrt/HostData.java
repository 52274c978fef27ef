package io.hlo4j.runtime.pjrt;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Dense row-major host data for a PJRT buffer: element type, dims and the raw little-endian bytes
 * (bf16 as its 16 high float bits, pred as one byte 0/1). The binding copies into and out of it.
 */
public record HostData(ElementType type, long[] dims, byte[] bytes) {
    public HostData {
        if (type.byteSize() == 0)
            throw new IllegalArgumentException("element type " + type + " has no byte-addressable host form");
        dims = dims.clone();
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) throw new IllegalArgumentException("negative dimension " + dims[i] + " at " + i + " in " + Arrays.toString(dims));
            n = Math.multiplyExact(n, dims[i]);
        }
        if (bytes.length != n * type.byteSize())
            throw new IllegalArgumentException(type + Arrays.toString(dims) + " needs " + n * type.byteSize()
                    + " bytes, got " + bytes.length);
    }

    public static HostData ofFloats(long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return new HostData(ElementType.F32, dims, b.array());
    }

    public long elementCount() { return bytes.length / type.byteSize(); }

    public float[] floats() {
        if (type != ElementType.F32) throw new IllegalStateException("floats() of " + type + " data");
        float[] out = new float[(int) elementCount()];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    @Override public long[] dims() { return dims.clone(); }

    @Override public byte[] bytes() { return bytes.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof HostData h && h.type == type && Arrays.equals(h.dims, dims) && Arrays.equals(h.bytes, bytes);
    }

    @Override public int hashCode() { return 31 * (31 * type.hashCode() + Arrays.hashCode(dims)) + Arrays.hashCode(bytes); }

    @Override public String toString() { return "HostData[" + type + Arrays.toString(dims) + ", " + bytes.length + " bytes]"; }
}
