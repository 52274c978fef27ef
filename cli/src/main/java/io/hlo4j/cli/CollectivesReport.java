package io.hlo4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hlo4j.dsl.moe.ep.DispatchBound;
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
 * (reshard, dispatch, combine, ...), the model's bytes per device next to the bytes the matching collectives moved
 * ({@link #match}); a step with no collective (the entry reshard the host split does) has no measured bytes. The model counts ragged all-to-alls by their expectation under uniform routing, the rest by
 * ring-algorithm lower bounds. Token-sharded runs add the analytic lower bound for the routing that actually ran
 * ({@link DispatchBound}): per device on each ragged step, and for dispatch and combine together.
 */
final class CollectivesReport {
    private CollectivesReport() {}

    /** A cost model step, the log entries it matched (none: empty) and the most any device sent over them. */
    record Match(EpCostModel.Entry entry, List<Integer> collectives, long measuredMaxSent) {}

    /** "1 collective", "3 collectives": a run's count as the run lines print it. */
    static String count(int collectives) { return collectives + (collectives == 1 ? " collective" : " collectives"); }

    /** The short op name: {@code stablehlo.all_gather} -> {@code all_gather}; ragged all-to-all by its target. */
    static String shortOp(String op) {
        String s = op.startsWith("stablehlo.") ? op.substring("stablehlo.".length()) : op;
        return s.contains("ragged_all_to_all") ? "ragged_all_to_all" : s;
    }

    /**
     * Fixed-size steps match the first unmatched collective of the same op and group size. The ragged steps
     * (dispatch, its metadata, combine) match the ragged all-to-alls of their group size in order: the first step the
     * first, the last step the last, the steps between one each, the last of them also any left over (the model
     * counts a step's metadata as one entry, the program may send it in several).
     */
    static List<Match> match(EpCostModel.Estimate est, List<CollectiveRecord> log) {
        List<Match> out = new ArrayList<>();
        if (est == null) return out;
        boolean[] used = new boolean[log.size()];
        java.util.Map<EpCostModel.Entry, List<Integer>> ragged = raggedMatches(est, log);
        for (EpCostModel.Entry e : est.entries()) {
            List<Integer> hits = new ArrayList<>();
            if (e.op().equals("ragged_all_to_all")) {
                hits.addAll(ragged.getOrDefault(e, List.of()));
            } else {
                for (int i = 0; i < log.size() && hits.isEmpty(); i++) {
                    CollectiveRecord r = log.get(i);
                    if (!used[i] && shortOp(r.op()).equals(e.op()) && r.groupSize() == e.groupSize()) hits.add(i);
                }
            }
            for (int i : hits) used[i] = true;
            out.add(new Match(e, hits, maxSent(log, hits)));
        }
        return out;
    }

    private static java.util.Map<EpCostModel.Entry, List<Integer>> raggedMatches(EpCostModel.Estimate est, List<CollectiveRecord> log) {
        List<EpCostModel.Entry> steps = est.entries().stream().filter(e -> e.op().equals("ragged_all_to_all")).toList();
        java.util.Map<EpCostModel.Entry, List<Integer>> out = new java.util.IdentityHashMap<>();
        if (steps.isEmpty()) return out;
        List<Integer> rs = new ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            if (shortOp(log.get(i).op()).equals("ragged_all_to_all") && log.get(i).groupSize() == steps.get(0).groupSize()) rs.add(i);
        }
        for (EpCostModel.Entry e : steps) out.put(e, new ArrayList<>());
        if (rs.isEmpty()) return out;
        int n = steps.size();
        if (n == 1) {
            out.get(steps.get(0)).addAll(rs);
            return out;
        }
        out.get(steps.get(0)).add(rs.get(0));
        if (rs.size() > 1) out.get(steps.get(n - 1)).add(rs.get(rs.size() - 1));
        List<Integer> middle = rs.size() > 2 ? rs.subList(1, rs.size() - 1) : List.of();
        for (int j = 0; j < middle.size(); j++) out.get(steps.get(Math.min(1 + j, n - 2))).add(middle.get(j));
        return out;
    }

    /** What each device sent over the given collectives together. */
    private static long[] sentPerDevice(List<CollectiveRecord> log, List<Integer> idx, int devices) {
        long[] per = new long[devices];
        for (int i : idx) for (int d = 0; d < per.length; d++) per[d] += log.get(i).bytesSent()[d];
        return per;
    }

    /** The most any one device sent over the given collectives together. */
    private static long maxSent(List<CollectiveRecord> log, List<Integer> idx) {
        if (idx.isEmpty()) return 0;
        long[] per = new long[log.get(idx.get(0)).bytesSent().length];
        for (int i : idx) for (int d = 0; d < per.length; d++) per[d] += log.get(i).bytesSent()[d];
        return Arrays.stream(per).max().orElse(0);
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
        List<Match> matches = match(r.estimate(), log);
        List<DispatchBound.Step> raggedBounds = r.bound() == null ? List.of() : r.bound().raggedSteps();
        int ragged = 0;
        List<Integer> dispatchCombine = new ArrayList<>();
        for (Match m : matches) {
            ObjectNode o = an.addObject();
            o.put("what", m.entry().what());
            o.put("op", m.entry().op());
            o.put("group_size", m.entry().groupSize());
            boolean isRagged = m.entry().op().equals("ragged_all_to_all");
            if (isRagged) {
                o.put("expected_bytes_per_device", m.entry().bytes());
            } else {
                // a fixed-size collective moves the same bytes on every device: its lower bound, an array over devices
                // like the ragged steps' bound, so a key has one JSON type whatever the step (expected_* is the model's
                // single uniform-routing figure)
                long b = Math.round(m.entry().bytes());
                long[] each = new long[mesh.size()];
                Arrays.fill(each, b);
                longs(o.putArray("lower_bound_bytes_per_device"), each);
                o.put("lower_bound_max_bytes_per_device", b);
            }
            if (isRagged && ragged < raggedBounds.size()) {
                // the model's ragged steps and the bound's are the same steps in the same order
                DispatchBound.Step b = raggedBounds.get(ragged);
                longs(o.putArray("lower_bound_bytes_per_device"), b.bytesPerDevice());
                o.put("lower_bound_max_bytes_per_device", b.max());
            }
            if (isRagged) ragged++;
            if (r.bound() != null && (isRagged || m.entry().op().equals("all_to_all"))) dispatchCombine.addAll(m.collectives());
            ArrayNode idx = o.putArray("collectives");
            m.collectives().forEach(idx::add);
            if (m.collectives().isEmpty()) {
                o.putNull("measured_max_bytes_sent");
                o.put("note", m.entry().op().equals("reshard") ? "done by the argument split, not by a collective of the program"
                        : "no collective of this op and group size ran");
            } else {
                o.put("measured_max_bytes_sent", m.measuredMaxSent());
                if (isRagged) longs(o.putArray("measured_bytes_sent_per_device"), sentPerDevice(log, m.collectives(), mesh.size()));
            }
        }
        if (r.bound() != null) {
            ObjectNode dc = root.putObject("dispatch_combine");
            dc.put("what", "token-sharded dispatch and combine (the counts' all_to_all and the ragged all-to-alls), analytic lower bound for "
                    + "this run's routing next to what each device sent");
            longs(dc.putArray("lower_bound_bytes_per_device"), r.bound().bytesPerDevice());
            dc.put("lower_bound_max_bytes_per_device", r.bound().max());
            long[] measured = sentPerDevice(log, dispatchCombine, mesh.size());
            longs(dc.putArray("measured_bytes_sent_per_device"), measured);
            dc.put("measured_max_bytes_sent", Arrays.stream(measured).max().orElse(0));
            ArrayNode idx = dc.putArray("collectives");
            dispatchCombine.stream().sorted().forEach(idx::add);
            ArrayNode pairs = dc.putArray("pairs_sent_per_device");
            for (long[] p : r.bound().pairsTo()) longs(pairs.addArray(), p);
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
                    m.collectives().isEmpty() ? (m.entry().op().equals("reshard") ? "(argument split, no collective)" : "(none ran)")
                            : m.measuredMaxSent() + " (#" + String.join("+#", m.collectives().stream().map(String::valueOf).toList()) + ")");
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
