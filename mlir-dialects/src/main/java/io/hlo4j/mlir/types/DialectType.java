package io.hlo4j.mlir.types;

/**
 * A type owned by a dialect and spelled {@code !dialect.name<body>} (or {@code !dialect<"body">}).
 * Dialects that model a type structurally implement this interface; unknown ones parse as {@link OpaqueType}.
 */
public interface DialectType extends Type {
    /** e.g. "stablehlo.future". */
    String name();
}
