package io.hlo4j.runtime.array;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Concrete tensor data on the host: a statically shaped {@link TensorType} and its elements in row-major order,
 * held in a primitive array chosen by {@link Layout} (see there for the exact representation of every element
 * type). Immutable: factories copy their inputs, readers never expose the storage; build new data with
 * {@link MutableHostArray}. Element access is by flat row-major index ({@link Shape#flatIndex}).
 */
public final class HostArray {
    private final TensorType type;
    private final long[] shape;
    private final Storage storage;

    HostArray(TensorType type, Storage storage) {
        this.type = type;
        this.shape = type.shape();
        this.storage = storage;
    }

    static long[] staticShape(TensorType type) {
        if (!type.hasStaticShape()) throw new IllegalArgumentException("HostArray needs a static shape, got " + type);
        long[] shape = type.shape();
        Shape.numElements(shape);
        return shape;
    }

    // ---- factories ----

    public static HostArray zeros(TensorType type) { return MutableHostArray.zeros(type).freeze(); }

    public static HostArray zeros(ElementType elementType, long... shape) { return zeros(TensorType.of(elementType, shape)); }

    /** Every element {@code value} rounded to a float type, or (real part) a complex type. */
    public static HostArray fill(TensorType type, double value) {
        MutableHostArray m = MutableHostArray.zeros(type);
        boolean complex = m.layout().category() == Layout.Category.COMPLEX;
        for (int k = 0; k < m.size(); k++) {
            if (complex) m.setComplex(k, value, 0);
            else m.setDouble(k, value);
        }
        return m.freeze();
    }

    /** Every element {@code value}, which must be representable in the integer type. */
    public static HostArray fill(TensorType type, long value) {
        MutableHostArray m = MutableHostArray.zeros(type);
        requireRepresentable(m.layout(), value, 0);
        for (int k = 0; k < m.size(); k++) m.setLong(k, value);
        return m.freeze();
    }

    public static HostArray fill(TensorType type, boolean value) {
        MutableHostArray m = MutableHostArray.zeros(type);
        for (int k = 0; k < m.size(); k++) m.setBoolean(k, value);
        return m.freeze();
    }

    /** Float (or complex, real parts) elements from doubles, each rounded once to the element format. */
    public static HostArray fromDoubles(TensorType type, double... values) {
        MutableHostArray m = sized(type, values.length);
        if (m.layout().store() == Layout.Store.DOUBLE && m.layout().category() == Layout.Category.FLOAT) {
            return new HostArray(type, Storage.wrap(m.layout(), values.length, values.clone()));
        }
        boolean complex = m.layout().category() == Layout.Category.COMPLEX;
        for (int k = 0; k < values.length; k++) {
            if (complex) m.setComplex(k, values[k], 0);
            else m.setDouble(k, values[k]);
        }
        return m.freeze();
    }

    /** Float elements from floats (exact for f32 and wider, rounded once for narrower formats). */
    public static HostArray fromFloats(TensorType type, float... values) {
        MutableHostArray m = sized(type, values.length);
        if (m.layout().store() == Layout.Store.FLOAT && m.layout().category() == Layout.Category.FLOAT) {
            return new HostArray(type, Storage.wrap(m.layout(), values.length, values.clone()));
        }
        for (int k = 0; k < values.length; k++) m.setDouble(k, values[k]);
        return m.freeze();
    }

    /**
     * Integer elements; each value must be representable in the type (refused otherwise). For ui64 the long is
     * the two's complement bit pattern, so every ui64 value is expressible.
     */
    public static HostArray fromLongs(TensorType type, long... values) {
        MutableHostArray m = sized(type, values.length);
        for (int k = 0; k < values.length; k++) {
            requireRepresentable(m.layout(), values[k], k);
            m.setLong(k, values[k]);
        }
        return m.freeze();
    }

    public static HostArray fromBooleans(TensorType type, boolean... values) {
        MutableHostArray m = sized(type, values.length);
        for (int k = 0; k < values.length; k++) m.setBoolean(k, values[k]);
        return m.freeze();
    }

    /** Complex elements from separate real and imaginary parts (rounded to f32 for complex&lt;f32&gt;). */
    public static HostArray fromComplex(TensorType type, double[] re, double[] im) {
        if (re.length != im.length) throw new IllegalArgumentException("real and imaginary parts differ in length: " + re.length + " vs " + im.length);
        MutableHostArray m = sized(type, re.length);
        for (int k = 0; k < re.length; k++) m.setComplex(k, re[k], im[k]);
        return m.freeze();
    }

    /** Elements from raw bit patterns, one per element (not complex): float bits, integer bits (wrapped). */
    public static HostArray fromBits(TensorType type, long... bits) {
        MutableHostArray m = sized(type, bits.length);
        for (int k = 0; k < bits.length; k++) m.setBits(k, bits[k]);
        return m.freeze();
    }

    /** The elements of a dense attribute (a splat is expanded). */
    public static HostArray fromDense(DenseElementsAttr attr) {
        return ByteLayout.decode(attr.type(), attr.expandedData());
    }

    /** Elements from little-endian bytes in the layout of {@link DenseElementsAttr} (storageBytes per element). */
    public static HostArray fromLittleEndianBytes(TensorType type, byte[] data) {
        return ByteLayout.decode(type, data);
    }

    /** Elements from a native segment holding exactly the little-endian element bytes (copied). */
    public static HostArray fromMemorySegment(TensorType type, MemorySegment segment) {
        return ByteLayout.decode(type, segment.toArray(ValueLayout.JAVA_BYTE));
    }

    private static MutableHostArray sized(TensorType type, int count) {
        MutableHostArray m = MutableHostArray.zeros(type);
        if (m.size() != count) {
            throw new IllegalArgumentException(type + " has " + m.size() + " elements, got " + count + " values");
        }
        return m;
    }

    private static void requireRepresentable(Layout layout, long v, int index) {
        if (!layout.isInteger() && layout.category() != Layout.Category.BOOL) {
            throw new IllegalArgumentException("integer values for non-integer element type " + layout.type());
        }
        if (layout.bitWidth() == 64) return;
        boolean ok = layout.category() == Layout.Category.SIGNED ? v >= layout.minValue() && v <= layout.maxValue()
                : v >= 0 && v <= layout.maxValue();
        if (!ok) {
            throw new IllegalArgumentException("value " + v + " at index " + index + " is out of range of " + layout.type());
        }
    }

    // ---- shape ----

    public TensorType type() { return type; }
    public ElementType elementType() { return type.elementType(); }
    public Layout layout() { return storage.layout; }
    public long[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int size() { return storage.size; }

    /** The same elements under another shape with the same element count (storage is shared: both immutable). */
    public HostArray reshape(long... newShape) {
        if (Shape.numElements(newShape) != size()) {
            throw new IllegalArgumentException("cannot reshape " + type + " (" + size() + " elements) to " + Arrays.toString(newShape));
        }
        return new HostArray(TensorType.of(type.elementType(), newShape), storage);
    }

    // ---- elements ----

    /** Float value (exact), integer value (unsigned read as unsigned, ui64 above 2^53 rounded), or i1 as 0/1. */
    public double getDouble(int index) { check(index); return storage.getDouble(index); }

    /** Integer value: sign-extended for signed, zero-extended for unsigned (ui64: the raw bits); i1 as 0/1. */
    public long getLong(int index) { check(index); return storage.getLong(index); }

    public boolean getBoolean(int index) {
        check(index);
        if (storage.layout.category() != Layout.Category.BOOL) {
            throw new IllegalArgumentException("getBoolean of " + type.elementType() + " element (only i1 holds booleans)");
        }
        return storage.getLong(index) != 0;
    }

    public double getReal(int index) { check(index); return storage.real(index); }
    public double getImag(int index) { check(index); return storage.imag(index); }
    public Complex getComplex(int index) { check(index); return new Complex(storage.real(index), storage.imag(index)); }

    /** The element's bit pattern right-aligned and masked to its width; for complex use {@link #getPartBits}. */
    public long getBits(int index) { check(index); return storage.bits(index); }

    /** Bits of the real (part 0) or imaginary (part 1) component of a complex element. */
    public long getPartBits(int index, int part) { check(index); return storage.partBits(index, part); }

    /** Element at a multi-dimensional index (one coordinate per dimension). */
    public double getDoubleAt(long... index) { return getDouble(Shape.flatIndex(shape, index)); }
    public long getLongAt(long... index) { return getLong(Shape.flatIndex(shape, index)); }

    // ---- bulk copies ----

    /** All elements via {@link #getDouble(int)} (not complex). */
    public double[] toDoubleArray() {
        double[] out = new double[size()];
        if (storage.layout.category() == Layout.Category.FLOAT && storage.d != null) return storage.d.clone();
        for (int k = 0; k < out.length; k++) out[k] = storage.getDouble(k);
        return out;
    }

    /** All elements of an f32 array, or of any float type converted exactly/rounded to float. */
    public float[] toFloatArray() {
        if (storage.layout.category() == Layout.Category.FLOAT && storage.f != null) return storage.f.clone();
        float[] out = new float[size()];
        for (int k = 0; k < out.length; k++) out[k] = (float) storage.getDouble(k);
        return out;
    }

    /** All elements via {@link #getLong(int)} (integer and i1 types). */
    public long[] toLongArray() {
        long[] out = new long[size()];
        for (int k = 0; k < out.length; k++) out[k] = storage.getLong(k);
        return out;
    }

    public boolean[] toBooleanArray() {
        boolean[] out = new boolean[size()];
        for (int k = 0; k < out.length; k++) out[k] = getBoolean(k);
        return out;
    }

    /** A writable copy. */
    public MutableHostArray toMutable() { return new MutableHostArray(type, storage.copy()); }

    // ---- conversions ----

    /** {@code stablehlo.convert} to {@code target}; see {@link Conversions#convert} for the exact rules. */
    public HostArray convert(ElementType target) { return Conversions.convert(this, target); }

    /** {@code stablehlo.bitcast_convert} to {@code target}; see {@link Conversions#bitcastConvert}. */
    public HostArray bitcastConvert(ElementType target) { return Conversions.bitcastConvert(this, target); }

    /** The elements as a dense attribute of this array's type. */
    public DenseElementsAttr toDense() {
        return DenseElementsAttr.ofBytesUnsafe(type, ByteLayout.encode(this), false);
    }

    /** Little-endian element bytes in the layout of {@link DenseElementsAttr}. */
    public byte[] toLittleEndianBytes() { return ByteLayout.encode(this); }

    /**
     * The bytes of {@link #toLittleEndianBytes()}, in order, handed to {@code sink} a chunk of whole elements at a time
     * (at most 64 KiB, or one element) from one reused buffer, without copying the whole array: for a checksum of a large
     * array. A chunk is valid only during its call.
     */
    public void forEachLittleEndianChunk(java.util.function.Consumer<java.nio.ByteBuffer> sink) { ByteLayout.encodeChunks(this, sink); }

    /** Copies the little-endian element bytes into the start of {@code dst}, which must be large enough. */
    public void copyInto(MemorySegment dst) {
        byte[] bytes = ByteLayout.encode(this);
        if (dst.byteSize() < bytes.length) {
            throw new IllegalArgumentException(type + " needs " + bytes.length + " bytes, the segment has " + dst.byteSize());
        }
        MemorySegment.copy(bytes, 0, dst, ValueLayout.JAVA_BYTE, 0, bytes.length);
    }

    Storage storage() { return storage; }

    // ---- equality ----

    /** Same type and identical element bits (so NaN equals the same NaN and -0 differs from +0). */
    @Override public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof HostArray h) || !h.type.equals(type)) return false;
        return Arrays.equals(ByteLayout.encode(this), ByteLayout.encode(h));
    }

    @Override public int hashCode() { return type.hashCode() * 31 + Arrays.hashCode(ByteLayout.encode(this)); }

    /**
     * Same shape and element type, and every element equal in value within {@code atol + rtol * |expected|}
     * (NaN matches NaN; infinities must match exactly). Integers compare exactly.
     */
    public boolean allClose(HostArray expected, double rtol, double atol) {
        if (!expected.type.equals(type)) return false;
        Layout.Category c = storage.layout.category();
        for (int k = 0; k < size(); k++) {
            if (c == Layout.Category.COMPLEX) {
                if (!close(getReal(k), expected.getReal(k), rtol, atol) || !close(getImag(k), expected.getImag(k), rtol, atol)) return false;
            } else if (c == Layout.Category.FLOAT) {
                if (!close(getDouble(k), expected.getDouble(k), rtol, atol)) return false;
            } else if (getLong(k) != expected.getLong(k)) {
                return false;
            }
        }
        return true;
    }

    private static boolean close(double a, double e, double rtol, double atol) {
        if (Double.isNaN(a) || Double.isNaN(e)) return Double.isNaN(a) && Double.isNaN(e);
        if (Double.isInfinite(a) || Double.isInfinite(e)) return a == e;
        return Math.abs(a - e) <= atol + rtol * Math.abs(e);
    }

    /** Index of the first element whose bits differ from {@code other}'s, or -1 (for test diagnostics). */
    public int firstBitDifference(HostArray other) {
        if (!other.type.equals(type)) throw new IllegalArgumentException("types differ: " + type + " vs " + other.type);
        boolean complex = storage.layout.category() == Layout.Category.COMPLEX;
        for (int k = 0; k < size(); k++) {
            boolean same = complex ? getPartBits(k, 0) == other.getPartBits(k, 0) && getPartBits(k, 1) == other.getPartBits(k, 1)
                    : getBits(k) == other.getBits(k);
            if (!same) return k;
        }
        return -1;
    }

    /** {@code tensor<2x3xf32>[1.0, 2.0, ...]}, at most 16 elements shown. */
    @Override public String toString() {
        StringBuilder sb = new StringBuilder(type.toString()).append('[');
        int n = Math.min(size(), 16);
        for (int k = 0; k < n; k++) {
            if (k > 0) sb.append(", ");
            sb.append(elementString(k));
        }
        if (size() > n) sb.append(", ... (").append(size()).append(" elements)");
        return sb.append(']').toString();
    }

    private String elementString(int k) {
        return switch (storage.layout.category()) {
            case BOOL -> getBoolean(k) ? "true" : "false";
            case SIGNED -> Long.toString(getLong(k));
            case UNSIGNED -> Long.toUnsignedString(getLong(k));
            case FLOAT -> storage.layout.floatKind() == FloatKind.F32 ? Float.toString((float) getDouble(k)) : Double.toString(getDouble(k));
            case COMPLEX -> "(" + getReal(k) + ", " + getImag(k) + ")";
        };
    }

    private void check(int index) {
        if (index < 0 || index >= storage.size) {
            throw new IndexOutOfBoundsException("flat index " + index + " out of bounds for " + type);
        }
    }
}
