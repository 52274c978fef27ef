package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.distributed.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * What a job's global call n was made with, compared across the job's processes: every process passes the same global
 * arguments to the same program, and call n of one process exchanges result blocks with call n of the others, so two
 * processes that make their calls in other orders (from several threads, say) would mix the blocks of different calls
 * without an error. Each process puts the fingerprint of its call n (the entry function's name, the arguments' types and
 * bytes; two CRCs, 64 bits, enough to tell calls apart, not a defence against a forged argument) before its blocks, and
 * after the exchange reads the others': a difference is refused by name on every process instead of returning.
 */
final class CallSignature {
    private CallSignature() {}

    /** The fingerprint of a call of {@code entry} on {@code args}. */
    static byte[] of(String entry, List<HostArray> args) {
        CRC32C a = new CRC32C();
        CRC32 b = new CRC32();
        byte[] head = entry.getBytes(StandardCharsets.UTF_8);
        a.update(head);
        b.update(head);
        for (HostArray x : args) {
            byte[] t = x.type().toString().getBytes(StandardCharsets.UTF_8);
            a.update(t);
            b.update(t);
            // chunk by chunk: the same bits as over toLittleEndianBytes(), without a copy of each argument
            // (docs/benchmarks-pjrt.md)
            x.forEachLittleEndianChunk(chunk -> {
                a.update(chunk.duplicate());
                b.update(chunk);
            });
        }
        long h = a.getValue() << 32 | b.getValue();
        byte[] out = new byte[8];
        for (int i = 0; i < 8; i++) out[i] = (byte) (h >>> (8 * i));
        return out;
    }

    /** The key process {@code process} puts the fingerprint of the call under {@code prefix} at. */
    static String key(String prefix, int process) { return prefix + "sig/" + process; }

    /**
     * Refuses call {@code n} (under {@code prefix}) when another process's fingerprint differs from {@code mine}. Called
     * after the block exchange, when every process has put its fingerprint (each puts it before its blocks).
     */
    static void check(KeyValueStore store, String prefix, byte[] mine, int self, int processes, Duration timeout, long n, Location where) {
        List<Integer> other = new ArrayList<>();
        for (int q = 0; q < processes; q++) {
            if (q != self && !Arrays.equals(store.get(key(prefix, q), timeout), mine)) other.add(q);
        }
        if (!other.isEmpty()) {
            throw new io.hlo4j.mlir.ir.Hlo4jException("global call #" + n + " of the job: process" + (other.size() == 1 ? " " : "es ") + other
                    .toString().replaceAll("[\\[\\]]", "") + " made it with other arguments than process " + self + " did, so their result"
                    + " blocks belong to different calls; a job's processes make the same calls with the same arguments in the same"
                    + " order, each from one thread", where);
        }
    }
}
