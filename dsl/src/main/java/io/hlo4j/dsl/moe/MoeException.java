package io.hlo4j.dsl.moe;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/** A MoE configuration or argument error; the message names the key or argument and the offending value. */
public final class MoeException extends Hlo4jException {
    public MoeException(String message) {
        super(message, Location.UNKNOWN);
    }

    public MoeException(String message, Throwable cause) {
        super(message, Location.UNKNOWN, cause);
    }

    /** An error at a user's source location (while tracing: the caller of the MoE layer), named in the message as DslException does. */
    public MoeException(String message, Location location) {
        super(location instanceof Location.Unknown || location == null ? message : message + " (at " + location.describe() + ")", location);
    }
}
