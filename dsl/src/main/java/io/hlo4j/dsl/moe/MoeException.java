package io.hlo4j.dsl.moe;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/** A MoE configuration or argument error; the message names the key or argument and the offending value. */
public final class MoeException extends Hlo4jException {
    private final String reason;

    public MoeException(String message) {
        super(message, Location.UNKNOWN);
        this.reason = message;
    }

    public MoeException(String message, Throwable cause) {
        super(message, Location.UNKNOWN, cause);
        this.reason = message;
    }

    /** An error at a user's source location (while tracing: the caller of the MoE layer), named in getMessage() as DslException does. */
    public MoeException(String message, Location location) {
        super(message, location);
        this.reason = message;
    }

    /** The message without the location: for a caller whose own code the location would name (the CLI). */
    public String reason() { return reason; }

    /** The message, with {@code (at loc)} when located, for a caller that prints only this; {@link #detail()} is without. */
    @Override public String getMessage() {
        return location() instanceof Location.Unknown ? detail() : detail() + " (at " + location().describe() + ")";
    }
}
