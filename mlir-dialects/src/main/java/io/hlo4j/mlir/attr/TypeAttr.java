package io.hlo4j.mlir.attr;

import io.hlo4j.mlir.types.Type;

/** A type used as an attribute ({@code function_type = (i32) -> i32}). */
public record TypeAttr(Type value) implements Attribute {
    @Override public String toString() { return value.toString(); }
}
