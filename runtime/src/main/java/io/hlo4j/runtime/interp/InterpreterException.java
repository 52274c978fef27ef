package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;

/** A failure while evaluating a program: names the op and its location. */
public class InterpreterException extends Hlo4jException {
    public InterpreterException(String message, Location location) { super(message, location); }

    public InterpreterException(String message, Location location, Throwable cause) { super(message, location, cause); }

    /** "OP: message" at the op's location. */
    public static InterpreterException at(Operation op, String message) {
        return new InterpreterException(op.name() + ": " + message, op.location());
    }
}
