package io.hlo4j.runtime.spmd;

import io.hlo4j.runtime.array.HostArray;

import java.util.List;

/**
 * The assembled global results of an explicit program run on simulated devices, every collective it executed, and
 * each device's own results ({@code deviceResults.get(partition).get(j)}).
 */
public record SpmdRun(List<HostArray> results, List<CollectiveRecord> log, List<List<HostArray>> deviceResults) {
    public SpmdRun {
        results = List.copyOf(results);
        log = List.copyOf(log);
        deviceResults = deviceResults.stream().map(List::copyOf).toList();
    }

    /** Per device (partition id), the bytes received over the whole run. */
    public long[] bytesReceivedPerDevice(int devices) {
        long[] total = new long[devices];
        for (CollectiveRecord r : log) for (int d = 0; d < devices; d++) total[d] += r.bytesReceived()[d];
        return total;
    }

    /** The most bytes any one device received over the whole run. */
    public long maxBytesReceived(int devices) {
        long m = 0;
        for (long b : bytesReceivedPerDevice(devices)) m = Math.max(m, b);
        return m;
    }
}
