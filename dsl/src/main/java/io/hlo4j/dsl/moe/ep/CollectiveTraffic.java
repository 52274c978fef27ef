package io.hlo4j.dsl.moe.ep;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.stablehlo.RingBytes;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * The collectives of a per-device module and the bytes each device sends for them, from their shapes and group
 * sizes alone, with the ring-algorithm counts of {@link EpCostModel} (all_gather: (g-1)/g of the result;
 * reduce_scatter and all_to_all: (g-1)/g of the operand; all_reduce: twice (g-1)/g of the operand). A
 * {@code ragged_all_to_all} moves a data-dependent number of rows: it is listed with its row bytes and the
 * bytes of its whole operand as the bound, and its real traffic comes from the run.
 */
public final class CollectiveTraffic {
    private CollectiveTraffic() {}

    /**
     * One collective: {@code op} (all_gather, reduce_scatter, all_reduce, all_to_all, ragged_all_to_all), its group
     * size, bytes sent per device (for ragged: the bound, its whole operand off-shard) and the bytes of one row.
     */
    public record Collective(String op, int groupSize, double bytes, long rowBytes, boolean ragged) {}

    public static List<Collective> of(Module m) {
        List<Collective> out = new ArrayList<>();
        walk(m.op(), out);
        return out;
    }

    /** The total of the non-ragged collectives. */
    public static double staticBytes(List<Collective> cs) {
        return cs.stream().filter(c -> !c.ragged()).mapToDouble(Collective::bytes).sum();
    }

    private static void walk(Operation op, List<Collective> out) {
        Collective c = classify(op);
        if (c != null) out.add(c);
        for (Region r : op.regions()) for (Block b : r.blocks()) for (Operation o : b.operations()) walk(o, out);
    }

    private static Collective classify(Operation op) {
        String n = op.name();
        switch (n) {
            case "stablehlo.all_gather", "stablehlo.reduce_scatter", "stablehlo.all_reduce", "stablehlo.all_to_all" -> {
                int g = groupSize(op.attr("replica_groups"));
                long in = bytes(op.operandTypes().get(0)), res = bytes(op.resultTypes().get(0));
                String short_ = n.substring("stablehlo.".length());
                return new Collective(short_, g, RingBytes.received(short_, g, in, res), 0, false);
            }
            case "stablehlo.custom_call" -> {
                if (!(op.attr("call_target_name") instanceof StringAttr s) || !s.value().equals("ragged_all_to_all")) return null;
                int g = op.attr("backend_config") instanceof DictionaryAttr d ? groupSize(d.get("replica_groups")) : 1;
                TensorType t = (TensorType) op.operandTypes().get(0);
                long rowBytes = bytes(t) / Math.max(1, t.dim(0));
                return new Collective("ragged_all_to_all", g, bytes(t), rowBytes, true);
            }
            default -> {
                return null;
            }
        }
    }

    private static int groupSize(Attribute a) {
        if (a instanceof DenseElementsAttr d && d.type().rank() == 2) return (int) d.type().dim(1);
        throw new IllegalStateException("collective without 2-D replica_groups: " + a);
    }

    private static long bytes(io.hlo4j.mlir.types.Type t) {
        TensorType tt = (TensorType) t;
        long n = 1;
        for (long d : tt.shape()) n = Math.multiplyExact(n, d);
        return Math.multiplyExact(n, (long) tt.elementType().storageBytes());
    }
}
