package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;

/**
 * The thread evaluating a program was interrupted ({@link Thread#interrupt()}): evaluation stopped at its next op, in
 * the collective it waited in, or inside a long kernel, naming where (as {@link DeadlineExceeded} does). The thread's
 * interrupt status is left set, for whoever interrupted it.
 */
public final class EvaluationInterrupted extends InterpreterException {
    private EvaluationInterrupted(String message, Operation op) { super(message, op.location()); }

    static EvaluationInterrupted at(Operation op, Process p, boolean waiting) {
        return new EvaluationInterrupted("evaluation was interrupted " + (waiting ? "waiting in " : "at ") + DeadlineExceeded.where(op)
                + (p.grid().size() > 1 ? " on device " + p.flatId() : ""), op);
    }
}
