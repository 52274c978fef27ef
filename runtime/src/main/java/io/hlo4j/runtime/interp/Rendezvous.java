package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the members of a collective meet: keyed by (op, group, channel, the caller's sequence number of
 * collectives), each member deposits its operands and gets everyone's back in group order. A wait fails, naming
 * the op, its location and the missing devices, as soon as a missing device has finished its program, or when
 * every live device has been blocked for the timeout (no one can make progress); a device that is merely slow
 * (still computing) is waited for. A failure on any device aborts every wait at once, and stops every device still
 * computing at its next op ({@link Interpreter#checkStop}, which waits here also check for the run's deadline).
 */
public final class Rendezvous {
    private final long timeoutMillis;
    private final int devices;
    /** The slot each device waits in now. A device counts as stuck only while its slot is incomplete: a counter of
     *  waiting threads also counted one whose slot had just completed but which had not woken yet (a flake under load). */
    private final Map<Process, Slot> waiting = new ConcurrentHashMap<>();
    private final java.util.Set<Process> finished = ConcurrentHashMap.newKeySet();
    private final Map<Key, Slot> slots = new ConcurrentHashMap<>();
    private final Map<Process, AtomicInteger> sequence = new ConcurrentHashMap<>();
    private volatile Throwable aborted;

    /** Test hook: sees each poll of a device's wait, and its collective complete while it still counts as waiting. */
    interface Probe {
        default void polled(Process self) {}
        default void completed(Process self) {}
        /** A poll saw these members missing, before it asks whether any of them finished its program. */
        default void sawMissing(Process self, List<Process> missing) {}
    }

    volatile Probe probe = new Probe() {};

    public Rendezvous(long timeoutMillis, int devices) {
        this.timeoutMillis = timeoutMillis;
        this.devices = devices;
    }

    /** Records that {@code p} finished its program (it will reach no further collective). */
    public void finished(Process p) { finished.add(p); }

    static long defaultTimeoutMillis() { return Long.getLong("hlo4j.interp.collectiveTimeoutMs", 3000); }

    private record Key(String op, List<Process> group, long channel, int seq) {}

    private static final class Slot {
        final CountDownLatch arrived;
        final Map<Process, List<Tensor>> values = new ConcurrentHashMap<>();
        final AtomicInteger readers;

        Slot(int n) {
            arrived = new CountDownLatch(n);
            readers = new AtomicInteger(n);
        }
    }

    /** Stops every current and future wait, and every device of the run at its next op: another device failed. */
    public void abort(Throwable cause) { aborted = cause; }

    /** Whether {@link #abort} was called. */
    public boolean aborted() { return aborted != null; }

    /**
     * Set before the devices' threads are interrupted one by one (the run's caller was interrupted): a device counts
     * as interrupted from here on, even before its own thread's interrupt arrives. Otherwise a device interrupted
     * first could fail, abort the run, and a device not yet interrupted would report only an abandoned wait.
     */
    private volatile boolean interrupted;

    /** Marks every device of the run as interrupted ({@link Interpreter#checkStop} then stops each at its next check). */
    void interruptAll() { interrupted = true; }

    /** Whether {@link #interruptAll} was called. */
    boolean interrupted() { return interrupted; }

    /** The reason a device that gives up because another failed reports (RunParallel tells these from root failures). */
    static final String ABANDONED = "another device failed";

    /** What a device that gives up because another failed reports. */
    static InterpreterException abandoned(Operation op, Process self) {
        return new InterpreterException(op.name() + " on " + self + " abandoned: " + ABANDONED, op.location());
    }

    /** Devices waiting in a collective that still lacks a member. */
    private int stuck() {
        int n = 0;
        for (Slot s : waiting.values()) if (s.arrived.getCount() > 0) n++;
        return n;
    }

    /** Devices waiting in a recv or infeed (HostTransferKernels) for a value nobody has sent yet. */
    private final java.util.Set<Process> waitingForTransfer = ConcurrentHashMap.newKeySet();

    /** Marks {@code p} as waiting (or no longer) for a recv/infeed value: it then counts as blocked, like a collective wait. */
    void waitingForTransfer(Process p, boolean waits) {
        if (waits) waitingForTransfer.add(p);
        else waitingForTransfer.remove(p);
    }

    /** Whether no device can make progress: each is blocked in a wait that lacks a partner, or finished. */
    boolean nobodyCanProgress() { return stuck() + waitingForTransfer.size() + finished.size() >= devices; }

    /** How long every device may stay blocked before a wait gives up. */
    long timeoutMillis() { return timeoutMillis; }

    /**
     * Deposits {@code mine} and returns every member's values, in group order; the wait stops, naming the collective
     * this device waits in, at {@code interp}'s deadline or when another device of the run failed.
     */
    public List<List<Tensor>> exchange(Operation op, Process self, List<Process> group, long channel, List<Tensor> mine,
                                       Interpreter interp) {
        int seq = sequence.computeIfAbsent(self, p -> new AtomicInteger()).getAndIncrement();
        Key key = new Key(op.name(), List.copyOf(group), channel, seq);
        Slot slot = slots.computeIfAbsent(key, k -> new Slot(group.size()));
        slot.values.put(self, mine);
        slot.arrived.countDown();
        long stuckSince = -1;
        waiting.put(self, slot);
        try {
            while (!slot.arrived.await(20, TimeUnit.MILLISECONDS)) {
                probe.polled(self);
                interp.checkStop(op, self, true);
                List<Process> missing = new ArrayList<>();
                for (Process p : group) if (!slot.values.containsKey(p)) missing.add(p);
                probe.sawMissing(self, missing);
                for (Process p : missing) {
                    // finished first, deposit second: a member deposits before it can finish, so one that finished
                    // and has still not deposited never will. The snapshot in 'missing' alone may be stale: under
                    // load a member can deposit, complete the collective and finish its program between the two reads.
                    if (finished.contains(p) && !slot.values.containsKey(p)) {
                        // A device that failed is marked finished too (after it aborted the run). If it failed at the
                        // deadline set since this poll's checkStop, or aborted, that is this device's reason to stop
                        // as well: check again, so a deadline is not reported as a partner that "never arrived".
                        interp.checkStop(op, self, true);
                        throw new InterpreterException(op.name() + " could not complete: devices "
                                + missing + " of group " + group + " never arrived (" + p + " finished its program; waiting on "
                                + self + ")", op.location());
                    }
                }
                long now = System.nanoTime();
                if (nobodyCanProgress()) {
                    if (stuckSince < 0) stuckSince = now;
                    else if (now - stuckSince > TimeUnit.MILLISECONDS.toNanos(timeoutMillis)) {
                        interp.checkStop(op, self, true); // a stop since this poll's check comes first (as above)
                        throw new InterpreterException(op.name() + " could not complete: devices "
                                + missing + " of group " + group + " never arrived (every device blocked for " + timeoutMillis
                                + " ms; waiting on " + self + ")", op.location());
                    }
                } else {
                    stuckSince = -1;
                }
            }
            probe.completed(self);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EvaluationInterrupted.at(op, self, true);
        } finally {
            waiting.remove(self);
        }
        List<List<Tensor>> out = new ArrayList<>(group.size());
        for (Process p : group) out.add(slot.values.get(p));
        if (slot.readers.decrementAndGet() == 0) slots.remove(key);
        return out;
    }
}
