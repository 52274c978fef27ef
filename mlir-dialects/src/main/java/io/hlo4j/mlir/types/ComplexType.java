package io.hlo4j.mlir.types;

/** {@code complex<f32>} or {@code complex<f64>} (the only complex types StableHLO has). */
public record ComplexType(FloatType elementType) implements ElementType {
    public static final ComplexType C64 = new ComplexType(FloatType.F32);
    public static final ComplexType C128 = new ComplexType(FloatType.F64);

    @Override public int storageBytes() { return 2 * elementType.storageBytes(); }
    @Override public String toString() { return "complex<" + elementType + ">"; }
}
