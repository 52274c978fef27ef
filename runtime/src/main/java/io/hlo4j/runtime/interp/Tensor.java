package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.Arrays;

/**
 * The interpreter's working form of a tensor value: the type plus its elements decoded into primitive
 * arrays, row-major. Integers and booleans live in {@link #ints} (normalised to their width); floats in
 * {@link #re} (each exactly a value of the format); complex numbers in {@link #re} and {@link #im}.
 * Storage and IO use HostArray's bytes; kernels work on these arrays. Tensors are treated as immutable
 * once a kernel returns them.
 */
public final class Tensor implements RtValue {
    public final TensorType type;
    public final ElementType elementType;
    public final Elem elem;
    public final long[] shape;
    public final int size;
    public final long[] ints;
    public final double[] re;
    public final double[] im;

    private Tensor(TensorType type, long[] ints, double[] re, double[] im) {
        if (!type.hasStaticShape()) throw new IllegalArgumentException("the interpreter needs static shapes, got " + type);
        this.type = type;
        this.elementType = type.elementType();
        this.elem = Elem.of(elementType);
        this.shape = type.shape();
        this.size = Math.toIntExact(type.numElements());
        this.ints = ints;
        this.re = re;
        this.im = im;
    }

    /** A zero-filled tensor of {@code type}. */
    public static Tensor zeros(TensorType type) {
        Elem e = Elem.of(type.elementType());
        int n = Math.toIntExact(type.numElements());
        return switch (e) {
            case BOOL, SIGNED, UNSIGNED -> new Tensor(type, new long[n], null, null);
            case FLOAT -> new Tensor(type, null, new double[n], null);
            case COMPLEX -> new Tensor(type, null, new double[n], new double[n]);
        };
    }

    public static Tensor ofInts(TensorType type, long[] ints) {
        if (!Elem.of(type.elementType()).isInt()) throw new IllegalArgumentException("not an integer type: " + type);
        Tensor t = new Tensor(type, ints, null, null);
        if (ints.length != t.size) throw new IllegalArgumentException(type + " needs " + t.size + " elements, got " + ints.length);
        ElementType et = type.elementType();
        if (Elem.width(et) < 64) for (int i = 0; i < ints.length; i++) ints[i] = Elem.wrap(et, ints[i]);
        return t;
    }

    /** Takes {@code re} (rounded here to the element type). */
    public static Tensor ofDoubles(TensorType type, double[] re) {
        if (!(type.elementType() instanceof FloatType f)) throw new IllegalArgumentException("not a float type: " + type);
        Tensor t = new Tensor(type, null, re, null);
        if (re.length != t.size) throw new IllegalArgumentException(type + " needs " + t.size + " elements, got " + re.length);
        for (int i = 0; i < re.length; i++) re[i] = Elem.round(f, re[i]);
        return t;
    }

    public static Tensor ofComplex(TensorType type, double[] re, double[] im) {
        if (!(type.elementType() instanceof ComplexType c)) throw new IllegalArgumentException("not a complex type: " + type);
        Tensor t = new Tensor(type, null, re, im);
        for (int i = 0; i < re.length; i++) {
            re[i] = Elem.round(c.elementType(), re[i]);
            im[i] = Elem.round(c.elementType(), im[i]);
        }
        return t;
    }

    /** Wraps arrays already normalised to the type (no copy, no rounding): for kernels. */
    static Tensor raw(TensorType type, long[] ints, double[] re, double[] im) { return new Tensor(type, ints, re, im); }

    public static Tensor scalarInt(ElementType t, long v) { return ofInts(TensorType.scalar(t), new long[] {v}); }

    public static Tensor scalarDouble(FloatType t, double v) { return ofDoubles(TensorType.scalar(t), new double[] {v}); }

    /** A tensor of the same type with fresh zeroed storage. */
    public Tensor blank() { return zeros(type); }

    /** A fresh zeroed tensor of another type. */
    public static Tensor blank(Type t) { return zeros((TensorType) t); }

    public int rank() { return shape.length; }

    public long getInt(int i) { return ints[i]; }

    public double getDouble(int i) { return re[i]; }

    /** Element {@code i} as a double (integers read per signedness). */
    public double asDouble(int i) {
        return switch (elem) {
            case FLOAT, COMPLEX -> re[i];
            case UNSIGNED -> ints[i] >= 0 ? (double) ints[i] : unsignedToDouble(ints[i]);
            default -> ints[i];
        };
    }

    static double unsignedToDouble(long v) {
        double d = (double) (v >>> 1 | (v & 1));
        return v >= 0 ? (double) v : d * 2.0;
    }

    /** Copies element {@code from} of {@code src} (same element type) to element {@code to} of this tensor. */
    public void copyElement(int to, Tensor src, int from) {
        if (ints != null) ints[to] = src.ints[from];
        else {
            re[to] = src.re[from];
            if (im != null) im[to] = src.im[from];
        }
    }

    /** A scalar tensor holding element {@code i}. */
    public Tensor element(int i) {
        Tensor t = zeros(TensorType.scalar(elementType));
        t.copyElement(0, this, i);
        return t;
    }

    /** The same data seen with another shape (same element count and type). */
    public Tensor reshaped(TensorType t) {
        if (t.numElements() != size) throw new IllegalArgumentException("cannot reshape " + type + " to " + t);
        return new Tensor(t, ints, re, im);
    }

    /** Row-major strides of a shape. */
    public static int[] strides(long[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc = Math.multiplyExact(acc, (int) shape[i]);
        }
        return s;
    }

    /** Decodes a dense constant (little-endian storage bytes, splats expanded). */
    public static Tensor fromDense(DenseElementsAttr attr) {
        return Bytes.decode(attr.type(), attr.rawData(), attr.isSplat());
    }

    /** Element-wise equality of types and bits (NaN equal to NaN with the same bits). */
    public boolean sameAs(Tensor o) {
        return type.equals(o.type) && Arrays.equals(ints, o.ints) && Arrays.equals(re, o.re) && Arrays.equals(im, o.im);
    }

    @Override public String toString() { return Format.summary(this); }
}
