package io.hlo4j.runtime.pjrt;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A device of a client: its id (what device assignments name), kind and whether this process can run on
 * it. Its native pointer is valid only while its client is open, so it is handed to the plugin only
 * through {@link #pointerFor}, which refuses a closed or different client by name.
 */
public final class PjrtDevice {
    private final PjrtClient client;
    private final int id;
    private final String kind;
    private final boolean addressable;
    private final int processIndex;
    private final MemorySegment pointer;

    PjrtDevice(PjrtClient client, int id, String kind, boolean addressable, int processIndex, MemorySegment pointer) {
        this.client = client;
        this.id = id;
        this.kind = kind;
        this.addressable = addressable;
        this.processIndex = processIndex;
        this.pointer = pointer;
    }

    /** The process of a multi-process job that owns this device ({@code PJRT_DeviceDescription_ProcessIndex}); -1 when the plugin cannot say. */
    public int processIndex() { return processIndex; }

    public int id() { return id; }

    public String kind() { return kind; }

    public boolean addressable() { return addressable; }

    /** The client this device was listed by. */
    public PjrtClient client() { return client; }

    /**
     * The pointer, for a call of {@code call} on {@code caller}, made inside a call on {@code caller} (which keeps it open,
     * even while a close waits for that call); refuses another client's device, and names a closed client's as such.
     */
    MemorySegment pointerFor(PjrtClient caller, String call) {
        if (caller == client) return pointer;
        if (client.isClosed())
            throw new IllegalStateException(call + ": device " + id + " belongs to a closed " + client.describe()
                    + "; its pointer is no longer valid");
        if (caller != client)
            throw new IllegalArgumentException(call + ": device " + id + " belongs to another " + client.describe()
                    + ", not to this " + caller.describe() + "; list the devices of the client you call");
        return pointer;
    }

    @Override public boolean equals(Object o) {
        return o instanceof PjrtDevice d && d.client == client && d.pointer.equals(pointer);
    }

    @Override public int hashCode() { return Objects.hash(System.identityHashCode(client), pointer.address()); }

    @Override public String toString() { return "PjrtDevice[id=" + id + ", kind=" + kind + (addressable ? "" : ", remote") + (processIndex > 0 ? ", process " + processIndex : "") + "]"; }
}
