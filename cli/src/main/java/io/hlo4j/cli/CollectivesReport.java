package io.hlo4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hlo4j.dsl.moe.ep.EpCostModel;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.runtime.spmd.CollectiveRecord;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a partitioned MoE run communicated: one entry per collective executed (from the run's log: op, mesh axes,
 * group size, bytes sent and received by every device) and, for each communication step of the EP cost model
 * (reshard, dispatch, combine, ...), the model's bytes per device next to the bytes the matching collective moved.
 * A model step is matched to the first not yet matched collective of the same op and group size, in program order
 * (the order in which the model lists them); a step with no collective (the entry reshard the host split does) has
 * no measured bytes. The model counts ragged all-to-alls by their expectation under uniform routing, the rest by
 * ring-algorithm lower bounds.
 */
final class CollectivesReport {
    private CollectivesReport() {}

    /** A cost model step and the log entry it matched (-1: none). */
    record Match(EpCostModel.Entry entry, int collective, long measuredMaxSent) {}

    /** The short op name: {@code stablehlo.all_gather} -> {@code all_gather}; ragged all-to-all by its target. */
    static String shortOp(String op) {
        String s = op.startsWith("stablehlo.") ? op.substring("stablehlo.".length()) : op;
        return s.contains("ragged_all_to_all") ? "ragged_all_to_all" : s;
    }

    static List<Match> match(EpCostModel.Estimate est, List<CollectiveRecord> log) {
        List<Match> out = new ArrayList<>();
        if (est == null) return out;
        boolean[] used = new boolean[log.size()];
        for (EpCostModel.Entry e : est.entries()) {
            int hit = -1;
            for (int i = 0; i < log.size() && hit < 0; i++) {
                CollectiveRecord r = log.get(i);
                if (!used[i] && shortOp(r.op()).equals(e.op()) && r.groupSize() == e.groupSize()) hit = i;
            }
            if (hit >= 0) used[hit] = true;
            out.add(new Match(e, hit, hit < 0 ? 0 : log.get(hit).maxBytesSent()));
        }
        return out;
    }

    static String json(MeshMoeRun r, Mesh mesh) {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("mesh", describe(mesh));
        root.put("devices", mesh.size());
        root.put("ep_mode", r.mode() == null ? null : r.mode().cliName());
        List<CollectiveRecord> log = r.run().log();
        ArrayNode cs = root.putArray("collectives");
        long[] sent = new long[mesh.size()], recv = new long[mesh.size()];
        for (int i = 0; i < log.size(); i++) {
            CollectiveRecord c = log.get(i);
            ObjectNode o = cs.addObject();
            o.put("index", i);
            o.put("op", shortOp(c.op()));
            ArrayNode axes = o.putArray("axes");
            c.axes().forEach(axes::add);
            o.put("group_size", c.groupSize());
            ArrayNode groups = o.putArray("groups");
            for (List<Integer> g : c.groups()) {
                ArrayNode ga = groups.addArray();
                g.forEach(ga::add);
            }
            longs(o.putArray("bytes_sent_per_device"), c.bytesSent());
            longs(o.putArray("bytes_received_per_device"), c.bytesReceived());
            o.put("location", c.location());
            for (int d = 0; d < sent.length; d++) {
                sent[d] += c.bytesSent()[d];
                recv[d] += c.bytesReceived()[d];
            }
        }
        ObjectNode totals = root.putObject("totals");
        longs(totals.putArray("bytes_sent_per_device"), sent);
        longs(totals.putArray("bytes_received_per_device"), recv);
        ArrayNode an = root.putArray("analytic");
        for (Match m : match(r.estimate(), log)) {
            ObjectNode o = an.addObject();
            o.put("what", m.entry().what());
            o.put("op", m.entry().op());
            o.put("group_size", m.entry().groupSize());
            o.put(m.entry().op().equals("ragged_all_to_all") ? "expected_bytes_per_device" : "lower_bound_bytes_per_device", m.entry().bytes());
            if (m.collective() < 0) {
                o.putNull("collective");
                o.putNull("measured_max_bytes_sent");
                o.put("note", m.entry().op().equals("reshard") ? "done by the argument split, not by a collective of the program"
                        : "no collective of this op and group size ran");
            } else {
                o.put("collective", m.collective());
                o.put("measured_max_bytes_sent", m.measuredMaxSent());
            }
        }
        try {
            return om.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The short table the demo prints: one row per collective, then the model's steps against them. */
    static void table(PrintWriter out, MeshMoeRun r) {
        List<CollectiveRecord> log = r.run().log();
        out.println("  #  op                 axes            group  max sent B/device  max recv B/device");
        for (int i = 0; i < log.size(); i++) {
            CollectiveRecord c = log.get(i);
            out.printf(Locale.ROOT, "  %-2d %-18s %-15s %5d  %17d  %17d%n", i, shortOp(c.op()), String.join(",", c.axes()), c.groupSize(),
                    c.maxBytesSent(), c.maxBytesReceived());
        }
        List<Match> ms = match(r.estimate(), log);
        if (ms.isEmpty()) return;
        out.println("  cost model (" + r.mode().cliName() + "): step, bound or expectation B/device, measured max sent B/device");
        for (Match m : ms) {
            String kind = m.entry().op().equals("ragged_all_to_all") ? "expected" : "bound";
            out.printf(Locale.ROOT, "    %-38s %-8s %10.0f  %s%n", m.entry().what(), kind, m.entry().bytes(),
                    m.collective() < 0 ? (m.entry().op().equals("reshard") ? "(argument split, no collective)" : "(none ran)")
                            : m.measuredMaxSent() + " (#" + m.collective() + ")");
        }
    }

    static String describe(Mesh mesh) {
        List<String> parts = new ArrayList<>();
        int[] s = mesh.sizes();
        for (int i = 0; i < s.length; i++) parts.add(mesh.axisNames().get(i) + "=" + s[i]);
        return String.join(",", parts);
    }

    private static void longs(ArrayNode a, long[] v) { Arrays.stream(v).forEach(a::add); }
}
