package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.pjrt.PjrtErrorCode;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
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
 * {@code node_id} and {@code num_nodes}). hlo4j's own keys start with {@code hlo4j/}. {@link #close()} waits (up to
 * the timeout) for every process to close before process 0 stops the coordinator, so no process loses it mid-run.
 */
public final class DistributedProcess implements AutoCloseable {
    private final int processId, numProcesses;
    private final Duration timeout;
    private final KeyValueCoordinator coordinator;   // process 0 only
    private final KeyValueStore store;
    private boolean closed;

    private DistributedProcess(int processId, int numProcesses, Duration timeout, KeyValueCoordinator coordinator, KeyValueStore store) {
        this.processId = processId;
        this.numProcesses = numProcesses;
        this.timeout = timeout;
        this.coordinator = coordinator;
        this.store = store;
    }

    /**
     * Joins the job: {@code coordinator} is {@code HOST:PORT} of process 0 (which listens on that port), the same for
     * every process; {@code timeout} bounds the connection and each wait for the others.
     */
    public static DistributedProcess initialize(String coordinator, int numProcesses, int processId, Duration timeout) {
        if (numProcesses < 1) throw new IllegalArgumentException("number of processes " + numProcesses + " < 1");
        if (processId < 0 || processId >= numProcesses)
            throw new IllegalArgumentException("process id " + processId + " is not in [0, " + numProcesses + ")");
        TcpKeyValueStore probe = new TcpKeyValueStore(coordinator, timeout);   // checks HOST:PORT before anything listens
        KeyValueCoordinator hosted = null;
        if (processId == 0) hosted = KeyValueCoordinator.start(Integer.parseInt(coordinator.substring(coordinator.lastIndexOf(':') + 1)));
        DistributedProcess p = new DistributedProcess(processId, numProcesses, timeout, hosted, probe);
        try {
            p.announce();
            return p;
        } catch (RuntimeException e) {
            if (hosted != null) hosted.close();
            throw e;
        }
    }

    /** Puts this process's id (with the count it was told) and waits for every other's, checking they agree. */
    private void announce() {
        String mine = "processes=" + numProcesses + " instance=" + UUID.randomUUID();
        store.put("hlo4j/process/" + processId, mine.getBytes(StandardCharsets.UTF_8));
        for (int q = 0; q < numProcesses; q++) {
            if (q == processId) continue;
            String theirs;
            try {
                theirs = new String(store.get("hlo4j/process/" + q, timeout), StandardCharsets.UTF_8);
            } catch (KeyValueException e) {
                if (e.code() != PjrtErrorCode.DEADLINE_EXCEEDED) throw e;
                throw new KeyValueException(e.code(), "process " + processId + " of " + numProcesses + ": process " + q + " did not join through "
                        + store.describe() + " within " + timeout.toMillis() + " ms (is every process of the job started, with the same coordinator?)", e);
            }
            String count = theirs.substring(0, theirs.indexOf(' '));
            if (!count.equals("processes=" + numProcesses))
                throw new KeyValueException(PjrtErrorCode.FAILED_PRECONDITION, "process " + q + " joined " + store.describe() + " with " + count
                        + ", this process (" + processId + ") with processes=" + numProcesses + ": every process must be given the same count");
        }
    }

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

    /** Announces this process's end; process 0 waits (up to the timeout) for every other one before it stops the coordinator. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            store.put("hlo4j/closed/" + processId, new byte[] {1});
            if (coordinator != null)
                for (int q = 1; q < numProcesses; q++) store.get("hlo4j/closed/" + q, timeout);
        } finally {
            if (coordinator != null) coordinator.close();
        }
    }

    @Override public String toString() { return "process " + processId + " of " + numProcesses + " (" + store.describe() + ")"; }
}
