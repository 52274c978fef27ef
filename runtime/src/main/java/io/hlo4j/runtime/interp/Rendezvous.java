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
 * Where the members of a collective meet: keyed by (group, channel, the caller's sequence number of
 * collectives), each member deposits its operands and gets everyone's back in group order. A member that never
 * arrives ends the wait after a timeout with an error naming the op, its location and the missing devices;
 * a failure on any device aborts every wait at once.
 */
public final class Rendezvous {
    private final long timeoutMillis;
    private final Map<Key, Slot> slots = new ConcurrentHashMap<>();
    private final Map<Process, AtomicInteger> sequence = new ConcurrentHashMap<>();
    private volatile Throwable aborted;

    public Rendezvous(long timeoutMillis) { this.timeoutMillis = timeoutMillis; }

    static long defaultTimeoutMillis() { return Long.getLong("hlo4j.interp.collectiveTimeoutMs", 3000); }

    private record Key(List<Process> group, long channel, int seq) {}

    private static final class Slot {
        final CountDownLatch arrived;
        final Map<Process, List<Tensor>> values = new ConcurrentHashMap<>();
        final AtomicInteger readers;

        Slot(int n) {
            arrived = new CountDownLatch(n);
            readers = new AtomicInteger(n);
        }
    }

    /** Stops every current and future wait: another device failed. */
    public void abort(Throwable cause) { aborted = cause; }

    /** Deposits {@code mine} and returns every member's values, in group order. */
    public List<List<Tensor>> exchange(Operation op, Process self, List<Process> group, long channel, List<Tensor> mine) {
        int seq = sequence.computeIfAbsent(self, p -> new AtomicInteger()).getAndIncrement();
        Key key = new Key(List.copyOf(group), channel, seq);
        Slot slot = slots.computeIfAbsent(key, k -> new Slot(group.size()));
        slot.values.put(self, mine);
        slot.arrived.countDown();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try {
            while (!slot.arrived.await(20, TimeUnit.MILLISECONDS)) {
                if (aborted != null) {
                    throw new InterpreterException(op.name() + " on " + self + " abandoned: another device failed", op.location());
                }
                if (System.nanoTime() > deadline) {
                    List<Process> missing = new ArrayList<>();
                    for (Process p : group) if (!slot.values.containsKey(p)) missing.add(p);
                    throw new InterpreterException(op.name() + " at " + op.location().describe() + " could not complete: devices "
                            + missing + " of group " + group + " never arrived (waited " + timeoutMillis + " ms on " + self + ")",
                            op.location());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterpreterException(op.name() + " interrupted on " + self, op.location());
        }
        List<List<Tensor>> out = new ArrayList<>(group.size());
        for (Process p : group) out.add(slot.values.get(p));
        if (slot.readers.decrementAndGet() == 0) slots.remove(key);
        return out;
    }
}
