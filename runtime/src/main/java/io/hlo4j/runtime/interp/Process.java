package io.hlo4j.runtime.interp;

/** One simulated device: its (replica, partition) position in a {@link ProcessGrid}. */
public record Process(int replica, int partition, ProcessGrid grid) {
    /** The single process of a one-device run. */
    public static Process single() { return new Process(0, 0, new ProcessGrid(1, 1)); }

    public int flatId() { return replica * grid.numPartitions() + partition; }

    @Override public String toString() { return "(replica " + replica + ", partition " + partition + ")"; }
}
