package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.QuantizedType;

/**
 * How the interpreter stores and rounds one element type: integers (bool, signed, unsigned) as two's
 * complement longs normalised to their width; floats as doubles holding exactly a value of the format;
 * complex as two such doubles.
 */
public enum Elem {
    BOOL, SIGNED, UNSIGNED, FLOAT, COMPLEX;

    public static Elem of(ElementType t) {
        return switch (t) {
            case IntegerType i when i.isBool() -> BOOL;
            case IntegerType i when i.isUnsigned() -> UNSIGNED;
            case IntegerType i -> SIGNED;
            case IndexType i -> SIGNED;
            case FloatType f -> FLOAT;
            case ComplexType c -> COMPLEX;
            case QuantizedType q -> of(q.storageType()); // quantized tensors hold their stored integers
            default -> throw new UnsupportedOperationException("element type " + t + " is not supported by the interpreter");
        };
    }

    public boolean isInt() { return this == BOOL || this == SIGNED || this == UNSIGNED; }

    public static int width(ElementType t) {
        return switch (t) {
            case IntegerType i -> i.width();
            case IndexType i -> 64;
            case FloatType f -> f.bitWidth();
            case ComplexType c -> 2 * c.elementType().bitWidth();
            case QuantizedType q -> q.storageType().width();
            default -> throw new UnsupportedOperationException("element type " + t);
        };
    }

    /** {@code v} wrapped to an integer type's width (sign- or zero-extended back to 64 bits). */
    public static long wrap(ElementType t, long v) {
        if (t instanceof QuantizedType q) t = q.storageType();
        int w = width(t);
        if (t instanceof IntegerType i) {
            if (w == 64) return v;
            if (i.isBool()) return v & 1;
            if (i.isUnsigned()) return v & ((1L << w) - 1);
            int s = 64 - w;
            return (v << s) >> s;
        }
        return v;
    }

    /** Rounds {@code v} to the nearest value of the float type (ties to even), per the format's overflow rule. */
    public static double round(FloatType t, double v) {
        FloatKind k = t.kind();
        return switch (k) {
            case F64 -> v;
            case F32 -> (double) (float) v;
            default -> Floats.round(k, v);
        };
    }

    /** The smallest and largest value of an integer type, as longs (unsigned max of ui64 is -1). */
    public static long minInt(IntegerType t) {
        if (t.isBool() || t.isUnsigned()) return 0;
        return t.width() == 64 ? Long.MIN_VALUE : -(1L << (t.width() - 1));
    }

    public static long maxInt(IntegerType t) {
        if (t.isBool()) return 1;
        if (t.isUnsigned()) return t.width() == 64 ? -1L : (1L << t.width()) - 1;
        return t.width() == 64 ? Long.MAX_VALUE : (1L << (t.width() - 1)) - 1;
    }
}
