package io.hlo4j.mlir.attr;

/**
 * An attribute the core does not model, kept as its exact canonical text ({@code #foo.bar<...>}, affine
 * maps, ...), so modules from other tools round-trip without hlo4j understanding them.
 */
public record OpaqueAttr(String text) implements Attribute {
    @Override public String toString() { return text; }
}
