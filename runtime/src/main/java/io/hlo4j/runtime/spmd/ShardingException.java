package io.hlo4j.runtime.spmd;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/** A sharding that cannot describe the data it is applied to, or replicas that disagree; the message names the values. */
public final class ShardingException extends Hlo4jException {
    public ShardingException(String message) { super(message, Location.UNKNOWN); }
    public ShardingException(String message, Location location) { super(message, location); }
}
