package io.hlo4j.mlir.types;

/** MLIR's {@code index} type (only in shape-dialect and dynamic code). Stored as 64-bit. */
public record IndexType() implements ElementType {
    public static final IndexType INSTANCE = new IndexType();
    @Override public int storageBytes() { return 8; }
    @Override public String toString() { return "index"; }
}
