package io.hlo4j.runtime.spmd;

import java.util.Arrays;
import java.util.List;

/**
 * One collective as it executed on all devices: the op, where it came from, the groups that formed (partition ids in
 * group order; for collective_permute the {source, target} pairs that moved data), the group size, and per device
 * (indexed by partition id) the bytes it received from and sent to other devices, by the definitions of
 * {@link CollectiveBytes}. {@code axes} are the mesh axes along which group members differ, in mesh order (empty when
 * the mesh is unknown).
 */
public record CollectiveRecord(String op, String location, List<List<Integer>> groups, int groupSize, List<String> axes,
                               long[] bytesReceived, long[] bytesSent) {
    public CollectiveRecord {
        groups = groups.stream().map(List::copyOf).toList();
        axes = List.copyOf(axes);
        bytesReceived = bytesReceived.clone();
        bytesSent = bytesSent.clone();
    }

    /** The most any device received: the collective's cost on the busiest device. */
    public long maxBytesReceived() { return Arrays.stream(bytesReceived).max().orElse(0); }

    public long maxBytesSent() { return Arrays.stream(bytesSent).max().orElse(0); }

    @Override public String toString() {
        return op + " axes=" + axes + " groups=" + groups + " size=" + groupSize + " recv/device=" + Arrays.toString(bytesReceived) + " at " + location;
    }
}
