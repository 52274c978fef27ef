package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.runtime.array.HostArray;

import java.util.List;

/**
 * {@link Executable#call} was given arguments that do not fit the entry function: another count, a null, or an argument
 * of another type (shape or element type), named by its position. Nothing ran. A service catches this type to answer a
 * bad request, apart from the program's own failures.
 */
public final class ArgumentMismatchException extends Hlo4jException {
    /** Whether {@link #getMessage()} ends with the location: set where a caller's line was given ({@link #restated}). */
    private final boolean messageNamesLocation;

    public ArgumentMismatchException(String message, Location location) {
        super(message, location);
        this.messageNamesLocation = false;
    }

    private ArgumentMismatchException(String message, Location location, ArgumentMismatchException cause) {
        super(message, location, cause);
        this.messageNamesLocation = true;
    }

    /**
     * The same refusal told by a caller that knows more: {@code prefix} before this message (the function's name) and
     * {@code callerLine} (the user's line that made the call) as the location, which {@link #getMessage()} then ends
     * with, as the DSL's errors do. This one is the cause.
     */
    public ArgumentMismatchException restated(String prefix, Location callerLine) {
        return new ArgumentMismatchException(prefix + detail(), callerLine, this);
    }

    /** The message; a restated one ends with {@code (at File.java:line:0)}, the caller's line. */
    @Override public String getMessage() { return messageNamesLocation ? detailWithLocation() : detail(); }

    /** The check every backend makes before a call: {@code args} against {@code entry}'s signature {@code sig}, by position. */
    static void check(Operation entry, FunctionType sig, List<HostArray> args) {
        List<Type> want = sig.inputs();
        if (args.size() != want.size())
            throw new ArgumentMismatchException("entry function takes " + want.size() + " arguments " + want + ", got " + args.size(), entry.location());
        for (int i = 0; i < args.size(); i++) {
            HostArray a = args.get(i);
            if (a == null)
                throw new ArgumentMismatchException("argument #" + i + " is null; the entry function expects " + want.get(i), entry.location());
            if (!a.type().equals(want.get(i)))
                throw new ArgumentMismatchException("argument #" + i + " is " + a.type() + " but the entry function expects " + want.get(i), entry.location());
        }
    }
}
