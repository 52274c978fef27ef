package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Region;

import java.util.List;

/** What a kernel may use besides its operands: the interpreter (for regions and calls), the scope, the process. */
public record Frame(Interpreter interpreter, Scope scope, Process process) {
    /** Evaluates a region with block arguments {@code args}; returns the terminator's operands. */
    public List<RtValue> region(Region r, List<RtValue> args) {
        return interpreter.evalRegion(r, args, scope, process);
    }
}
