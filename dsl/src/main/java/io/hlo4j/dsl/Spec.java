package io.hlo4j.dsl;

import io.hlo4j.mlir.types.TensorType;

/** The shape and dtype of a traced argument (what jit specialises on), without data. */
public record Spec(Shape shape, DType dtype) {
    public static Spec of(DType dtype, long... dims) { return new Spec(Shape.of(dims), dtype); }

    public TensorType tensorType() { return TensorType.of(dtype.elementType(), shape.dims()); }

    public static Spec of(TensorType t) { return new Spec(new Shape(t.shape()), DType.of(t.elementType())); }

    @Override public String toString() { return dtype + shape.toString(); }
}
