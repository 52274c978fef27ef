package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/**
 * {@link Executable#call} was given arguments that do not fit the entry function: another count, or an argument of
 * another type (shape or element type), named by its position. Nothing ran. A service catches this type to answer a bad
 * request, apart from the program's own failures.
 */
public final class ArgumentMismatchException extends Hlo4jException {
    public ArgumentMismatchException(String message, Location location) { super(message, location); }
}
