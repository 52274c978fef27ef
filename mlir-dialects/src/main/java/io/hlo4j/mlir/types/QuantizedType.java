package io.hlo4j.mlir.types;

import java.util.List;

/**
 * {@code !quant.uniform<storage[<min:max>]:expressed[:axis], scale[:zeroPoint] | {s:z, ...}>}: per-tensor when
 * {@code quantizedDimension} is empty and there is one scale, per-axis otherwise.
 *
 * @param storageMin  explicit storage range minimum, or null for the storage type's full range
 * @param storageMax  explicit storage range maximum, or null
 */
public record QuantizedType(IntegerType storageType, Long storageMin, Long storageMax, FloatType expressedType,
                            Integer quantizedDimension, List<Double> scales, List<Long> zeroPoints)
        implements ElementType {
    public QuantizedType {
        scales = List.copyOf(scales);
        zeroPoints = List.copyOf(zeroPoints);
        if (scales.size() != zeroPoints.size()) throw new IllegalArgumentException("scales and zero points differ in count");
    }

    public boolean isPerAxis() { return quantizedDimension != null; }

    @Override public int storageBytes() { return storageType.storageBytes(); }

    @Override public String toString() { return TypePrinting.quantized(this); }
}
