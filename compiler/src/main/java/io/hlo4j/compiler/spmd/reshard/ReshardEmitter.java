package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Writes a {@link ReshardPlan} as StableHLO on local values, in an SPMD program (one replica, N partitions): every
 * collective gets {@code channel_handle = <handle = next(), type = 1>} so its ids are partition ids, and
 * all_gather/all_reduce/reduce_scatter also {@code use_global_device_ids}. Replica groups are the plan's (for full
 * axes, {@code pxla.axis_groups} over the mesh's device order). A local slice is a {@code dynamic_slice} whose start
 * indices are looked up by {@code partition_id} in a constant table (which covers any device order and sub-axes).
 */
public final class ReshardEmitter {
    private ReshardEmitter() {}

    /** Emits the plan's steps on {@code local} (a block of the plan's source layout) and returns the target block. */
    public static Value emit(ReshardPlan plan, IrBuilder b, Value local, LongSupplier channels, Location loc) {
        TensorType want = plan.localInput();
        if (!local.type().equals(want)) {
            throw new ReshardException("reshard " + plan.from() + " -> " + plan.to() + " of " + plan.global() + " expects a local block "
                    + want + " but got " + local.type(), loc);
        }
        return emitSteps(plan.steps(), b, local, channels, loc);
    }

    /**
     * Emits {@code steps} in order on {@code local} (a block of the first step's input type) and returns the last
     * step's output block: the steps of a plan on one mesh, or of a move across meshes (whose steps are on partition
     * ids too, so the emitter does not need the meshes).
     */
    public static Value emitSteps(List<ReshardStep> steps, IrBuilder b, Value local, LongSupplier channels, Location loc) {
        if (!steps.isEmpty() && !local.type().equals(steps.get(0).input())) {
            throw new ReshardException("reshard step " + steps.get(0) + " expects a local block " + steps.get(0).input() + " but got " + local.type(), loc);
        }
        StablehloBuilder h = new StablehloBuilder(b);
        Value x = local;
        Value pid = null;
        for (ReshardStep s : steps) {
            switch (s) {
                case ReshardStep.LocalSlice sl -> {
                    if (pid == null) {
                        Value raw = b.emit("stablehlo.partition_id", List.of(), Map.of(), List.of(),
                                List.of(TensorType.scalar(IntegerType.UI32)), loc).get(0);
                        pid = h.convert(raw, IntegerType.I64, loc);
                    }
                    x = slice(h, x, sl, pid, loc);
                }
                case ReshardStep.AllGather g -> {
                    Map<String, Attribute> p = common(g.groups(), channels);
                    p.put("all_gather_dim", IntegerAttr.i64(g.dim()));
                    p.put("use_global_device_ids", UnitAttr.INSTANCE);
                    x = b.emit("stablehlo.all_gather", List.of(x), p, List.of(), List.of(g.output()), loc).get(0);
                }
                case ReshardStep.AllToAll a -> {
                    Map<String, Attribute> p = common(a.groups(), channels);
                    p.put("split_dimension", IntegerAttr.i64(a.toDim()));
                    p.put("concat_dimension", IntegerAttr.i64(a.fromDim()));
                    p.put("split_count", IntegerAttr.i64(a.groups()[0].length));
                    x = b.emit("stablehlo.all_to_all", List.of(x), p, List.of(), List.of(a.output()), loc).get(0);
                }
                case ReshardStep.CollectivePermute c -> {
                    Map<String, Attribute> p = new TreeMap<>();
                    p.put("source_target_pairs", matrix(c.pairs()));
                    p.put("channel_handle", new ChannelHandle(channels.getAsLong(), 1));
                    x = b.emit("stablehlo.collective_permute", List.of(x), p, List.of(), List.of(c.output()), loc).get(0);
                }
                case ReshardStep.Exchange e -> {
                    if (pid == null) {
                        Value raw = b.emit("stablehlo.partition_id", List.of(), Map.of(), List.of(),
                                List.of(TensorType.scalar(IntegerType.UI32)), loc).get(0);
                        pid = h.convert(raw, IntegerType.I64, loc);
                    }
                    x = exchange(h, x, e, pid, channels, loc);
                }
                case ReshardStep.AllReduce r -> {
                    Map<String, Attribute> p = common(r.groups(), channels);
                    p.put("use_global_device_ids", UnitAttr.INSTANCE);
                    x = b.emit("stablehlo.all_reduce", List.of(x), p, List.of(h.combiner(combiner(r.reduction()), r.input().elementType(), loc)),
                            List.of(r.output()), loc).get(0);
                }
                case ReshardStep.ReduceScatter r -> {
                    Map<String, Attribute> p = common(r.groups(), channels);
                    p.put("scatter_dimension", IntegerAttr.i64(r.dim()));
                    p.put("use_global_device_ids", UnitAttr.INSTANCE);
                    x = b.emit("stablehlo.reduce_scatter", List.of(x), p, List.of(h.combiner(combiner(r.reduction()), r.input().elementType(), loc)),
                            List.of(r.output()), loc).get(0);
                }
            }
        }
        return x;
    }

