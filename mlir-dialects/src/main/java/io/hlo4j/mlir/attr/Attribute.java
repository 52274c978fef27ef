package io.hlo4j.mlir.attr;

/**
 * An MLIR attribute: an immutable, structurally compared value. Core attribute kinds are records in this
 * package; dialect attributes ({@code #stablehlo.dot<...>}, {@code #sdy.sharding<...>}) implement
 * {@link DialectAttribute}. {@code toString()} gives the canonical text.
 */
public interface Attribute {
}
