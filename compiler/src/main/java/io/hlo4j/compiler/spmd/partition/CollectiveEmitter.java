package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Emits the per-device collectives and device-dependent indexing of the explicit program: replica groups are
 * partition ids from {@link DeviceGrid#groups}, every collective gets its own channel handle (type 1,
 * device to device) so that ids mean partition ids, and {@code use_global_device_ids} where the op has it.
 * A device's block offsets come from {@code partition_id} through a per-partition table (a constant indexed
 * by the partition id), which honours any device order and sub-axes alike.
 */
final class CollectiveEmitter {
    private final DeviceGrid grid;
    /** The module's channel counter, shared by the emitters of all meshes: {@code channels[0]} is the next handle. */
    private final long[] channels;
    private final Map<IrBuilder, Value> pidCache = new IdentityHashMap<>();

    CollectiveEmitter(DeviceGrid grid, long[] channels) {
        this.grid = grid;
        this.channels = channels;
    }

    DeviceGrid grid() { return grid; }

    /** A fresh channel handle, unique in the module. */
    ChannelHandle channel() { return new ChannelHandle(channels[0]++, 1); }

    DenseElementsAttr groupsAttr(List<AxisRef> refs) {
        long[][] g = grid.groups(refs);
        long[] flat = new long[g.length * g[0].length];
        for (int i = 0; i < g.length; i++) System.arraycopy(g[i], 0, flat, i * g[i].length, g[i].length);
        return Constants.ofLongs(TensorType.of(IntegerType.I64, g.length, g[0].length), flat);
    }

    private Map<String, Attribute> common(List<AxisRef> refs, boolean globalIds) {
        Map<String, Attribute> p = new TreeMap<>();
        p.put("replica_groups", groupsAttr(refs));
        p.put("channel_handle", channel());
        if (globalIds) p.put("use_global_device_ids", UnitAttr.INSTANCE);
        return p;
    }

    /** Concatenates the blocks of dimension {@code dim} over {@code refs} (major to minor). */
    Value allGather(IrBuilder b, Value x, int dim, List<AxisRef> refs, Location loc) {
        if (refs.isEmpty() || grid.size(refs) == 1) return x; // axes of size 1: nothing to exchange
        TensorType t = (TensorType) x.type();
        long[] shape = t.shape();
        shape[dim] *= grid.size(refs);
        Map<String, Attribute> p = common(refs, true);
        p.put("all_gather_dim", IntegerAttr.i64(dim));
        return b.emit("stablehlo.all_gather", List.of(x), p, List.of(), List.of(t.withShape(shape)), loc).get(0);
    }

    /** Sends {@code x} along the {source, target} {@code pairs} (partition ids); a device no pair targets gets zeros. */
    Value collectivePermute(IrBuilder b, Value x, long[][] pairs, Location loc) {
        Map<String, Attribute> p = new java.util.TreeMap<>();
        p.put("source_target_pairs", io.hlo4j.mlir.build.Constants.ofLongs(
                TensorType.of(io.hlo4j.mlir.types.IntegerType.I64, pairs.length, 2), java.util.Arrays.stream(pairs).flatMapToLong(java.util.Arrays::stream).toArray()));
        p.put("channel_handle", channel());
        return b.emit("stablehlo.collective_permute", List.of(x), p, List.of(), List.of(x.type()), loc).get(0);
    }

    /** Combines {@code x} over {@code refs} with the scalar {@code body} (copied, so callers may reuse it). */
    Value allReduce(IrBuilder b, Value x, List<AxisRef> refs, Region body, Location loc) {
        if (refs.isEmpty() || grid.size(refs) == 1) return x; // axes of size 1: nothing to exchange
        return b.emit("stablehlo.all_reduce", List.of(x), common(refs, true), List.of(RegionCopy.copy(body)), List.of(x.type()), loc).get(0);
    }

    /** Combines over {@code refs}, then member i keeps block i of {@code dim}. */
    Value reduceScatter(IrBuilder b, Value x, int dim, List<AxisRef> refs, Region body, Location loc) {
        if (refs.isEmpty() || grid.size(refs) == 1) return x; // axes of size 1: nothing to exchange
        TensorType t = (TensorType) x.type();
        long n = grid.size(refs);
        if (t.dim(dim) % n != 0) {
            throw new Hlo4jException("reduce_scatter: dimension " + dim + " of " + t + " is not divisible by the " + n + " devices of " + refs, loc);
        }
        long[] shape = t.shape();
        shape[dim] /= n;
        Map<String, Attribute> p = common(refs, true);
        p.put("scatter_dimension", IntegerAttr.i64(dim));
        return b.emit("stablehlo.reduce_scatter", List.of(x), p, List.of(RegionCopy.copy(body)), List.of(t.withShape(shape)), loc).get(0);
    }

    /** The partition id as {@code tensor<i32>}, emitted once per block. */
    Value partitionId(IrBuilder b, Location loc) {
        return pidCache.computeIfAbsent(b, k -> {
            Value pid = k.emit("stablehlo.partition_id", List.of(), Map.of(), List.of(), List.of(TensorType.scalar(IntegerType.UI32)), loc).get(0);
            return new StablehloBuilder(k).convert(pid, IntegerType.I32, loc);
        });
    }

    /** {@code table[partition_id]} as {@code tensor<i32>}: a per-device number (block offsets, shard indices). */
    Value perDevice(IrBuilder b, long[] table, Location loc) {
        StablehloBuilder h = new StablehloBuilder(b);
        boolean same = true;
        for (long v : table) same &= v == table[0];
        TensorType i32 = TensorType.scalar(IntegerType.I32);
        if (same) return h.constant(Constants.ofLongs(i32, table[0]), loc);
        Value tab = h.constant(Constants.ofLongs(TensorType.of(IntegerType.I32, table.length), table), loc);
        Value one = h.dynamicSlice(tab, List.of(partitionId(b, loc)), new long[] {1}, loc);
        return h.reshape(one, new long[0], loc);
    }

    /** Offsets of each partition's block along one dimension split over {@code refs}, blocks of {@code blockSize}. */
    long[] offsets(List<AxisRef> refs, long blockSize) {
        long[] t = new long[grid.devices()];
        for (int p = 0; p < t.length; p++) t[p] = grid.index(p, refs) * blockSize;
        return t;
    }

    /** Where partition {@code p}'s block starts along a dimension split over {@code dimAxes} in blocks of {@code localSize}. */
    long blockStart(int p, java.util.List<AxisRef> dimAxes, long localSize) { return grid.index(p, dimAxes) * localSize; }

    /** Each device keeps its block: dimension d split over {@code refs.get(d)} (empty: kept whole). */
    Value sliceBlocks(IrBuilder b, Value x, List<List<AxisRef>> refs, Location loc) {
        TensorType t = (TensorType) x.type();
        long[] sizes = t.shape();
        boolean any = false;
        List<Value> starts = new ArrayList<>();
        for (int d = 0; d < t.rank(); d++) {
            long n = grid.size(refs.get(d));
            if (sizes[d] % n != 0) {
                throw new Hlo4jException("dimension " + d + " of " + t + " is not divisible by the " + n + " devices of axes "
                        + refs.get(d) + " (no padding is done)", loc);
            }
            sizes[d] /= n;
            any |= n > 1;
        }
        if (!any) return x;
        for (int d = 0; d < t.rank(); d++) starts.add(perDevice(b, offsets(refs.get(d), sizes[d]), loc));
        return new StablehloBuilder(b).dynamicSlice(x, starts, sizes, loc);
    }
}
