package io.hlo4j.runtime.pjrt.distributed;

import java.time.Duration;
import java.util.Optional;

/**
 * The key-value store a multi-process PJRT client exchanges its topology through at creation (and, on GPU, the
 * collectives' ids later): what {@code PJRT_Client_Create}'s {@code kv_get_callback}/{@code kv_put_callback}/
 * {@code kv_try_get_callback} reach, as JAX's coordination service does for {@code jax.distributed.initialize}.
 * Every process of a job must see the same store. Implementations are thread-safe and never block without a
 * bound: a {@link #get} that times out throws a {@link KeyValueException} naming the key, the store and the timeout.
 */
public interface KeyValueStore extends AutoCloseable {
    /** Sets {@code key}; setting it again to the same bytes is a no-op, to other bytes an ALREADY_EXISTS error. */
    void put(String key, byte[] value);

    /** The value of {@code key}, waiting up to {@code timeout} for another process to put it. */
    byte[] get(String key, Duration timeout);

    /** The value of {@code key} if it is set now. */
    Optional<byte[]> tryGet(String key);

    /**
     * Removes every key that starts with {@code prefix} (none: a no-op), so that a job that exchanges values per step
     * does not grow the store without bound. Stores that cannot delete refuse it (UNIMPLEMENTED) rather than keep the keys silently.
     */
    default void deletePrefix(String prefix) {
        throw new KeyValueException(io.hlo4j.runtime.pjrt.PjrtErrorCode.UNIMPLEMENTED, "key-value delete of '" + prefix + "*' from "
                + describe() + ": this store cannot delete keys");
    }

    /** Names the store in messages, e.g. {@code coordinator 10.0.0.1:1234} or {@code in-process store}. */
    String describe();

    /** Releases the store's resources (sockets, a hosted coordinator); the default has none. */
    @Override default void close() {}
}
