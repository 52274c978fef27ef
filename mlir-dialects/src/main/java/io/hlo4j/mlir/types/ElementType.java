package io.hlo4j.mlir.types;

/** A type that may be the element type of a tensor: integers, floats, complex, index and quantized types. */
public sealed interface ElementType extends Type permits IntegerType, FloatType, ComplexType, IndexType, QuantizedType {
    /** Bytes one element takes in a dense buffer (i1 and sub-byte types take one byte each). */
    int storageBytes();
}