    private static Value slice(StablehloBuilder h, Value x, ReshardStep.LocalSlice sl, Value pid, Location loc) {
        int rank = sl.input().rank(), n = sl.starts().length;
        TensorType scalar = TensorType.scalar(IntegerType.I64);
        List<Value> starts = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            if (sl.added().get(d).isEmpty()) {
                starts.add(h.constant(scalar, 0, loc));
                continue;
            }
            long[] table = new long[n];
            for (int dev = 0; dev < n; dev++) table[dev] = sl.starts()[dev][d];
            Value t = h.constant(Constants.ofLongs(TensorType.of(IntegerType.I64, n), table), loc);
            Value one = h.dynamicSlice(t, List.of(pid), new long[] {1}, loc);
            starts.add(h.reshape(one, new long[0], loc));
        }
        return h.dynamicSlice(x, starts, sl.output().shape(), loc);
    }

    /** Emits one exchange on {@code local} (a block of its input type) and returns its output block. */
    public static Value emitExchange(ReshardStep.Exchange e, IrBuilder b, Value local, LongSupplier channels, Location loc) {
        if (!local.type().equals(e.input())) {
            throw new ReshardException("exchange " + e.input() + " -> " + e.output() + " expects a local block " + e.input() + " but got " + local.type(), loc);
        }
        StablehloBuilder h = new StablehloBuilder(b);
        Value raw = b.emit("stablehlo.partition_id", List.of(), Map.of(), List.of(), List.of(TensorType.scalar(IntegerType.UI32)), loc).get(0);
        return exchange(h, local, e, h.convert(raw, IntegerType.I64, loc), channels, loc);
    }

    /**
     * Rounds of slice, collective_permute and update, written straight into a buffer of the output block (so the
     * exchange holds only its input and output blocks and cells). In a round where some device receives nothing, that
     * device writes back the cell already at its (in-bounds) update position: a select on a cell-sized value, chosen
     * by a per-device flag looked up by partition id.
     */
    private static Value exchange(StablehloBuilder h, Value x, ReshardStep.Exchange e, Value pid, LongSupplier channels, Location loc) {
        int n = e.rounds().isEmpty() ? 0 : e.rounds().get(0).recvStarts().length;
        Value acc = h.constant(e.output(), 0, loc);
        for (ReshardStep.Exchange.Round r : e.rounds()) {
            Value piece = h.dynamicSlice(x, lookups(h, r.sendStarts(), pid, loc), e.cell(), loc);
            Value moved = piece; // a round of self-pairs only: each device keeps its own cell
            if (r.moves()) {
                Map<String, Attribute> p = new TreeMap<>();
                p.put("source_target_pairs", matrix(r.pairs()));
                p.put("channel_handle", new ChannelHandle(channels.getAsLong(), 1));
                moved = h.ir().emit("stablehlo.collective_permute", List.of(piece), p, List.of(), List.of(piece.type()), loc).get(0);
            }
            List<Value> at = lookups(h, r.recvStarts(), pid, loc);
            long[] receives = new long[n];
            for (long[] pair : r.pairs()) receives[(int) pair[1]] = 1;
            if (java.util.Arrays.stream(receives).anyMatch(v -> v == 0)) {
                Value flag = h.reshape(h.dynamicSlice(h.constant(Constants.ofLongs(TensorType.of(IntegerType.I64, n), receives), loc),
                        List.of(pid), new long[] {1}, loc), new long[0], loc);
                Value receiving = h.compare("NE", flag, h.constant(TensorType.scalar(IntegerType.I64), 0, loc), "SIGNED", loc);
                moved = h.select(receiving, moved, h.dynamicSlice(acc, at, e.cell(), loc), loc);
            }
            acc = h.dynamicUpdateSlice(acc, moved, at, loc);
        }
        return acc;
    }

    /** Per dimension, this device's entry of {@code starts[device][dim]}: a constant when all agree, else a table lookup by partition id. */
    private static List<Value> lookups(StablehloBuilder h, long[][] starts, Value pid, Location loc) {
        int n = starts.length, rank = starts[0].length;
        TensorType scalar = TensorType.scalar(IntegerType.I64);
        List<Value> out = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            long[] table = new long[n];
            boolean same = true;
            for (int dev = 0; dev < n; dev++) {
                table[dev] = starts[dev][d];
                same &= table[dev] == table[0];
            }
            if (same) {
                out.add(h.constant(scalar, table[0], loc));
                continue;
            }
            Value t = h.constant(Constants.ofLongs(TensorType.of(IntegerType.I64, n), table), loc);
            out.add(h.reshape(h.dynamicSlice(t, List.of(pid), new long[] {1}, loc), new long[0], loc));
        }
        return out;
    }

    private static String combiner(String reduction) {
        return switch (reduction) {
            case "sum" -> "add";
            case "max" -> "maximum";
            case "min" -> "minimum";
            default -> throw new IllegalArgumentException("unknown reduction " + reduction);
        };
    }

    private static Map<String, Attribute> common(long[][] groups, LongSupplier channels) {
        Map<String, Attribute> p = new TreeMap<>();
        p.put("replica_groups", matrix(groups));
        p.put("channel_handle", new ChannelHandle(channels.getAsLong(), 1));
        return p;
    }

    /** A {@code dense<[[...]]> : tensor<RxCxi64>} of the rows. */
    static DenseElementsAttr matrix(long[][] rows) {
        int r = rows.length, c = r == 0 ? 0 : rows[0].length;
        long[] flat = new long[r * c];
        for (int i = 0; i < r; i++) System.arraycopy(rows[i], 0, flat, i * c, c);
        return Constants.ofLongs(TensorType.of(IntegerType.I64, r, c), flat);
    }
}
