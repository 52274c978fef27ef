package io.hlo4j.runtime.hlo;

import io.hlo4j.mlir.dialect.stablehlo.CollectiveMode;
import io.hlo4j.mlir.dialect.stablehlo.RingBytes;
import io.hlo4j.runtime.hlo.proto.HloInstructionProto;
import io.hlo4j.runtime.pjrt.proto.ShapeProto;

import java.util.List;

/**
 * The bytes the busiest device receives in one collective of an optimized (HLO) program: the definition
 * {@code inspect} of StableHLO and the run log use. The group collectives follow {@link RingBytes} (all-reduce,
 * all-gather, reduce-scatter, all-to-all and their async -start forms); collective-permute receives its whole
 * operands (all of a combined permute's) when some pair moves data between two devices; collective-broadcast the whole operand in a group of more
 * than one; ragged-all-to-all at most (g-1) chunks of min(input, output) rows (its sizes are data), and never more
 * than its output, where every received chunk lands (chunks may not overlap: the interpreter refuses overlapping
 * ones). A group of one moves nothing.
 *
 * <p>The group size follows the collective modes ({@link CollectiveMode}, the rule the interpreter and the StableHLO
 * cost analysis use too): without a channel the groups list replicas; with one, all-to-all, ragged-all-to-all and
 * collective-broadcast list partitions; all-reduce, all-gather and reduce-scatter list global device ids with
 * {@code use_global_device_ids}, else replicas, each standing for all partitions of that replica. Empty groups mean
 * every replica (or partition, or device) of the mode. Where that needs the replica or partition count and it is
 * not known (0), the bytes are unknown, and the reason is said.
 */
final class HloCollectiveBytes {
    private HloCollectiveBytes() {}

    /**
     * {@code groupSize} 0 for collective-permute (pairs, not groups); {@code bytes} -1 when unknown, {@code unknownWhy} then
     * set; {@code buffer} the larger of one device's operand and result bytes, as {@code inspect} of StableHLO counts it (the
     * whole gathered array of an all-gather, the whole input of a reduce-scatter; a ragged-all-to-all's input or output,
     * its offset and size operands being bookkeeping).
     */
    record Received(long groupSize, long bytes, boolean bound, String unknownWhy, long buffer) {}

    static Received of(HloInstructionProto i, List<ShapeProto> operands, List<List<Long>> groups, long replicas, long partitions) {
        try {
            return count(i, operands, groups, replicas, partitions);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(i.getOpcode() + " (%" + i.getName() + ", shape " + HloShapes.withLayout(i.getShape())
                    + "): its bytes do not fit in 64 bits (operands " + operands.stream().map(HloShapes::withLayout).toList() + ")");
        }
    }

