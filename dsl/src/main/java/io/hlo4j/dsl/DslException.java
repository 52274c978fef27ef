package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/**
 * A DSL error: the op, the shapes or dtypes involved, and the user's line. The location is a field
 * ({@link #location()}), not part of the message ({@link #detail()}); {@link #getMessage()} appends
 * {@code (at loc)} for callers that print the message alone, while the CLI prints {@code loc: message} from the fields.
 * A call's arguments that do not fit what was traced are the subclass {@link io.hlo4j.dsl.jit.CallArgumentException}.
 */
public class DslException extends Hlo4jException {
    private final String op;

    public DslException(String op, String message, Location loc) {
        super(op + ": " + message, loc);
        this.op = op;
    }

    public DslException(String op, String message, Location loc, Throwable cause) {
        super(op + ": " + message, loc, cause);
        this.op = op;
    }

    /** The DSL operation that refused (the message's first word). */
    public String op() { return op; }

    /** {@code op: message (at loc)}: the message with the location, for a caller that prints only this. */
    @Override public String getMessage() { return detailWithLocation(); }
}
