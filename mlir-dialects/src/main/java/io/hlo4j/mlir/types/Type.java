package io.hlo4j.mlir.types;

/**
 * An MLIR type. Types are immutable values compared structurally. Dialect types that the core does not
 * model (e.g. {@code !stablehlo.future<...>}) implement {@link DialectType}.
 */
public interface Type {
    /** The canonical MLIR spelling, as upstream's printer writes it. */
    String toString();
}
