package io.hlo4j.dsl;

import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;

/** Element types a DSL tensor may hold (metadata only). */
public enum DType {
    F64(FloatType.F64), F32(FloatType.F32), BF16(FloatType.BF16), F16(FloatType.F16),
    I64(IntegerType.I64), I32(IntegerType.I32), I16(IntegerType.I16), I8(IntegerType.I8),
    U8(IntegerType.UI8), U32(IntegerType.UI32), U64(IntegerType.UI64), BOOL(IntegerType.I1);

    private final ElementType elementType;

    DType(ElementType e) { this.elementType = e; }

    public ElementType elementType() { return elementType; }
    public boolean isFloat() { return elementType instanceof FloatType; }
    public boolean isBool() { return this == BOOL; }
    public boolean isInteger() { return !isFloat() && !isBool(); }
    public boolean isUnsigned() { return this == U8 || this == U32 || this == U64; }

    /** The DType of an MLIR element type; an unsupported type is an error naming it. */
    public static DType of(ElementType e) {
        for (DType d : values()) if (d.elementType.equals(e)) return d;
        throw new IllegalArgumentException("no DSL dtype for element type " + e);
    }

    @Override public String toString() { return elementType.toString(); }
}
