package io.hlo4j.mlir.attr;

import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;

/**
 * {@code dense<...> : tensor<...>}: the elements of a statically shaped tensor as raw little-endian bytes in
 * row-major order, {@link io.hlo4j.mlir.types.ElementType#storageBytes()} per element (i1 one byte 0/1;
 * complex as real then imaginary). A splat stores a single element. The bytes are never exposed mutably.
 */
public final class DenseElementsAttr implements Attribute {
    private final TensorType type;
    private final byte[] data;
    private final boolean splat;

    private DenseElementsAttr(TensorType type, byte[] data, boolean splat) {
        this.type = type;
        this.data = data;
        this.splat = splat;
        long elementBytes = type.elementType().storageBytes();
        long expected = splat ? elementBytes : Math.multiplyExact(type.numElements(), elementBytes);
        if (data.length != expected) {
            throw new IllegalArgumentException("dense elements of " + type + " need " + expected + " bytes, got " + data.length);
        }
    }

    /** Takes ownership of {@code data} (callers must not modify it afterwards). */
    public static DenseElementsAttr ofBytesUnsafe(TensorType type, byte[] data, boolean splat) {
        return new DenseElementsAttr(type, data, splat);
    }

    public static DenseElementsAttr of(TensorType type, byte[] data) {
        return new DenseElementsAttr(type, data.clone(), false);
    }

    public static DenseElementsAttr splat(TensorType type, byte[] oneElement) {
        return new DenseElementsAttr(type, oneElement.clone(), true);
    }

    public TensorType type() { return type; }
    public boolean isSplat() { return splat; }

    /** A copy of the raw bytes (one element when splat). */
    public byte[] rawData() { return data.clone(); }

    /** The raw bytes expanded to every element (a copy). */
    public byte[] expandedData() {
        if (!splat) return data.clone();
        int n = Math.toIntExact(type.numElements());
        byte[] out = new byte[Math.multiplyExact(n, data.length)];
        for (int i = 0; i < n; i++) System.arraycopy(data, 0, out, i * data.length, data.length);
        return out;
    }

    /** Length of the raw storage, for size checks without copying. */
    public int rawLength() { return data.length; }

    /** Reads raw byte {@code i} without copying. */
    public byte rawByte(int i) { return data[i]; }

    @Override public boolean equals(Object o) {
        if (!(o instanceof DenseElementsAttr d) || !d.type.equals(type)) return false;
        if (d.splat == splat) return Arrays.equals(d.data, data);
        return Arrays.equals(d.expandedData(), expandedData());
    }
    @Override public int hashCode() { return type.hashCode(); }
    @Override public String toString() { return AttrText.dense(this); }
}
