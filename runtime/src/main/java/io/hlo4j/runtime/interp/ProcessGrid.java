package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.dialect.stablehlo.CollectiveMode;
import io.hlo4j.mlir.ir.Operation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A replica x partition grid of simulated devices, the spec's four ways of turning {@code replica_groups} into
 * groups of processes (which one an op uses is {@link CollectiveMode}'s rule), and the {@link Rendezvous} the grid's
 * collectives meet at.
 */
public final class ProcessGrid {
    private final int numReplicas;
    private final int numPartitions;
    private final Rendezvous rendezvous;

    public ProcessGrid(int numReplicas, int numPartitions) {
        this(numReplicas, numPartitions, Rendezvous.defaultTimeoutMillis());
    }

    public ProcessGrid(int numReplicas, int numPartitions, long timeoutMillis) {
        if (numReplicas < 1 || numPartitions < 1) throw new IllegalArgumentException("grid " + numReplicas + "x" + numPartitions);
        this.numReplicas = numReplicas;
        this.numPartitions = numPartitions;
        this.rendezvous = new Rendezvous(timeoutMillis, numReplicas * numPartitions);
    }

    public int numReplicas() { return numReplicas; }
    public int numPartitions() { return numPartitions; }
    public int size() { return numReplicas * numPartitions; }
    public Rendezvous rendezvous() { return rendezvous; }

    private final java.util.Map<Long, java.util.concurrent.BlockingQueue<List<Tensor>>> channels = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.BlockingQueue<List<Tensor>> infeed = new java.util.concurrent.LinkedBlockingQueue<>();
    private final java.util.concurrent.BlockingQueue<List<Tensor>> outfeed = new java.util.concurrent.LinkedBlockingQueue<>();

    /** The FIFO of a send/recv channel id. */
    public java.util.concurrent.BlockingQueue<List<Tensor>> channel(long id) {
        return channels.computeIfAbsent(id, k -> new java.util.concurrent.LinkedBlockingQueue<>());
    }

    /** Values {@code infeed} ops take, in order. */
    public java.util.concurrent.BlockingQueue<List<Tensor>> infeed() { return infeed; }

    /** Values {@code outfeed} ops produced, in order. */
    public java.util.concurrent.BlockingQueue<List<Tensor>> outfeed() { return outfeed; }

    public Process process(int replica, int partition) { return new Process(replica, partition, this); }

    private volatile CollectiveListener listener;

    /** Reports every collective executed on this grid to {@code l} (null: nobody); returns this grid. */
    public ProcessGrid listen(CollectiveListener l) {
        listener = l;
        return this;
    }

    /** The listener collectives report to, or null. */
    public CollectiveListener listener() { return listener; }

    /**
     * The group (processes in group order) that {@code self} belongs to, or null if it belongs to none. Fails,
     * naming the op, when the groups are not a partition of the id space.
     */
    public List<Process> groupOf(Operation op, Process self, long[][] groups, CollectiveMode mode, boolean allowPadding) {
        int idSpace = Math.toIntExact(mode.idSpace(numReplicas, numPartitions));
        if (groups == null || groups.length == 0) {
            long[] all = new long[idSpace];
            for (int i = 0; i < idSpace; i++) all[i] = i;
            groups = new long[][] {all};
        }
        boolean[] seen = new boolean[idSpace];
        for (long[] g : groups) {
            for (long id : g) {
                if (id == -1 && allowPadding) continue;
                if (id < 0 || id >= idSpace) throw InterpreterException.at(op, "replica_groups id " + id + " is outside [0, " + idSpace
                        + ") for a " + numReplicas + "x" + numPartitions + " grid (" + mode.specName() + ": ids are " + idMeaning(mode) + ")");
                if (seen[(int) id]) throw InterpreterException.at(op, "replica_groups " + Arrays.deepToString(groups)
                        + " are not a partition of the devices: id " + id + " appears twice");
                seen[(int) id] = true;
            }
        }
        for (int i = 0; i < idSpace; i++) {
            if (!seen[i]) throw InterpreterException.at(op, "replica_groups " + Arrays.deepToString(groups)
                    + " are not a partition of the devices: id " + i + " is missing (" + mode.specName() + ")");
        }
        for (long[] g : groups) {
            List<Process> members = new ArrayList<>();
            boolean mine = false;
            for (long id : g) {
                if (id == -1) continue;
                switch (mode) {
                    case CROSS_REPLICA -> {
                        members.add(process((int) id, self.partition()));
                        if (id == self.replica()) mine = true;
                    }
                    case CROSS_PARTITION -> {
                        members.add(process(self.replica(), (int) id));
                        if (id == self.partition()) mine = true;
                    }
                    case CROSS_REPLICA_AND_PARTITION -> {
                        if (id == self.replica()) mine = true;
                    }
                    case FLATTENED_IDS -> {
                        members.add(process((int) id / numPartitions, (int) id % numPartitions));
                        if (id == self.flatId()) mine = true;
                    }
                }
            }
            if (mode == CollectiveMode.CROSS_REPLICA_AND_PARTITION) {
                // partition-major: (r0, p0), (r1, p0), ..., (r0, p1), ... as the spec's process groups order them
                for (int p = 0; p < numPartitions; p++) for (long id : g) if (id != -1) members.add(process((int) id, p));
            }
            if (mine) return members;
        }
        return null;
    }

    /** The mode of {@code op} on this interpreter's attributes: its channel handle and use_global_device_ids flag. */
    public static CollectiveMode modeOf(Operation op, String kind, long channelId, boolean useGlobalDeviceIds) {
        try {
            return CollectiveMode.of(kind, channelId, useGlobalDeviceIds);
        } catch (IllegalArgumentException e) {
            // CollectiveMode's message starts with the kind it was given; at() puts the op's name first itself
            String m = e.getMessage();
            if (m.startsWith(op.name() + ": ")) m = m.substring(op.name().length() + 2);
            throw InterpreterException.at(op, m);
        }
    }

    private static String idMeaning(CollectiveMode mode) {
        return switch (mode) {
            case CROSS_REPLICA -> "replica ids (no channel_id)";
            case CROSS_PARTITION -> "partition ids (channel_id > 0)";
            case CROSS_REPLICA_AND_PARTITION -> "replica ids, each with every partition (channel_id > 0, no use_global_device_ids)";
            case FLATTENED_IDS -> "replica * partitions + partition (use_global_device_ids)";
        };
    }
}
