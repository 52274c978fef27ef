package io.hlo4j.mlir.types;

/** MLIR's builtin {@code none} type. */
public record NoneType() implements Type {
    public static final NoneType INSTANCE = new NoneType();
    @Override public String toString() { return "none"; }
}
