package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.types.Type;

/**
 * An SSA value: a block argument or an operation result. Values have identity (two values with the same
 * type are different values); the IR that holds them is immutable once built.
 */
public sealed interface Value permits BlockArgument, OpResult {
    Type type();
}
