package io.hlo4j.runtime.spmd;

import io.hlo4j.mlir.dialect.stablehlo.RingBytes;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.interp.CollectiveListener;

import java.util.List;

/**
 * How many bytes one device moves in one collective: the data it must receive from (and send to) others, by the
 * usual bandwidth-optimal (ring) lower bounds, with g the group size and B the per-device byte count:
 * <ul>
 *   <li>all_gather: (g-1)/g of the output (= (g-1) x the operand);</li>
 *   <li>reduce_scatter: (g-1)/g of the input;</li>
 *   <li>all_reduce: 2 (g-1)/g of the input (a reduce_scatter then an all_gather);</li>
 *   <li>all_to_all: (g-1)/g of the input (it keeps its own part);</li>
 *   <li>collective_reduce: (g-1)/g of the input (a reduce_scatter toward the root);</li>
 *   <li>collective_permute: the whole operand when it comes from another device, 0 for a self-pair or no pair;</li>
 *   <li>collective_broadcast: the whole operand for each non-root member, sent once by the root;</li>
 *   <li>ragged_all_to_all: exactly the rows other devices sent (or it sent to others).</li>
 * </ul>
 * Sent equals received for the symmetric ops. Fractions are rounded up to whole bytes. A group of one moves nothing.
 * The group collectives' formulas are {@link RingBytes}'s, which the static cost analysis uses too.
 */
public final class CollectiveBytes {
    private CollectiveBytes() {}

    /** {bytes received, bytes sent} for the event. */
    public static long[] of(CollectiveListener.Event e) {
        if (e.movedIn() >= 0 || e.movedOut() >= 0) return new long[] {Math.max(0, e.movedIn()), Math.max(0, e.movedOut())};
        long g = e.group().size();
        if (g <= 1) return new long[] {0, 0};
        long in = bytes(e.operandTypes()), out = bytes(e.resultTypes());
        String op = e.op().name();
        if (!RingBytes.covers(op)) throw new IllegalArgumentException("no byte definition for collective " + op);
        long b = RingBytes.received(op, g, in, out);
        return new long[] {b, b};
    }

    static long bytes(List<TensorType> types) {
        long n = 0;
        for (TensorType t : types) n += t.numElements() * t.elementType().storageBytes();
        return n;
    }

}
