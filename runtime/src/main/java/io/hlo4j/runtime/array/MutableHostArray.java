package io.hlo4j.runtime.array;

import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.TensorType;

/**
 * A {@link HostArray} under construction: element writes by flat index, then {@link #freeze()} hands the storage
 * to an immutable HostArray without copying. Writes after freezing are refused. Not thread-safe.
 */
public final class MutableHostArray {
    private final TensorType type;
    private final Storage storage;
    private boolean frozen;

    MutableHostArray(TensorType type, Storage storage) {
        this.type = type;
        this.storage = storage;
    }

    /** All-zero elements (bit pattern 0: +0.0 for floats, false for i1, 2^-127 for f8E8M0FNU). */
    public static MutableHostArray zeros(TensorType type) {
        long[] shape = HostArray.staticShape(type);
        return new MutableHostArray(type, new Storage(Layout.of(type.elementType()), Shape.numElements(shape)));
    }

    public static MutableHostArray zeros(ElementType elementType, long... shape) {
        return zeros(TensorType.of(elementType, shape));
    }

    public TensorType type() { return type; }
    public ElementType elementType() { return type.elementType(); }
    public int size() { return storage.size; }
    public Layout layout() { return storage.layout; }

    public MutableHostArray setLong(int index, long value) { check(index); storage.setLong(index, value); return this; }
    public MutableHostArray setDouble(int index, double value) { check(index); storage.setDouble(index, value); return this; }
    public MutableHostArray setBoolean(int index, boolean value) {
        check(index);
        if (storage.layout.category() != Layout.Category.BOOL) {
            throw new IllegalArgumentException("setBoolean of " + type.elementType() + " element (only i1 holds booleans)");
        }
        storage.setLong(index, value ? 1 : 0);
        return this;
    }
    public MutableHostArray setComplex(int index, double re, double im) { check(index); storage.setComplex(index, re, im); return this; }
    public MutableHostArray setBits(int index, long bits) { check(index); storage.setBits(index, bits); return this; }

    /** Sets both parts of a complex element from their raw bit patterns. */
    public MutableHostArray setComplexBits(int index, long reBits, long imBits) {
        check(index);
        storage.setPartBits(index, 0, reBits);
        storage.setPartBits(index, 1, imBits);
        return this;
    }

    public long getLong(int index) { return storage.getLong(index); }
    public double getDouble(int index) { return storage.getDouble(index); }
    public long getBits(int index) { return storage.bits(index); }

    /** The immutable array; this builder accepts no further writes. */
    public HostArray freeze() {
        if (frozen) throw new IllegalStateException("MutableHostArray of " + type + " already frozen");
        frozen = true;
        return new HostArray(type, storage);
    }

    /** The storage, for a decoder that fills it in bulk and wraps it in a HostArray itself. */
    Storage freezeStorageForDecode() {
        frozen = true;
        return storage;
    }

    private void check(int index) {
        if (frozen) throw new IllegalStateException("write to a frozen MutableHostArray of " + type);
        if (index < 0 || index >= storage.size) {
            throw new IndexOutOfBoundsException("flat index " + index + " out of bounds for " + type);
        }
    }
}
