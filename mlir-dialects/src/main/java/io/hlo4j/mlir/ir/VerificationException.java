package io.hlo4j.mlir.ir;

/** A verifier error: names the op, its location and the rule broken. */
public class VerificationException extends Hlo4jException {
    private final String opName;

    public VerificationException(String opName, String message, Location location) {
        super("'" + opName + "' op " + message, location);
        this.opName = opName;
    }

    private VerificationException(VerificationException e, Location location) {
        super(e.detail(), location, e.getCause());
        this.opName = e.opName;
    }

    public String opName() { return opName; }

    /** The same error at {@code location}: for an op whose own location is unknown (JAX writes loc(unknown) on functions). */
    public VerificationException at(Location location) { return new VerificationException(this, location); }
}
