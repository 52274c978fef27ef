package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.stablehlo.CollectiveMode;
import io.hlo4j.mlir.dialect.stablehlo.RingBytes;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.List;

/**
 * The bytes one device receives from the others in one collective: the same definition as the runtime's run log
 * ({@code io.hlo4j.runtime.spmd.CollectiveBytes}), so that {@code inspect} and {@code run --spmd} agree: the group
 * collectives by {@link RingBytes} (one statement of the formulas for both), and here what needs the op's attributes:
 * collective_permute the whole operand when some pair moves data between two devices; collective_broadcast the
 * whole operand when a group has a non-root member; a group of one moves nothing. ragged_all_to_all moves the rows
 * its size operands say, which are data: statically only a bound, (g-1) chunks each at most min(input, output) rows,
 * and never more than the output buffer, since every received chunk lands in it and chunks may not overlap (the
 * interpreter refuses overlapping chunks by name: no definition of them was found, see its RaggedAllToAll).
 * The figure is that of the busiest device.
 */
final class CollectiveTraffic {
    private CollectiveTraffic() {}

    /** Bytes received (-1 when the group size is unknown) and whether that is only an upper bound. */
    record Received(long bytes, boolean bound) {
        static final Received UNKNOWN = new Received(-1, false);
    }

    /** The module's process counts ({@code mhlo.num_replicas}, {@code mhlo.num_partitions}); 0 when not stated. */
    record Processes(long replicas, long partitions) {
        static final Processes UNKNOWN = new Processes(0, 0);

        static Processes of(Module m) {
            if (m.attributes() == null) return UNKNOWN;
            long p = m.attributes().get("mhlo.num_partitions") instanceof IntegerAttr i ? i.value() : 0;
            long r = m.attributes().get("mhlo.num_replicas") instanceof IntegerAttr i ? i.value() : p > 0 ? 1 : 0;
            return new Processes(r, p);
        }
    }

    /** The custom call target of a {@code ragged_all_to_all}, which the runtime runs as a collective. */
    static final String RAGGED = "ragged_all_to_all";

    static boolean isRaggedAllToAll(Operation op) {
        return op.name().equals("stablehlo.custom_call") && op.attr("call_target_name") instanceof StringAttr s
                && s.value().equals(RAGGED);
    }

    /**
     * Devices in one group of a StableHLO collective (or ragged_all_to_all), by the spec's process-group modes
     * ({@link CollectiveMode}): the largest row of replica_groups, times the partitions for cross_replica_and_partition; every
     * process of the mode when the groups are empty (0 when the module does not say how many there are).
     */
    static long groupSize(Operation op, List<List<Long>> rows, Processes procs) {
        CollectiveMode mode = mode(op);
        // the largest group, padding (-1) left out: the busiest device's
        long row = rows.stream().mapToLong(r -> r.stream().filter(id -> id != -1).count()).max().orElse(0);
        return mode.groupSize(row, procs.replicas(), procs.partitions());
    }

    /** How the op's group ids name processes, from its channel and {@code use_global_device_ids}; refused at the op. */
    static CollectiveMode mode(Operation op) {
        long channel = op.attr("channel_handle") instanceof ChannelHandle c ? c.handle() : 0;
        String kind = op.name();
        if (isRaggedAllToAll(op)) {
            kind = RAGGED;
            if (op.attr("backend_config") instanceof DictionaryAttr d && d.get("channel_id") instanceof IntegerAttr c) channel = c.value();
        }
        try {
            return CollectiveMode.of(kind, channel, op.attr("use_global_device_ids") != null);
        } catch (IllegalArgumentException e) {
            throw new Hlo4jException(e.getMessage(), op.location(), e);
        }
    }

    /** What the busiest device receives in a StableHLO collective (or ragged_all_to_all) with groups of g devices. */
    static Received stablehlo(Operation op, long g, List<List<Long>> rows) {
        long in = CollectiveInfo.bytes(op.operandTypes()), out = CollectiveInfo.bytes(op.resultTypes());
        String n = op.name();
        if (n.equals("stablehlo.collective_permute")) {
            // the pairs name the devices: a target of another device receives the whole operand
            for (List<Long> pair : rows) if (pair.size() == 2 && !pair.get(0).equals(pair.get(1))) return new Received(in, false);
            return new Received(0, false);
        }
        if (g == 0) return Received.UNKNOWN;
        if (g == 1) return new Received(0, false);
        if (n.equals("stablehlo.collective_broadcast")) {
            List<Type> data = op.operandTypes();
            if (op.attr("has_dynamic_root") != null) data = data.subList(0, data.size() - 1);
            return new Received(CollectiveInfo.bytes(data), false); // every member but the root receives it once
        }
        if (isRaggedAllToAll(op)) {
            long buffer = op.numOperands() > 1 ? TensorBytes.of(op.operand(1).type()) : Long.MAX_VALUE; // operand 1: the output
            return new Received(RingBytes.raggedAllToAllBound(g, raggedChunk(op), buffer), true);
        }
        if (!RingBytes.covers(n)) {
            throw new Hlo4jException("no received-bytes definition for collective " + n, op.location());
        }
        return new Received(RingBytes.received(n, g, in, out), false);
    }

    /** The most one sender can put into one receiver: min(input, output) rows of the input's row size. */
    private static long raggedChunk(Operation op) {
        if (!(op.operand(0).type() instanceof TensorType in) || !(op.operand(1).type() instanceof TensorType out)
                || in.rank() == 0 || out.rank() == 0) return TensorBytes.of(op.operand(0).type());
        long rows = Math.min(in.dim(0), out.dim(0));
        long rowBytes = in.dim(0) == 0 ? 0 : TensorBytes.of(in) / in.dim(0);
        return rows * rowBytes;
    }

    /**
     * A Shardy collective on one device's shards ({@code in}, {@code out} bytes) over g devices: the same formulas;
     * all_slice and the unreduced conversions are local (0); collective_permute at most the whole shard (a bound).
     */
    static Received sdy(String name, long g, long in, long out) {
        return switch (name) {
            case "sdy.all_slice", "sdy.sharded_to_unreduced", "sdy.replicated_to_unreduced" -> new Received(0, false);
            case "sdy.collective_permute" -> new Received(in, true);
            default -> {
                if (g == 0) yield Received.UNKNOWN;
                if (g == 1) yield new Received(0, false);
                yield new Received(RingBytes.received(name, g, in, out), false);   // all_gather, all_reduce, all_to_all, reduce_scatter
            }
        };
    }

    /** replica_groups of a ragged_all_to_all live in its backend_config dictionary. */
    static Attribute raggedGroups(Operation op) {
        return op.attr("backend_config") instanceof DictionaryAttr d && d.get("replica_groups") instanceof DenseElementsAttr g ? g : null;
    }

}
