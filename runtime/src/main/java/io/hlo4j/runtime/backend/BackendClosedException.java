package io.hlo4j.runtime.backend;

/**
 * A compile or call on a backend that was closed ({@link PjrtBackend#close}), or on an executable compiled through it.
 * Nothing ran. An IllegalStateException, as the closed client's own refusals were before this type existed, so code
 * that catches those catches this too.
 */
public final class BackendClosedException extends IllegalStateException {
    public BackendClosedException(String message) { super(message); }
}
