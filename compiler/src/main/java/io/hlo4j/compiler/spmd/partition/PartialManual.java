package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.cost.TensorBytes;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.ManualAxes;
import io.hlo4j.mlir.dialect.sdy.SdyManualComputation;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The partially manual {@code sdy.manual_computation} the partitioner takes: its free axes (mesh axes not in
 * manual_axes) appear nowhere in it. Then every value of the body is replicated over the free axes, the body
 * computes the same on every free-axis coordinate, and inlining it on all devices is exact, provided each
 * collective of the body only joins devices that share their free-axis coordinates (JAX's axis groups over the
 * manual axes are such groups). Anything else is refused here, by name, before a line is emitted.
 */
final class PartialManual {
    private PartialManual() {}

    /** Checks {@code op} (manual on {@code manual}, on {@code grid} of mesh {@code meshName}); returns its free axes. */
    static List<String> check(Operation op, DeviceGrid grid, String meshName, ManualAxes manual) {
        List<String> free = new ArrayList<>();
        for (var a : grid.mesh().axes()) if (!manual.contains(a.name())) free.add(a.name());
        String what = "sdy.manual_computation manual on " + manual.axes() + " of mesh @" + meshName + " axes " + grid.mesh().axisNames()
                + " (free axes " + free + ")";
        TensorShardingPerValue in = SdyManualComputation.inShardings(op), out = SdyManualComputation.outShardings(op);
        for (int i = 0; i < in.size(); i++) noFree(in.get(i), free, what, "in_shardings #" + i, op);
        for (int i = 0; i < out.size(); i++) noFree(out.get(i), free, what, "out_shardings #" + i, op);
        for (Block blk : op.region(0).blocks()) for (Operation inner : blk.operations()) body(inner, grid, free, what);
        return free;
    }

    private static void body(Operation inner, DeviceGrid grid, List<String> free, String what) {
        if (inner.name().equals("sdy.manual_computation")) {
            throw new Hlo4jException(what + ": a nested sdy.manual_computation (manual on "
                    + SdyManualComputation.manualAxes(inner).axes() + ") inside a partially manual one is not supported", inner.location());
        }
        for (Map.Entry<String, Attribute> e : allAttrs(inner).entrySet()) {
            if (e.getValue() instanceof TensorSharding s) noFree(s, free, what, "'" + inner.name() + "' " + e.getKey(), inner);
            if (e.getValue() instanceof TensorShardingPerValue pv) {
                for (int i = 0; i < pv.size(); i++) noFree(pv.get(i), free, what, "'" + inner.name() + "' " + e.getKey() + " #" + i, inner);
            }
        }
        if (inner.attr("replica_groups") != null) groups(inner, "replica_groups", grid, free, what);
        if (inner.attr("source_target_pairs") != null) groups(inner, "source_target_pairs", grid, free, what);
        for (Region r : inner.regions()) for (Block blk : r.blocks()) for (Operation o : blk.operations()) body(o, grid, free, what);
    }

    private static Map<String, Attribute> allAttrs(Operation op) {
        Map<String, Attribute> all = new java.util.LinkedHashMap<>(op.properties().asMap());
        all.putAll(op.attributes().asMap());
        return all;
    }

    private static void noFree(TensorSharding s, List<String> free, String what, String where, Operation at) {
        Set<String> named = new LinkedHashSet<>();
        for (DimensionSharding d : s.dimShardings()) for (AxisRef r : d.axes()) named.add(r.name());
        for (AxisRef r : s.replicatedAxes()) named.add(r.name());
        for (AxisRef r : s.unreducedAxes()) named.add(r.name());
        named.retainAll(free);
        if (!named.isEmpty()) {
            throw new Hlo4jException(what + ": " + where + " " + s + " names free axes " + named
                    + "; a partially manual computation is supported only when its free axes appear nowhere in it", at.location());
        }
    }

    /**
     * Each group (each pair) must join devices with equal free-axis coordinates: the body's values are the same on
     * every free coordinate, and a group across them would combine copies (a psum over y would count each twice).
     */
    private static void groups(Operation inner, String key, DeviceGrid grid, List<String> free, String what) {
        if (!(inner.attr(key) instanceof DenseElementsAttr d)) {
            throw new Hlo4jException(what + ": '" + inner.name() + "' " + key + " " + inner.attr(key)
                    + " are not dense device ids; inside a partially manual computation write the groups out", inner.location());
        }
        long[] v = TensorBytes.intValues(d);
        int cols = d.type().rank() == 2 ? (int) d.type().dim(1) : v.length;
        if (v.length == 0) {
            throw new Hlo4jException(what + ": '" + inner.name() + "' has empty " + key + " (every device in one group), which joins devices "
                    + "on different free-axis coordinates", inner.location());
        }
        List<Integer> freeIdx = new ArrayList<>();
        for (int a = 0; a < grid.mesh().axes().size(); a++) if (free.contains(grid.mesh().axes().get(a).name())) freeIdx.add(a);
        for (int row = 0; row * cols < v.length; row++) {
            long[] group = Arrays.copyOfRange(v, row * cols, row * cols + cols);
            long[] first = null;
            for (long id : group) {
                if (id < 0) continue;
                if (id >= grid.devices()) {
                    throw new Hlo4jException(what + ": '" + inner.name() + "' " + key + " names device " + id + " but the mesh has "
                            + grid.devices(), inner.location());
                }
                long[] c = freeCoords(grid, (int) id, freeIdx);
                if (first == null) first = c;
                else if (!Arrays.equals(first, c)) {
                    throw new Hlo4jException(what + ": '" + inner.name() + "' " + key + (key.equals("source_target_pairs") ? " pair " : " group ") + Arrays.toString(group)
                            + " joins devices on different coordinates of free axes " + free
                            + "; a collective in the body may only span manual axes", inner.location());
                }
            }
        }
    }

    private static long[] freeCoords(DeviceGrid grid, int p, List<Integer> freeIdx) {
        long[] all = grid.coords(p), out = new long[freeIdx.size()];
        for (int i = 0; i < out.length; i++) out[i] = all[freeIdx.get(i)];
        return out;
    }
}
