package io.hlo4j.dsl.jit;

import io.hlo4j.dsl.DslException;
import io.hlo4j.mlir.ir.Location;

/**
 * {@link Compiled#callTree} (and so a typed {@code call} on a compiled program) was given arguments that do not fit what
 * was traced: another structure, a leaf that is not a {@code HostArray}, a null, or an array of another shape or dtype,
 * named by its path ({@code args[0].w2}). Nothing ran. Its {@link #op()} is {@code call}. A service catches this type to
 * answer a bad request, apart from the program's own failures.
 */
public final class CallArgumentException extends DslException {
    public CallArgumentException(String message, Location location) { super("call", message, location); }

    public CallArgumentException(String message, Location location, Throwable cause) { super("call", message, location, cause); }
}
