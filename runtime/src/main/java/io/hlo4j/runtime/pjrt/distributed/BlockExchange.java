package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.ElementType;
import io.hlo4j.runtime.pjrt.HostArrays;
import io.hlo4j.runtime.pjrt.HostData;
import io.hlo4j.runtime.pjrt.PjrtErrorCode;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every process's result blocks to every process, through the job's {@link KeyValueStore}: each process puts the
 * blocks of its partitions under {@code prefix<partition>/<result>} and reads the others', so each can assemble the
 * global results. Meant for results that fit a key-value store (a program's outputs, not a model's weights); a key
 * is written once, so {@code prefix} must be new for each exchange of a job.
 */
public final class BlockExchange {
    private BlockExchange() {}

    /**
     * Puts {@code mine} (partition -> its result blocks) and returns every partition's blocks, {@code mine} and the
     * {@code partitions - mine.size()} others', all waited for within one {@code timeout}.
     */
    public static SortedMap<Integer, List<HostArray>> allGather(KeyValueStore store, String prefix, Map<Integer, List<HostArray>> mine,
                                                                int partitions, Duration timeout) {
        return allGather(store, prefix, mine, partitions, timeout, Map.of());
    }

    /**
     * As above; {@code owners} (partition -> the process that runs it) lets a wait that runs out name the processes
     * whose blocks did not come, with every missing partition, not only the first.
     */
    public static SortedMap<Integer, List<HostArray>> allGather(KeyValueStore store, String prefix, Map<Integer, List<HostArray>> mine,
                                                                int partitions, Duration timeout, Map<Integer, Integer> owners) {
        for (Map.Entry<Integer, List<HostArray>> e : mine.entrySet()) {
            List<HostArray> blocks = e.getValue();
            for (int j = 0; j < blocks.size(); j++) store.put(prefix + e.getKey() + "/" + j, encode(blocks.get(j)));
            store.put(prefix + e.getKey(), new byte[] {(byte) blocks.size(), (byte) (blocks.size() >> 8), (byte) (blocks.size() >> 16), (byte) (blocks.size() >> 24)});
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        SortedMap<Integer, List<HostArray>> all = new TreeMap<>(mine);
        List<Integer> missing = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            if (mine.containsKey(p)) continue;
            byte[] n;
            try {
                n = store.get(prefix + p, left(deadline));
            } catch (KeyValueException e) {
                if (e.code() != PjrtErrorCode.DEADLINE_EXCEEDED) throw e;
                missing.add(p);
                continue;
            }
            if (n.length != 4)
                throw new KeyValueException(PjrtErrorCode.DATA_LOSS, "block count '" + prefix + p + "' is " + n.length + " bytes, not 4");
            int count = (n[0] & 0xff) | (n[1] & 0xff) << 8 | (n[2] & 0xff) << 16 | (n[3] & 0xff) << 24;
            List<HostArray> blocks = new ArrayList<>();
            for (int j = 0; j < count; j++) blocks.add(decode(store.get(prefix + p + "/" + j, left(deadline)), prefix + p + "/" + j));
            all.put(p, List.copyOf(blocks));
        }
        if (!missing.isEmpty()) {
            java.util.Set<Integer> who = new java.util.TreeSet<>();
            for (int p : missing) if (owners.containsKey(p)) who.add(owners.get(p));
            throw new KeyValueException(PjrtErrorCode.DEADLINE_EXCEEDED, "no result blocks for partition" + (missing.size() == 1 ? " " : "s ") + missing
                    + (who.isEmpty() ? "" : " (" + DistributedProcess.processes(List.copyOf(who)) + ")") + " under '" + prefix + "' in "
                    + store.describe() + " within " + timeout.toMillis() + " ms (is every process of the job running the same program?)", null, List.copyOf(who));
        }
        return all;
    }

    private static Duration left(long deadline) { return Duration.ofNanos(Math.max(0, deadline - System.nanoTime())); }

    /** The element type's PJRT code, the dims and the dense row-major bytes. */
    static byte[] encode(HostArray a) {
        HostData d = HostArrays.toHostData(a);
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(d.type().code());
            long[] dims = d.dims();
            out.writeInt(dims.length);
            for (long x : dims) out.writeLong(x);
            byte[] data = d.bytes();
            out.writeInt(data.length);
            out.write(data);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static HostArray decode(byte[] b, String key) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            ElementType type = ElementType.of(in.readInt());
            long[] dims = new long[in.readInt()];
            for (int i = 0; i < dims.length; i++) dims[i] = in.readLong();
            int n = in.readInt();
            if (n != in.available()) throw new IllegalArgumentException("it says " + n + " data bytes and holds " + in.available());
            byte[] data = Wire.readValue(in, n, "block '" + key + "'");
            return HostArrays.toHostArray(new HostData(type, dims, data));
        } catch (IOException | RuntimeException e) {
            throw new KeyValueException(PjrtErrorCode.DATA_LOSS, "block '" + key + "' (" + b.length + " bytes) is not an array block: " + e.getMessage(), e);
        }
    }
}
