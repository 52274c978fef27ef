package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.pjrt.PjrtErrorCode;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A store in this JVM: for clients of one process (tests, several clients of a plugin in one JVM) and the state a
 * {@link KeyValueCoordinator} serves. Gets wait on the store's monitor, each for at most its timeout.
 */
public final class InProcessKeyValueStore implements KeyValueStore {
    private final Map<String, byte[]> values = new HashMap<>();
    private final String name;

    public InProcessKeyValueStore() { this("in-process store"); }

    InProcessKeyValueStore(String name) { this.name = name; }

    @Override public synchronized void put(String key, byte[] value) {
        byte[] old = values.get(key);
        if (old != null && !Arrays.equals(old, value))
            throw new KeyValueException(PjrtErrorCode.ALREADY_EXISTS, "key-value put of '" + key + "' to " + name + ": the key is already set to "
                    + old.length + " other bytes (a second process with the same id?)");
        values.put(key, value.clone());
        notifyAll();
    }

    @Override public synchronized byte[] get(String key, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!values.containsKey(key)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw timedOut(key, name, timeout);
            try {
                wait(Math.max(1, left / 1_000_000), 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KeyValueException(PjrtErrorCode.CANCELLED, "key-value get of '" + key + "' from " + name + " was interrupted");
            }
        }
        return values.get(key).clone();
    }

    @Override public synchronized Optional<byte[]> tryGet(String key) {
        byte[] v = values.get(key);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    @Override public synchronized void deletePrefix(String prefix) { values.keySet().removeIf(k -> k.startsWith(prefix)); }

    /** How many keys are set (tests watch it stay bounded). */
    synchronized int size() { return values.size(); }

    @Override public String describe() { return name; }

    static KeyValueException timedOut(String key, String store, Duration timeout) {
        return new KeyValueException(PjrtErrorCode.DEADLINE_EXCEEDED, "key-value get of '" + key + "' from " + store + " timed out after "
                + timeout.toMillis() + " ms: no process has put it (is every process of the job started, with the same coordinator?)");
    }
}