    private static Received count(HloInstructionProto i, List<ShapeProto> operands, List<List<Long>> groups, long replicas, long partitions) {
        String op = i.getOpcode().endsWith("-start") ? i.getOpcode().substring(0, i.getOpcode().length() - "-start".length()) : i.getOpcode();
        long in = 0;
        for (ShapeProto s : operands) in = Math.addExact(in, HloShapes.bytes(s));
        if (op.equals("collective-permute")) {
            // every operand is data (XLA's combiner makes one permute of several, its result their tuple), except in the
            // in-place form (it has dynamic_slice_sizes), whose operands after the first are the output buffer and start indices
            long data = i.getDynamicSliceSizesCount() == 0 ? in : operands.isEmpty() ? 0 : HloShapes.bytes(operands.getFirst());
            long buffer = Math.max(data, result(i, in));
            for (List<Long> pair : groups) if (pair.size() == 2 && !pair.get(0).equals(pair.get(1))) return new Received(0, data, false, null, buffer);
            return new Received(0, 0, false, null, buffer);
        }
        long buffer = op.equals("ragged-all-to-all") ? Math.max(operands.isEmpty() ? 0 : HloShapes.bytes(operands.getFirst()), result(i, in))
                : Math.max(in, result(i, in));
        CollectiveMode mode;
        try {
            mode = CollectiveMode.of(op, i.getChannelId(), i.getUseGlobalDeviceIds());
        } catch (IllegalArgumentException e) {
            return new Received(-1, -1, false, e.getMessage() + " (%" + i.getName() + ")", buffer);
        }
        long row = groups.stream().mapToLong(List::size).max().orElse(0);
        long g = mode.groupSize(row, replicas, partitions);
        String why = g != 0 ? null : switch (mode) {
            case CROSS_REPLICA -> "empty replica_groups: every replica, and the replica count is not known";
            case CROSS_PARTITION -> "empty replica_groups: every partition, and the partition count is not known";
            case FLATTENED_IDS -> "empty replica_groups: every device, and the device count is not known";
            case CROSS_REPLICA_AND_PARTITION -> "channel_id without use_global_device_ids: groups of replicas times the partitions, and "
                    + (partitions == 0 ? "the partition count" : "the replica count") + " is not known";
        };
        if (why != null) return new Received(-1, -1, false, why, buffer);
        if (g == 1) return new Received(g, 0, false, null, buffer);
        return switch (op) {
            case "collective-broadcast" -> new Received(g, in, false, null, buffer);
            case "ragged-all-to-all" -> new Received(g, RingBytes.raggedAllToAllBound(g, raggedChunk(operands), raggedOutput(operands)),
                    true, null, buffer);
            case "all-gather" -> new Received(g, RingBytes.received("all_gather", g, in, gathered(i, in)), false, null, buffer);
            case "all-reduce" -> new Received(g, RingBytes.received("all_reduce", g, in, in), false, null, buffer);
            case "reduce-scatter" -> new Received(g, RingBytes.received("reduce_scatter", g, in, HloShapes.bytes(i.getShape())), false, null, buffer);
            case "all-to-all" -> new Received(g, RingBytes.received("all_to_all", g, in, HloShapes.bytes(i.getShape())), false, null, buffer);
            default -> throw new IllegalArgumentException("no received-bytes definition for collective " + i.getOpcode() + " (%" + i.getName() + ")");
        };
    }

    /** An all-gather's result bytes; all-gather-start's shape is the tuple (operands, results), so the results are the rest. */
    private static long gathered(HloInstructionProto i, long in) {
        long all = HloShapes.bytes(i.getShape());
        return i.getOpcode().endsWith("-start") && i.getShape().getTupleShapesCount() > 0 ? all - in : all;
    }

    /**
     * The result bytes on one device: the shape, except for the async starts whose shape is a tuple holding more than the
     * result: all-gather-start (operands, results) and collective-permute-start (operand, result, contexts...).
     */
    private static long result(HloInstructionProto i, long in) {
        ShapeProto s = i.getShape();
        if (i.getOpcode().equals("collective-permute-start") && s.getTupleShapesCount() >= 2) return HloShapes.bytes(s.getTupleShapes(1));
        return i.getOpcode().equals("all-gather-start") ? gathered(i, in) : HloShapes.bytes(s);
    }

    /** A ragged-all-to-all's output buffer (its second operand), which holds everything a device receives. */
    private static long raggedOutput(List<ShapeProto> operands) {
        return operands.size() < 2 ? Long.MAX_VALUE : HloShapes.bytes(operands.get(1));
    }

    /** ragged-all-to-all(input, output, offsets and sizes...): one sender puts at most min(input, output) rows into one receiver. */
    private static long raggedChunk(List<ShapeProto> operands) {
        if (operands.size() < 2) return operands.isEmpty() ? 0 : HloShapes.bytes(operands.getFirst());
        ShapeProto input = operands.get(0), output = operands.get(1);
        if (input.getDimensionsCount() == 0 || output.getDimensionsCount() == 0) return HloShapes.bytes(input);
        long rows = Math.min(input.getDimensions(0), output.getDimensions(0));
        return input.getDimensions(0) == 0 ? 0 : Math.multiplyExact(rows, HloShapes.bytes(input) / input.getDimensions(0));
    }
}
