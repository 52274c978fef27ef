package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.SymbolTable;

import java.util.ArrayList;
import java.util.List;

/**
 * Evaluation passed the interpreter's deadline ({@link Interpreter#setDeadline}). Says where each device still running
 * was stopped: the op it was about to evaluate (or the collective it was waiting in), its location, and the ops and
 * function enclosing it, so a loop that never ends is found by its line.
 */
public final class DeadlineExceeded extends InterpreterException {
    /** One device stopped at the deadline: {@code waiting} when it was blocked in a collective rather than computing. */
    public record Stopped(Process process, String op, Location location, String where, boolean waiting) {
        /** "at OP (loc) in OUTER (loc) in @f", or "waiting in OP (loc) ..." for a device blocked in a collective. */
        public String describe() { return (waiting ? "waiting in " : "at ") + where; }
    }

    private final List<Stopped> stopped;
    private final int devices;

    private DeadlineExceeded(String message, Location location, List<Stopped> stopped, int devices) {
        super(message, location);
        this.stopped = List.copyOf(stopped);
        this.devices = devices;
    }

    /** The devices stopped at the deadline, in device order. */
    public List<Stopped> stopped() { return stopped; }

    /** How many devices the run had (1 for a single-device run). */
    public int devices() { return devices; }

    /** One device stopped at {@code op}. */
    static DeadlineExceeded at(Operation op, Process p, boolean waiting) {
        Stopped s = new Stopped(p, op.name(), op.location(), where(op, true), waiting);
        // the op's own location is the exception's (printed before the message), so the message names only the ops around it
        String here = (waiting ? "waiting in " : "at ") + where(op, false);
        return new DeadlineExceeded("evaluation ran past its deadline " + here, op.location(), List.of(s), p.grid().size());
    }

    /**
     * The devices of one run stopped at the deadline, as one failure: every stopped device with where it was. The
     * location is that of the first device found computing (the likelier culprit than one waiting for it).
     */
    static DeadlineExceeded of(List<DeadlineExceeded> perDevice, int devices) {
        List<Stopped> all = new ArrayList<>();
        for (DeadlineExceeded e : perDevice) all.addAll(e.stopped);
        all.sort(java.util.Comparator.comparingInt(s -> s.process().flatId()));
        if (devices == 1 && all.size() == 1) return perDevice.get(0);
        Location loc = all.get(0).location();
        for (Stopped s : all) {
            if (!s.waiting()) {
                loc = s.location();
                break;
            }
        }
        StringBuilder m = new StringBuilder("evaluation ran past its deadline on " + all.size() + " of " + devices + " simulated devices: ");
        for (int i = 0; i < all.size(); i++) {
            Stopped s = all.get(i);
            if (i > 0) m.append("; ");
            m.append("device ").append(s.process().flatId()).append(' ').append(s.describe());
        }
        return new DeadlineExceeded(m.toString(), loc, all, devices);
    }

    /** "OP (loc) in OUTER (loc) ... in @f": the op and what encloses it, up to its function; "OP in ..." without its own location. */
    static String where(Operation op, boolean ownLocation) {
        StringBuilder b = new StringBuilder(ownLocation ? op.name() + " (" + op.location().describe() + ")" : op.name());
        Operation outer = enclosing(op);
        while (outer != null) {
            if (outer.name().equals("func.func")) {
                b.append(" in @").append(SymbolTable.symbolName(outer));
                break;
            }
            b.append(" in ").append(outer.name()).append(" (").append(outer.location().describe()).append(')');
            outer = enclosing(outer);
        }
        return b.toString();
    }

    private static Operation enclosing(Operation op) {
        return op.parent() == null || op.parent().parent() == null ? null : op.parent().parent().parent();
    }
}
