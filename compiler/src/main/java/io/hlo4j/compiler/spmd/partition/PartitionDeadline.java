package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.SymbolTable;

import java.util.function.Consumer;

/**
 * A deadline on partitioning (propagation and the partitioner), checked cooperatively: before each op the partitioner
 * rewrites and before each propagation pass. A caller bounds the work by running it in {@link #within}; past the
 * deadline it stops where it was with {@link Exceeded} naming the op. The work runs on the caller's own thread, so no
 * thread is left behind when it stops; without {@link #within} the checks cost one unbound-value test.
 */
public final class PartitionDeadline {
    private static final ScopedValue<Long> DEADLINE = ScopedValue.newInstance();
    private static final ScopedValue<Consumer<Operation>> PROBE = ScopedValue.newInstance();

    private PartitionDeadline() {}

    /** Runs {@code work} with the deadline {@code deadlineNanos} (a {@link System#nanoTime()} value) on its checks. */
    public static <T, X extends Throwable> T within(long deadlineNanos, ScopedValue.CallableOp<T, X> work) throws X {
        return ScopedValue.where(DEADLINE, deadlineNanos).call(work);
    }

    /** The partitioner is about to rewrite {@code op}: stops there when past the deadline. */
    public static void check(Operation op) {
        if (PROBE.isBound()) PROBE.get().accept(op);
        if (DEADLINE.isBound() && System.nanoTime() - DEADLINE.get() >= 0)
            throw new Exceeded("partitioning ran past its deadline at " + where(op), op.location());
    }

    /** Propagation is about to start {@code pass} of its fixpoint: stops there when past the deadline. */
    public static void checkPropagation(int pass) {
        if (DEADLINE.isBound() && System.nanoTime() - DEADLINE.get() >= 0)
            throw new Exceeded("partitioning ran past its deadline in sharding propagation, before pass " + pass + " of its fixpoint",
                    Location.UNKNOWN);
    }

    /**
     * Test seam: runs {@code work} with {@code p} called on each op the partitioner checks (to make partitioning slow
     * enough to meet a deadline). Scoped to {@code work} on this thread, so it cannot slow another partitioning in the
     * same JVM.
     */
    public static <T, X extends Throwable> T probing(Consumer<Operation> p, ScopedValue.CallableOp<T, X> work) throws X {
        return ScopedValue.where(PROBE, p).call(work);
    }

    /** Partitioning stopped at its deadline; the location is the op it was about to rewrite. */
    public static final class Exceeded extends Hlo4jException {
        Exceeded(String message, Location location) { super(message, location); }
    }

    /** "OP in OUTER (loc) ... in @f": the op's own location is the exception's, printed before the message. */
    private static String where(Operation op) {
        StringBuilder b = new StringBuilder(op.name());
        for (Operation outer = enclosing(op); outer != null; outer = enclosing(outer)) {
            if (outer.name().equals("func.func")) return b.append(" in @").append(SymbolTable.symbolName(outer)).toString();
            b.append(" in ").append(outer.name()).append(" (").append(outer.location().describe()).append(')');
        }
        return b.toString();
    }

    private static Operation enclosing(Operation op) {
        return op.parent() == null || op.parent().parent() == null ? null : op.parent().parent().parent();
    }
}
