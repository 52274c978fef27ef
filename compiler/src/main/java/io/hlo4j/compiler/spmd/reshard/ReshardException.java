package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/** A reshard that cannot be planned or emitted; the message names the tensor, the dimension, the axes and the sizes. */
public final class ReshardException extends Hlo4jException {
    public ReshardException(String message, Location location) { super(message, location); }
}
