package io.hlo4j.runtime.pjrt;

/**
 * A call on a closed client, executable or buffer, or on one whose client is closed: refused before it reaches the
 * plugin (the object's native pointer is freed, or about to be). Names the object and the call.
 */
public final class PjrtClosedException extends IllegalStateException {
    private final String object;
    private final String call;

    PjrtClosedException(String message, String object, String call) {
        super(message);
        this.object = object;
        this.call = call;
    }

    /** The object the call was made on, e.g. "PJRT buffer on device 100". */
    public String object() { return object; }

    /** The refused call, e.g. "PjrtBuffer.toHost". */
    public String call() { return call; }
}
