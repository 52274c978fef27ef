package io.hlo4j.compiler.cost;

import io.hlo4j.compiler.cost.CostAnalysis.ModuleCost;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders a {@link ModuleCost} for people (aligned text) or programs (JSON). */
public final class CostReport {
    private CostReport() {}

    public static String json(ModuleCost c, Target target) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("module", c.module());
        root.put("target", target.name());
        List<Object> fs = new ArrayList<>();
        for (FunctionCost f : c.functions()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", f.name());
            m.put("ops", f.ops());
            m.put("op_count", f.opCount());
            m.put("parameters", f.parameters());
            m.put("parameter_bytes", f.parameterBytes());
            m.put("flops", f.flops());
            m.put("flops_is_bound", f.flopsBound());
            m.put("dynamic_dims_counted_as_1", f.dynamic());
            m.put("bytes", f.bytes());
            m.put("bytes_read", f.bytesRead());
            m.put("bytes_written", f.bytesWritten());
            m.put("arithmetic_intensity", f.intensity());
            m.put("roofline_seconds", target.rooflineSeconds(f.flops(), f.bytes()));
            m.put("peak_memory_bytes", f.peakBytes());
            m.put("collective_bytes_received", f.collectiveBytes());
            List<Object> top = new ArrayList<>();
            for (FunctionCost.OpShare o : f.topOps()) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("op", o.op());
                t.put("location", o.location());
                t.put("flops", o.flops());
                top.add(t);
            }
            m.put("top_ops", top);
            fs.add(m);
        }
        root.put("functions", fs);
        Map<String, Object> total = new LinkedHashMap<>();
        total.put("flops", c.totalFlops());
        total.put("bytes", c.totalBytes());
        total.put("roofline_seconds", target.rooflineSeconds(c.totalFlops(), c.totalBytes()));
        root.put("total", total);
        List<Object> cs = new ArrayList<>();
        for (CollectiveInfo ci : c.collectives()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("op", ci.op());
            m.put("function", ci.function());
            m.put("location", ci.location());
            m.put("replica_groups", ci.replicaGroups());
            m.put("group_size", ci.groupSize());
            m.put("bytes_received_per_device", ci.bytesPerDevice());
            m.put("bytes_received_is_bound", ci.bytesBound());
            m.put("buffer_bytes_per_device", ci.bufferBytes());
            if (ci.axes() != null) m.put("axes", ci.axes());
            if (ci.meshAxes() != null) {
                m.put("mesh", ci.meshAxes().mesh());
                m.put("mesh_axes", ci.meshAxes().axes());
                if (ci.meshAxes().note() != null) m.put("mesh_axes_note", ci.meshAxes().note());
            }
            cs.add(m);
        }
        root.put("collectives", cs);
        root.put("entry", c.entry());
        root.put("arguments", tensors(c.arguments()));
        root.put("results", tensors(c.results()));
        return Json.write(root);
    }

    private static List<Object> tensors(List<TensorInfo> ts) {
        List<Object> out = new ArrayList<>();
        for (TensorInfo t : ts) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("index", t.index());
            m.put("type", t.type());
            m.put("bytes", t.bytes());
            m.put("sharding", t.sharding());
            if (t.sharding() != null) {
                m.put("mesh", t.mesh());
                m.put("axes_per_dim", t.axesPerDim());
                m.put("shard_shape", t.shardShape());
                m.put("shard_bytes", t.shardBytes());
                if (!t.unevenDims().isEmpty()) m.put("uneven_dims", t.unevenDims());
            }
            out.add(m);
        }
        return out;
    }

    public static String text(ModuleCost c, Target target) {
        StringBuilder sb = new StringBuilder();
        sb.append("module ").append(c.module() == null ? "(unnamed)" : "@" + c.module())
                .append("  target ").append(target.name()).append(" (").append(target.description()).append(", ")
                .append(flops(target.peakFlops())).append("/s, HBM ").append(String.format(Locale.ROOT, "%.2f TB/s", target.hbmBytesPerSecond() / 1e12)).append(")\n");
        for (FunctionCost f : c.functions()) {
            sb.append("\nfunc @").append(f.name()).append(": ").append(f.opCount()).append(" ops, ")
                    .append(f.parameters()).append(" parameters (").append(bytes(f.parameterBytes())).append(")\n");
            if (f.dynamic()) sb.append("  note          dynamic dimensions (?) are counted as 1: costs are per unit of each\n");
            sb.append("  flops         ").append(flops(f.flops())).append(f.flopsBound() ? " (upper bound)" : "")
                    .append("  [").append(f.flops()).append("]\n");
            sb.append("  bytes         ").append(bytes(f.bytes())).append(" (read ").append(bytes(f.bytesRead()))
                    .append(", written ").append(bytes(f.bytesWritten())).append(", unfused)\n");
            sb.append("  intensity     ").append(String.format(Locale.ROOT, "%.2f", f.intensity()))
                    .append(" flop/byte (ridge ").append(String.format(Locale.ROOT, "%.0f", target.ridgeIntensity())).append(")\n");
            sb.append("  roofline      ").append(seconds(target.rooflineSeconds(f.flops(), f.bytes())))
                    .append(f.intensity() < target.ridgeIntensity() ? " (memory-bound)" : " (compute-bound)").append('\n');
            sb.append("  peak memory   ").append(bytes(f.peakBytes()))
                    .append(f.peakAtOp() == null ? "" : " (at " + f.peakAtOp() + ")").append('\n');
            if (!f.topOps().isEmpty()) {
                sb.append("  costliest ops:\n");
                for (FunctionCost.OpShare o : f.topOps()) {
                    sb.append("    ").append(String.format(Locale.ROOT, "%5.1f%%  ", f.flops() == 0 ? 0 : 100.0 * o.flops() / f.flops()))
                            .append(o.op()).append(" at ").append(o.location()).append(" (").append(flops(o.flops())).append(")\n");
                }
            }
            sb.append("  ops:\n");
            int width = f.ops().keySet().stream().mapToInt(String::length).max().orElse(0);
            f.ops().entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .forEach(e -> sb.append("    ").append(e.getKey()).append(" ".repeat(width - e.getKey().length() + 2))
                            .append(String.format("%5d", e.getValue())).append('\n'));
        }
        if (c.functions().size() > 1) {
            sb.append("\ntotal: ").append(flops(c.totalFlops())).append(", ").append(bytes(c.totalBytes())).append(", roofline ")
                    .append(seconds(target.rooflineSeconds(c.totalFlops(), c.totalBytes()))).append('\n');
        }
        sb.append("\ncollectives: ").append(c.collectives().isEmpty() ? "none\n" : c.collectives().size() + "\n");
        for (CollectiveInfo ci : c.collectives()) {
            sb.append("  ").append(ci.op()).append(" in @").append(ci.function()).append(" at ").append(ci.location()).append(": ");
            if (ci.op().equals("stablehlo.collective_permute")) {
                sb.append(permutePairs(ci.replicaGroups())).append(", ").append(received(ci));
            } else {
                sb.append("group size ").append(ci.groupSize()).append(", ").append(received(ci));
                if (!ci.replicaGroups().isEmpty()) sb.append(", groups ").append(ci.replicaGroups());
            }
            if (ci.axes() != null) sb.append(", axes ").append(ci.axes());
            if (ci.meshAxes() != null) sb.append(", ").append(ci.meshAxes().text(ci.op().equals("stablehlo.collective_permute")));
            sb.append('\n');
        }
        if (c.entry() != null) {
            sb.append("\narguments of @").append(c.entry()).append(":\n");
            for (TensorInfo t : c.arguments()) tensor(sb, "%arg" + t.index(), t);
            sb.append("results:\n");
            for (TensorInfo t : c.results()) tensor(sb, "#" + t.index(), t);
        }
        return sb.toString();
    }

    /**
     * A collective_permute's source/target pairs, not groups: those that move data (what {@code run --spmd --collectives}
     * lists), then the self-pairs, which move nothing.
     */
    static String permutePairs(List<List<Long>> pairs) {
        if (pairs.isEmpty()) return "no source/target pairs";
        List<List<Long>> moving = pairs.stream().filter(p -> !p.get(0).equals(p.get(1))).toList();
        List<List<Long>> still = pairs.stream().filter(p -> p.get(0).equals(p.get(1))).toList();
        String text = moving.isEmpty() ? "no source/target pair moves data" : "source/target pairs " + moving + " move data";
        if (!still.isEmpty()) text += " (" + still + (still.size() == 1 ? " sends to itself" : " send to themselves") + ": nothing moves)";
        return text;
    }

    /** The bytes the busiest device receives (the run log's measure), then the buffer it holds. */
    static String received(CollectiveInfo ci) {
        String buffer = " (buffer " + bytes(ci.bufferBytes()) + ")";
        if (ci.bytesPerDevice() < 0) return "received bytes unknown (group size unknown)" + buffer;
        return (ci.bytesBound() ? "at most " : "") + bytes(ci.bytesPerDevice()) + " received per device" + buffer;
    }

    private static void tensor(StringBuilder sb, String label, TensorInfo t) {
        sb.append("  ").append(label).append(": ").append(t.type()).append(" (").append(bytes(t.bytes())).append(')');
        if (t.sharding() == null) {
            sb.append(", unsharded\n");
            return;
        }
        sb.append(", ").append(t.sharding()).append("\n      axes per dim ").append(t.axesPerDim())
                .append(", shard ").append(t.shardShape()).append(" (").append(bytes(t.shardBytes())).append(" per device)")
                .append(unevenNote(t.unevenDims())).append('\n');
    }

    /** The mark on a shard whose split does not divide its dimensions; empty when every split is even. */
    public static String unevenNote(List<Integer> dims) {
        if (dims.isEmpty()) return "";
        return " (uneven: dim" + (dims.size() == 1 ? " " + dims.getFirst() : "s " + dims) + " padded by Shardy; hlo4j's partitioner refuses it)";
    }

    static String flops(double f) { return scaled(f, new String[] {"FLOP", "KFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP"}, 1000); }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        return scaled(b, new String[] {"B", "KiB", "MiB", "GiB", "TiB", "PiB"}, 1024);
    }

    private static String scaled(double v, String[] units, double base) {
        int u = 0;
        while (v >= base && u < units.length - 1) { v /= base; u++; }
        return u == 0 ? String.format(Locale.ROOT, "%.0f %s", v, units[0]) : String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    static String seconds(double s) {
        if (s >= 1) return String.format(Locale.ROOT, "%.3f s", s);
        if (s >= 1e-3) return String.format(Locale.ROOT, "%.3f ms", s * 1e3);
        if (s >= 1e-6) return String.format(Locale.ROOT, "%.3f us", s * 1e6);
        return String.format(Locale.ROOT, "%.1f ns", s * 1e9);
    }
}
