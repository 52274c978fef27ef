package io.hlo4j.mlir.types;

/** A floating-point element type of one of the spec's formats. */
public record FloatType(FloatKind kind) implements ElementType {
    public static final FloatType BF16 = new FloatType(FloatKind.BF16);
    public static final FloatType F16 = new FloatType(FloatKind.F16);
    public static final FloatType F32 = new FloatType(FloatKind.F32);
    public static final FloatType F64 = new FloatType(FloatKind.F64);

    public int bitWidth() { return kind.bitWidth(); }
    @Override public int storageBytes() { return kind.storageBytes(); }
    @Override public String toString() { return kind.mnemonic(); }
}
