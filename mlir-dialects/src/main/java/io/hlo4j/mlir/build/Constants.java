package io.hlo4j.mlir.build;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatCodec;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

/** Dense literals from Java numbers, encoded as {@link DenseElementsAttr} stores them (little-endian). */
public final class Constants {
    private Constants() {}

    /** A splat of {@code value} converted to the element type (floats rounded to nearest, ints truncated, complex (value, 0)). */
    public static DenseElementsAttr splat(TensorType type, double value) {
        return DenseElementsAttr.ofBytesUnsafe(type, encode(type.elementType(), value), true);
    }

    /** Every element given, row-major; the length must match the type's element count. */
    public static DenseElementsAttr of(TensorType type, double... values) {
        ElementType et = type.elementType();
        if (values.length != type.numElements()) {
            throw new IllegalArgumentException(type + " holds " + type.numElements() + " elements, got " + values.length);
        }
        int w = et.storageBytes();
        byte[] out = new byte[values.length * w];
        for (int i = 0; i < values.length; i++) System.arraycopy(encode(et, values[i]), 0, out, i * w, w);
        return DenseElementsAttr.ofBytesUnsafe(type, out, false);
    }

    /** Integer elements given exactly (no double rounding for 64-bit values). */
    public static DenseElementsAttr ofLongs(TensorType type, long... values) {
        ElementType et = type.elementType();
        if (!(et instanceof IntegerType)) throw new IllegalArgumentException("ofLongs needs an integer type, got " + type);
        if (values.length != type.numElements()) {
            throw new IllegalArgumentException(type + " holds " + type.numElements() + " elements, got " + values.length);
        }
        int w = et.storageBytes();
        byte[] out = new byte[values.length * w];
        for (int i = 0; i < values.length; i++) putLe(out, i * w, w, ((IntegerType) et).isBool() ? (values[i] != 0 ? 1 : 0) : values[i]);
        return DenseElementsAttr.ofBytesUnsafe(type, out, false);
    }

    static byte[] encode(ElementType et, double value) {
        if (et instanceof ComplexType c) {
            // A real number as a complex literal: (value, 0), real part first, as dense complex elements are stored.
            int half = c.elementType().storageBytes();
            byte[] b = new byte[2 * half];
            putLe(b, 0, half, FloatCodec.encode(c.elementType().kind(), value));
            putLe(b, half, half, FloatCodec.encode(c.elementType().kind(), 0.0));
            return b;
        }
        int w = et.storageBytes();
        byte[] b = new byte[w];
        long bits = switch (et) {
            case FloatType f -> FloatCodec.encode(f.kind(), value);
            case IntegerType i when i.isBool() -> value != 0 ? 1 : 0;
            case IntegerType i when i.isUnsigned() && value >= 0x1p63 -> (long) (value - 0x1p63) ^ Long.MIN_VALUE;
            case IntegerType i -> (long) value;
            default -> throw new IllegalArgumentException("no literal encoding for element type " + et);
        };
        putLe(b, 0, w, bits);
        return b;
    }

    private static void putLe(byte[] out, int off, int width, long bits) {
        for (int k = 0; k < width; k++) out[off + k] = (byte) (bits >>> (8 * k));
    }
}
