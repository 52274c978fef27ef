package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.pjrt.PjrtErrorCode;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One process of a multi-process job, as {@code jax.distributed.initialize(coordinator_address, num_processes,
 * process_id)} sets it up: process 0 hosts the {@link KeyValueCoordinator} on the address's port, every process
 * (process 0 too) reaches it through a {@link TcpKeyValueStore}, and {@link #initialize} returns once all
 * {@code numProcesses} processes have announced themselves, or fails naming those that did not within the timeout.
 * Two processes claiming the same id, or disagreeing on the process count, are refused by name.
 *
 * <p>The plugin gets {@link #store()} at client creation and {@link #clientOptions()} (the CUDA plugin's
 * {@code node_id} and {@code num_nodes}). hlo4j's own keys start with {@code hlo4j/}. A process that fails after
 * joining says so with {@link #fail}, and the others' waits on {@link #store()} end naming it. {@link #close()} waits
 * (up to the timeout, once for all) for every process to close before process 0 stops the coordinator, so no process
 * loses it mid-run. The store has no authentication: anyone who can reach the coordinator's port can read and write
 * the job's keys.
 */
public final class DistributedProcess implements AutoCloseable {
    private final int processId, numProcesses;
    private final Duration timeout;
    private final KeyValueCoordinator coordinator;   // process 0 only
    private final TcpKeyValueStore raw;
    private final JobStore store;
    private boolean closed, failed;
    /** Processes whose announcement this one read (for process 0: whom to let end before it stops the coordinator when joining fails). */
    private final List<Integer> announced = new ArrayList<>();
    /** Processes a wait of this one ran out on: close() does not wait for them again. */
    private final java.util.Set<Integer> gone = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private boolean announcedSelf;

    private DistributedProcess(int processId, int numProcesses, Duration timeout, KeyValueCoordinator coordinator, TcpKeyValueStore raw) {
        this.processId = processId;
        this.numProcesses = numProcesses;
        this.timeout = timeout;
        this.coordinator = coordinator;
        this.raw = raw;
        this.store = new JobStore(raw, processId, numProcesses, timeout);
    }

    /** Joins the job {@code spec} describes (see {@link #initialize(String, int, int, Duration)}). */
    public static DistributedProcess initialize(JobSpec spec) {
        return initialize(spec.coordinator(), spec.numProcesses(), spec.processId(), spec.timeout());
    }

    /**
     * Joins the job: {@code coordinator} is {@code HOST:PORT} of process 0 (which listens on that port), the same for
     * every process; {@code timeout} bounds reaching the coordinator and, once, the wait for all the others (not one
     * timeout each). A process that does not come is named, every missing one, with the coordinator.
     */
    public static DistributedProcess initialize(String coordinator, int numProcesses, int processId, Duration timeout) {
        if (numProcesses < 1) throw new IllegalArgumentException("number of processes " + numProcesses + " < 1");
        if (processId < 0 || processId >= numProcesses)
            throw new IllegalArgumentException("process id " + processId + " is not in [0, " + numProcesses + ")");
        CoordinatorAddress address = CoordinatorAddress.parse("coordinator address", coordinator);   // before anything listens
        TcpKeyValueStore probe = new TcpKeyValueStore(coordinator, timeout);
        KeyValueCoordinator hosted = null;
        if (processId == 0) hosted = KeyValueCoordinator.start(address.port());
        DistributedProcess p = new DistributedProcess(processId, numProcesses, timeout, hosted, probe);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            p.announce();
            return p;
        } catch (RuntimeException e) {
            // Tell the others (their joins end naming this one's fault), and, on process 0, let every process that announced
            // itself read that before the coordinator stops: each then names the job's fault, not a coordinator that went
            // away. Processes that did not come are not a fault of this one: a process other than 0 that waited them out
            // only says it has ended (the others name them themselves). Process 0 is different: its coordinator stops
            // now, under processes that joined later and whose own deadlines are later, so it posts its message (which
            // names the missing processes) as the job's failure for them to report.
            if (p.announcedSelf) {
                boolean missingOthers = e instanceof KeyValueException k && k.code() == PjrtErrorCode.DEADLINE_EXCEEDED;
                if (missingOthers && hosted == null) p.ended();
                else p.fail(e.getMessage());
            }
            if (hosted != null) {
                try {
                    p.awaitEnds(p.announced, Math.max(deadline, System.nanoTime() + JobStore.SLICE.toNanos() * 2));
                } catch (RuntimeException waiting) {
                    e.addSuppressed(waiting);
                } finally {
                    hosted.close();
                }
            }
            throw e;
        }
    }

    /** Puts {@code hlo4j/closed/<id>}, best effort: a coordinator that is gone has no one left to tell. */
    private void ended() {
        try {
            raw.put("hlo4j/closed/" + processId, new byte[] {1});
        } catch (KeyValueException e) {
            // the coordinator has stopped: the others fail on it too
        }
    }

    /**
     * Waits, until {@code deadline} (nanoTime), for each of {@code ids} to end: to put {@code hlo4j/closed/<q>} or its
     * failure; returns those that did neither.
     */
    private List<Integer> awaitEnds(List<Integer> ids, long deadline) {
        List<Integer> missing = new ArrayList<>();
        for (int q : ids) {
            while (true) {
                if (raw.tryGet(JobStore.FAILED + q).isPresent()) break;
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    missing.add(q);
                    break;
                }
                try {
                    raw.get("hlo4j/closed/" + q, Duration.ofNanos(Math.min(left, JobStore.SLICE.toNanos() / 4)));
                    break;
                } catch (KeyValueException e) {
                    if (e.code() != PjrtErrorCode.DEADLINE_EXCEEDED) throw e;
                }
            }
        }
        return missing;
    }

    /**
     * Puts this process's id (with the count it was told) and waits, within one deadline, for every other's, checking they
     * agree; names every process that has not come when the deadline passes.
     */
    private void announce() {
        String mine = "processes=" + numProcesses + " instance=" + UUID.randomUUID();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            raw.put("hlo4j/process/" + processId, mine.getBytes(StandardCharsets.UTF_8));
            announcedSelf = true;
            raw.joined();   // the coordinator answered: from here on, one that refuses connections is gone, fail fast
        } catch (KeyValueException e) {
            if (e.code() != PjrtErrorCode.UNAVAILABLE || processId == 0) throw e;
            throw new KeyValueException(e.code(), "process " + processId + " of " + numProcesses + ": cannot reach " + store.describe()
                    + ", which process 0 hosts, within " + timeout.toMillis() + " ms (is process 0 started, with the same coordinator?): " + e.detail(), e);
        }
        List<Integer> missing = new ArrayList<>();
        for (int q = 0; q < numProcesses; q++) {
            if (q == processId) continue;
            String theirs;
            try {
                // through the job's store: a process that failed (and said so) ends this wait at once, by name
                theirs = new String(store.get("hlo4j/process/" + q, Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))), StandardCharsets.UTF_8);
            } catch (KeyValueException e) {
                if (e.code() != PjrtErrorCode.DEADLINE_EXCEEDED) throw e;
                missing.add(q);
                continue;
            }
            int space = theirs.indexOf(' ');
            if (!theirs.startsWith("processes=") || space < 0 || !theirs.startsWith(" instance=", space))
                throw new KeyValueException(PjrtErrorCode.FAILED_PRECONDITION, "process " + q + "'s key 'hlo4j/process/" + q + "' in " + store.describe()
                        + " holds '" + (theirs.length() > 80 ? theirs.substring(0, 80) + "..." : theirs)
                        + "', not an hlo4j process's announcement (another program on the coordinator's port?)");
            announced.add(q);
            String count = theirs.substring(0, space);
            if (!count.equals("processes=" + numProcesses))
                throw new KeyValueException(PjrtErrorCode.FAILED_PRECONDITION, "process " + q + " joined " + store.describe() + " with " + count
                        + ", this process (" + processId + ") with processes=" + numProcesses + ": every process must be given the same count");
        }
        if (!missing.isEmpty())
            throw new KeyValueException(PjrtErrorCode.DEADLINE_EXCEEDED, "process " + processId + " of " + numProcesses + ": " + processes(missing)
                    + " did not join through " + store.describe() + " within " + timeout.toMillis()
                    + " ms (is every process of the job started, with the same coordinator?)", null, missing);
    }

    /** {@code process 1} or {@code processes [1, 3]}. */
    static String processes(List<Integer> ids) { return ids.size() == 1 ? "process " + ids.getFirst() : "processes " + ids; }

    public int processId() { return processId; }

    public int numProcesses() { return numProcesses; }

    /** The job's store: what {@code PJRT_Client_Create}'s key-value callbacks reach. */
    public KeyValueStore store() { return store; }

    /** {@code node_id} and {@code num_nodes}: the create options with which JAX tells the CUDA plugin its place in the job. */
    public Map<String, Object> clientOptions() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node_id", (long) processId);
        m.put("num_nodes", (long) numProcesses);
        return m;
    }

    /**
     * Tells the other processes that this one failed ({@code hlo4j/failed/<id>} = {@code message}), so that their waits on
     * {@link #store()} end naming it rather than running out the timeout. Best effort: a coordinator that is gone is what
     * the others will see anyway. Only the first failure is put.
     */
    public void fail(String message) { fail(message, List.of()); }

    /**
     * As {@link #fail(String)}, for a failure that was a wait running out on the processes {@code missing}
     * ({@link KeyValueException#missing()}): {@link #close()} does not wait for them again.
     */
    public synchronized void fail(String message, List<Integer> missing) {
        gone.addAll(missing);
        if (failed) return;
        failed = true;
        try {
            raw.put(JobStore.FAILED + processId, String.valueOf(message).getBytes(StandardCharsets.UTF_8));
        } catch (KeyValueException e) {
            // the coordinator is unreachable: every other process fails on it too
        }
    }

    /**
     * Announces this process's end (best effort after its failure, which already ended process 0's wait for it);
     * process 0 waits for every other one before it stops the coordinator, all of them within one timeout (not one
     * each), and names those that did not end in time (DEADLINE_EXCEEDED). A process that
     * has put its failure ends the wait for it; one that a wait of this process already ran out on
     * ({@link #fail(String, List)}) is not waited for again.
     */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            // a process that has put its failure is not waited for: process 0 may already have stopped the coordinator
            if (failed) ended();
            else raw.put("hlo4j/closed/" + processId, new byte[] {1});
            if (coordinator != null) {
                List<Integer> others = new ArrayList<>();
                for (int q = 1; q < numProcesses; q++) if (!gone.contains(q)) others.add(q);
                List<Integer> missing = awaitEnds(others, System.nanoTime() + timeout.toNanos());
                if (!missing.isEmpty())
                    throw new KeyValueException(PjrtErrorCode.DEADLINE_EXCEEDED, "process 0 of " + numProcesses + ": " + processes(missing)
                            + " did not finish within " + timeout.toMillis() + " ms; " + store.describe() + " stops now (has "
                            + (missing.size() == 1 ? "it" : "one of them") + " stopped or hung?)", null, missing);
            }
        } finally {
            if (coordinator != null) coordinator.close();
        }
    }

    @Override public String toString() { return "process " + processId + " of " + numProcesses + " (" + store.describe() + ")"; }
}
