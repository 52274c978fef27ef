package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;

/**
 * The thread evaluating a program was interrupted ({@link Thread#interrupt()}): evaluation stopped at its next op, in
 * the collective it waited in, or inside a long kernel, naming where (as {@link DeadlineExceeded} does). The thread's
 * interrupt status is left set, for whoever interrupted it.
 */
public final class EvaluationInterrupted extends InterpreterException {
    /** Where the device stopped: "at OP (loc) ... in @f" or "waiting in OP (loc) ... in @f". */
    private final String where;
    private final int device;

    private EvaluationInterrupted(String where, String here, Operation op, Process p) {
        // the message leaves out the op's own location: it is the exception's, printed before the message
        super("evaluation was interrupted " + here + (p.grid().size() > 1 ? " on device " + p.flatId() : ""), op.location());
        this.where = where;
        this.device = p.flatId();
    }

    static EvaluationInterrupted at(Operation op, Process p, boolean waiting) {
        String how = waiting ? "waiting in " : "at ";
        return new EvaluationInterrupted(how + DeadlineExceeded.where(op, true), how + DeadlineExceeded.where(op, false), op, p);
    }

    /** "device N at OP (loc) ... in @f": one entry of a multi-device run's report. */
    String describeDevice() { return "device " + device + " " + where; }

    int device() { return device; }
}
