package io.hlo4j.dsl.moe;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/**
 * A MoE configuration or argument error; the message names the key or argument and the offending value. As with
 * DslException, {@link #detail()} is the message without the location.
 */
public final class MoeException extends Hlo4jException {
    public MoeException(String message) {
        super(message, Location.UNKNOWN);
    }

    public MoeException(String message, Throwable cause) {
        super(message, Location.UNKNOWN, cause);
    }

    /** An error at a user's source location (while tracing: the caller of the MoE layer), named in getMessage() as DslException does. */
    public MoeException(String message, Location location) {
        super(message, location);
    }

    /** The message, with {@code (at loc)} when located, for a caller that prints only this; {@link #detail()} is without. */
    @Override public String getMessage() { return detailWithLocation(); }
}
