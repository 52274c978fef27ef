package io.hlo4j.mlir.ir;

/** A verifier error: names the op, its location and the rule broken. */
public class VerificationException extends Hlo4jException {
    private final String opName;

    public VerificationException(String opName, String message, Location location) {
        super("'" + opName + "' op " + message, location);
        this.opName = opName;
    }

    public String opName() { return opName; }
}
