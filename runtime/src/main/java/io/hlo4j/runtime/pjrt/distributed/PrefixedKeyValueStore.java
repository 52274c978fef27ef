package io.hlo4j.runtime.pjrt.distributed;

import java.time.Duration;
import java.util.Optional;

/**
 * A store seen through a key prefix, as JAX hands a plugin the job's store ({@code platform + ":"}, so that clients of
 * two platforms, or a plugin and hlo4j's own {@code hlo4j/} keys, never read or overwrite each other's keys).
 * Closing it leaves the shared store open.
 */
public final class PrefixedKeyValueStore implements KeyValueStore {
    private final String prefix;
    private final KeyValueStore inner;

    public PrefixedKeyValueStore(String prefix, KeyValueStore inner) {
        this.prefix = prefix;
        this.inner = inner;
    }

    public String prefix() { return prefix; }

    @Override public void put(String key, byte[] value) { inner.put(prefix + key, value); }

    @Override public byte[] get(String key, Duration timeout) { return inner.get(prefix + key, timeout); }

    @Override public Optional<byte[]> tryGet(String key) { return inner.tryGet(prefix + key); }

    @Override public void deletePrefix(String p) { inner.deletePrefix(prefix + p); }

    @Override public String describe() { return inner.describe(); }
}
