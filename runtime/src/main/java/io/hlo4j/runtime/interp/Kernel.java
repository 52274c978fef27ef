package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;

import java.util.List;

/**
 * The interpreter's implementation of one op: given the op (for attributes, regions, result types) and its
 * evaluated operands, returns its results in order. Attached to the op's {@code OpDef} by {@link Kernels}.
 */
@FunctionalInterface
public interface Kernel {
    List<RtValue> eval(Operation op, List<RtValue> args, Frame frame);
}
