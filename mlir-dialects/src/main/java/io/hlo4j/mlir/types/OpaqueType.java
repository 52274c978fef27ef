package io.hlo4j.mlir.types;

/**
 * A type the core does not model, kept as its exact text so it round-trips: {@code !dialect.name<body>},
 * or builtin types hlo4j never computes with such as {@code memref<...>} and {@code vector<...>}.
 */
public record OpaqueType(String text) implements Type {
    @Override public String toString() { return text; }
}
