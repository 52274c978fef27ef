package io.hlo4j.mlir.attr;

import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;

import java.util.Arrays;

/**
 * {@code array<i64: 0, 2>}: a dense array of integers (i1 as 0/1) or floats. Integers live in {@code longs},
 * floats in {@code doubles}; the other is empty.
 */
public final class DenseArrayAttr implements Attribute {
    private final ElementType elementType;
    private final long[] longs;
    private final double[] doubles;

    private DenseArrayAttr(ElementType elementType, long[] longs, double[] doubles) {
        this.elementType = elementType;
        this.longs = longs;
        this.doubles = doubles;
    }

    public static DenseArrayAttr ofI64(long... values) { return new DenseArrayAttr(IntegerType.I64, values.clone(), new double[0]); }
    public static DenseArrayAttr ofInts(IntegerType t, long... values) { return new DenseArrayAttr(t, values.clone(), new double[0]); }
    public static DenseArrayAttr ofBools(boolean... values) {
        long[] l = new long[values.length];
        for (int i = 0; i < l.length; i++) l[i] = values[i] ? 1 : 0;
        return new DenseArrayAttr(IntegerType.I1, l, new double[0]);
    }
    public static DenseArrayAttr ofFloats(FloatType t, double... values) { return new DenseArrayAttr(t, new long[0], values.clone()); }

    public ElementType elementType() { return elementType; }
    public boolean isFloat() { return elementType instanceof FloatType; }
    public int size() { return isFloat() ? doubles.length : longs.length; }
    public long[] longs() { return longs.clone(); }
    public long getLong(int i) { return longs[i]; }
    public double[] doubles() { return doubles.clone(); }
    public boolean[] bools() {
        boolean[] b = new boolean[longs.length];
        for (int i = 0; i < b.length; i++) b[i] = longs[i] != 0;
        return b;
    }

    @Override public boolean equals(Object o) {
        return o instanceof DenseArrayAttr d && d.elementType.equals(elementType) && Arrays.equals(d.longs, longs)
                && Arrays.equals(d.doubles, doubles);
    }
    @Override public int hashCode() { return Arrays.hashCode(longs) * 31 + Arrays.hashCode(doubles); }
    @Override public String toString() { return AttrText.denseArray(this); }
}
