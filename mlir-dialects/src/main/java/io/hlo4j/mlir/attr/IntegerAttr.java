package io.hlo4j.mlir.attr;

import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.Type;

/**
 * {@code 42 : i64}. The value is kept as the two's-complement 64-bit pattern; for unsigned types read it
 * with {@link Long#toUnsignedString}. {@code type} is an integer or index type.
 */
public record IntegerAttr(long value, Type type) implements Attribute {
    public static IntegerAttr i64(long v) { return new IntegerAttr(v, IntegerType.I64); }
    public static IntegerAttr i32(long v) { return new IntegerAttr(v, IntegerType.I32); }

    @Override public String toString() { return AttrText.integer(this); }
}
