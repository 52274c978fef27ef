package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.pjrt.PjrtErrorCode;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * A job's store as one of its processes sees it: no get waits longer than the job's timeout (the plugin's gets
 * included, whatever {@code timeout_in_ms} they ask for), and a get that runs out names the key, the coordinator and
 * this process. A get waits in slices of at most {@link #SLICE} and, between them,
 * looks for a {@code hlo4j/failed/<q>} key that another process put when it failed ({@link DistributedProcess#fail}).
 * A wait for a key that a failed process will never put then ends within a slice, naming that process and its
 * message, instead of running out the whole timeout and naming only the key.
 */
final class JobStore implements KeyValueStore {
    static final Duration SLICE = Duration.ofSeconds(1);
    static final String FAILED = "hlo4j/failed/";

    private final KeyValueStore inner;
    private final int processId, numProcesses;
    private final Duration cap;

    /** {@code cap} (null: none) bounds every get, whatever timeout it asks for: the job's timeout. */
    JobStore(KeyValueStore inner, int processId, int numProcesses, Duration cap) {
        this.inner = inner;
        this.processId = processId;
        this.numProcesses = numProcesses;
        this.cap = cap;
    }

    @Override public void put(String key, byte[] value) { inner.put(key, value); }

    @Override public byte[] get(String key, Duration timeout) {
        if (cap != null && timeout.compareTo(cap) > 0) timeout = cap;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            checkNoneFailed(key);
            long left = deadline - System.nanoTime();
            Duration slice = Duration.ofNanos(Math.max(0, Math.min(left, SLICE.toNanos())));
            try {
                return inner.get(key, slice);
            } catch (KeyValueException e) {
                if (e.code() != PjrtErrorCode.DEADLINE_EXCEEDED) throw e;
                if (deadline - System.nanoTime() <= 0) {
                    checkNoneFailed(key);
                    throw InProcessKeyValueStore.timedOut(key, inner.describe() + " (this is process " + processId + " of " + numProcesses + ")", timeout);
                }
            }
        }
    }

    /**
     * Fails (ABORTED) naming the first other process that has put its failure, unless {@code waitingFor} has come after
     * all (a value that is there is read, whoever failed since).
     */
    void checkNoneFailed(String waitingFor) {
        for (int q = 0; q < numProcesses; q++) {
            if (q == processId) continue;
            Optional<byte[]> why = inner.tryGet(FAILED + q);
            if (why.isPresent() && inner.tryGet(waitingFor).isEmpty())
                throw new KeyValueException(PjrtErrorCode.ABORTED, "process " + q + " of the job failed, so '" + waitingFor
                        + "' will not come (this is process " + processId + "): " + new String(why.get(), StandardCharsets.UTF_8));
        }
    }

    @Override public Optional<byte[]> tryGet(String key) { return inner.tryGet(key); }

    @Override public void deletePrefix(String prefix) { inner.deletePrefix(prefix); }

    @Override public String describe() { return inner.describe(); }

    @Override public void close() { inner.close(); }
}
