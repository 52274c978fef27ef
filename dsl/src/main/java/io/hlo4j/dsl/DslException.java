package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/** A DSL error: the op, the shapes or dtypes involved, and the user's line (also written into the message). */
public final class DslException extends Hlo4jException {
    public DslException(String op, String message, Location loc) {
        super(op + ": " + message + " (at " + loc.describe() + ")", loc);
    }

    public DslException(String op, String message, Location loc, Throwable cause) {
        super(op + ": " + message + " (at " + loc.describe() + ")", loc, cause);
    }
}
