package io.hlo4j.mlir.attr;

import io.hlo4j.mlir.types.FloatType;

/** {@code 1.000000e-03 : f32}. {@code value} is exact for f64; narrower types hold a value of their format. */
public record FloatAttr(double value, FloatType type) implements Attribute {
    @Override public boolean equals(Object o) {
        return o instanceof FloatAttr f && Double.doubleToRawLongBits(f.value) == Double.doubleToRawLongBits(value)
                && f.type.equals(type);
    }
    @Override public int hashCode() { return Double.hashCode(value) * 31 + type.hashCode(); }
    @Override public String toString() { return AttrText.floating(this); }
}
