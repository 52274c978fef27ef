package io.hlo4j.mlir.types;

import io.hlo4j.mlir.attr.Attribute;

import java.util.Arrays;

/**
 * A ranked tensor. {@code shape[i] == DYNAMIC} marks a dynamic dimension; {@code encoding} is the optional
 * trailing attribute (e.g. {@code #stablehlo.bounds<16, ?>}), null when absent. The element type may also
 * be {@code !stablehlo.token}-free types only: tensors hold {@link ElementType}s.
 */
public final class TensorType implements Type {
    public static final long DYNAMIC = -1;

    private final long[] shape;
    private final ElementType elementType;
    private final Attribute encoding;

    private TensorType(long[] shape, ElementType elementType, Attribute encoding) {
        for (long d : shape) {
            if (d < 0 && d != DYNAMIC) throw new IllegalArgumentException("negative dimension " + d);
        }
        this.shape = shape;
        this.elementType = elementType;
        this.encoding = encoding;
    }

    public static TensorType of(ElementType elementType, long... shape) {
        return new TensorType(shape.clone(), elementType, null);
    }

    public static TensorType of(ElementType elementType, long[] shape, Attribute encoding) {
        return new TensorType(shape.clone(), elementType, encoding);
    }

    public static TensorType scalar(ElementType elementType) { return new TensorType(new long[0], elementType, null); }

    public long[] shape() { return shape.clone(); }
    public long dim(int i) { return shape[i]; }
    public int rank() { return shape.length; }
    public ElementType elementType() { return elementType; }
    public Attribute encoding() { return encoding; }

    public boolean isDynamicDim(int i) { return shape[i] == DYNAMIC; }
    public boolean hasStaticShape() {
        for (long d : shape) if (d == DYNAMIC) return false;
        return true;
    }

    /** Number of elements; throws for a dynamic shape. Overflow is an error, not a wrap. */
    public long numElements() {
        long n = 1;
        for (long d : shape) {
            if (d == DYNAMIC) throw new IllegalStateException("numElements of dynamic tensor " + this);
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public TensorType withElementType(ElementType et) { return new TensorType(shape, et, encoding); }
    public TensorType withShape(long... newShape) { return new TensorType(newShape.clone(), elementType, null); }

    @Override public boolean equals(Object o) {
        return o instanceof TensorType t && Arrays.equals(shape, t.shape) && elementType.equals(t.elementType)
                && java.util.Objects.equals(encoding, t.encoding);
    }

    @Override public int hashCode() { return Arrays.hashCode(shape) * 31 + elementType.hashCode(); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("tensor<");
        for (long d : shape) sb.append(d == DYNAMIC ? "?" : Long.toString(d)).append('x');
        sb.append(elementType);
        if (encoding != null) sb.append(", ").append(encoding);
        return sb.append('>').toString();
    }
}
