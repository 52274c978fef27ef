package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * Shardy's {@code sdy.replicated_to_unreduced} and {@code sdy.sharded_to_unreduced} on local blocks: the value becomes
 * terms of a pending sum over the axes without moving data. Replicated: the member with index 0 along the axes keeps the
 * block, the others hold zeros. Sharded: each member puts its block at its offset in a zero block of the unsharded
 * extent, so the members' terms add up to the whole. Both are exact (adding zeros), and per-device tables indexed by
 * partition id say which member a device is.
 */
final class MakePartial {
    private MakePartial() {}

    /** {@code x} on members with index 0 along {@code axes}, zeros elsewhere. */
    static Value replicatedToUnreduced(IrBuilder b, CollectiveEmitter emit, DeviceGrid grid, Value x, List<AxisRef> axes, Location loc) {
        StablehloBuilder h = new StablehloBuilder(b);
        long[] first = new long[grid.devices()];
        for (int p = 0; p < first.length; p++) first[p] = grid.index(p, axes) == 0 ? 1 : 0;
        Value mine = lookup(h, first, emit.partitionId(b, loc), loc);
        TensorType t = (TensorType) x.type();
        Value keep = h.compare("EQ", mine, h.constant(TensorType.scalar(IntegerType.I32), 1, loc), null, loc);
        Value mask = h.broadcastInDim(keep, t.shape(), new long[0], loc);
        return h.select(mask, x, h.constant(t, 0, loc), loc);
    }

    /** The block of {@code x} along each dimension d placed at member index x block-size of {@code axes.get(d)} in zeros. */
    static Value shardedToUnreduced(IrBuilder b, CollectiveEmitter emit, DeviceGrid grid, Value x, List<List<AxisRef>> axes, Location loc) {
        StablehloBuilder h = new StablehloBuilder(b);
        TensorType t = (TensorType) x.type();
        long[] shape = t.shape();
        Value pid = emit.partitionId(b, loc);
        List<Value> starts = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) {
            long[] offset = new long[grid.devices()];
            for (int p = 0; p < offset.length; p++) offset[p] = grid.index(p, axes.get(d)) * t.dim(d);
            starts.add(lookup(h, offset, pid, loc));
            shape[d] *= grid.size(axes.get(d));
        }
        return h.dynamicUpdateSlice(h.constant(t.withShape(shape), 0, loc), x, starts, loc);
    }

    /** {@code table[pid]} as an i32 scalar. */
    private static Value lookup(StablehloBuilder h, long[] table, Value pid, Location loc) {
        Value c = h.constant(Constants.ofLongs(TensorType.of(IntegerType.I32, table.length), table), loc);
        Value one = h.dynamicSlice(c, List.of(pid), new long[] {1}, loc);
        return h.reshape(one, new long[0], loc);
    }
}
