package io.hlo4j.runtime.pjrt;

import java.lang.foreign.MemorySegment;

/**
 * A device of a client: its id (what device assignments name), kind and position in the client's
 * addressable-device list. Lives as long as its client.
 */
public record PjrtDevice(int id, String kind, boolean addressable, MemorySegment pointer) {
    @Override public String toString() { return "PjrtDevice[id=" + id + ", kind=" + kind + (addressable ? "" : ", remote") + "]"; }
}
