package io.hlo4j.runtime.pjrt;

import java.lang.foreign.MemorySegment;

/**
 * A plugin object we own (client, executable, buffer): its pointer is handed out only while open;
 * use after close and a second close are errors that name the object, never native crashes.
 */
abstract sealed class NativeHandle implements AutoCloseable permits PjrtClient, PjrtExecutable, PjrtBuffer {
    private MemorySegment handle;
    private String closedBy;

    NativeHandle(MemorySegment handle) { this.handle = handle; }

    /** The native pointer; throws if this object is closed. */
    synchronized MemorySegment handle() {
        if (handle == null) throw new IllegalStateException(describe() + " is closed" + closedBy + "; it cannot be used");
        return handle;
    }

    public synchronized boolean isClosed() { return handle == null; }

    /** Destroys the native object. Closing twice is an error. */
    @Override public void close() {
        MemorySegment h;
        synchronized (this) {
            if (handle == null) throw new IllegalStateException(describe() + " is already closed" + closedBy);
            h = handle;
            handle = null;
            closedBy = "";
        }
        destroy(h);
    }

    /** Closed as part of closing its owner (the client): a later close() names that. */
    void closeByOwner() {
        MemorySegment h;
        synchronized (this) {
            if (handle == null) return;
            h = handle;
            handle = null;
            closedBy = " (by its client's close)";
        }
        destroy(h);
    }

    abstract void destroy(MemorySegment handle);

    abstract String describe();
}
