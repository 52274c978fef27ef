package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;

/** A {@code check.*} op or {@code custom_call @check.*} whose condition does not hold. */
public final class CheckFailure extends InterpreterException {
    public CheckFailure(Operation op, String message) {
        super(op.name() + (op.attr("call_target_name") != null ? " " + op.attr("call_target_name") : "")
                + " failed: " + message, op.location());
    }
}
