package io.hlo4j.compiler.spmd.propagate;

import io.hlo4j.compiler.spmd.SubAxes;
import io.hlo4j.compiler.spmd.propagate.PropagationGraph.Edge;
import io.hlo4j.compiler.spmd.propagate.ShardingConflict.Kind;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One propagation step through one op: project each tensor's sharding onto the op's factors, choose one axis
 * list per factor, and extend every tensor that is not fixed with what its dimensions' factors now carry.
 *
 * <p>The choice per factor: the candidates (each tensor's projection) are ordered by user priority (p0 first; no
 * priority counts as p0, as in Shardy), then explicit (from a user annotation) over propagated, then more shards, then mesh axis
 * order, then operand/result position; the first is taken and extended by any candidate it is a prefix of.
 * A candidate that is neither prefix nor extension is a conflict (reported). Need-replication and blocked
 * factors are never propagated.
 */
final class FactorPropagation {
    private final Map<String, ShardingConflict> conflicts = new LinkedHashMap<>();
    /** Ops numbered in the order first seen, so that reports of equal text on different ops stay apart. */
    private final Map<io.hlo4j.mlir.ir.Operation, Integer> opIds = new java.util.IdentityHashMap<>();

    List<ShardingConflict> conflicts() { return List.copyOf(conflicts.values()); }

    /** A tensor's projection onto one factor. */
    private record Candidate(List<AxisRef> axes, int slot, boolean explicit, long priority, long shards, String from) {}

    /** Returns whether any state changed. */
    boolean step(Edge e) {
        OpShardingRule rule = e.rule();
        List<TensorState> slots = new ArrayList<>(e.operands());
        slots.addAll(e.results());
        MeshRef mesh = null;
        for (TensorState s : slots) if (s.mesh != null) { mesh = s.mesh; break; }
        if (mesh == null) return false;
        boolean[] included = new boolean[slots.size()];
        for (int t = 0; t < slots.size(); t++) {
            TensorState s = slots.get(t);
            included[t] = s.mesh == null || s.mesh.equals(mesh);
            if (!included[t]) {
                report(e, Kind.MESH_MISMATCH, "tensor " + slotName(e, t), List.of(mesh.toString(), s.mesh.toString()), mesh.toString(),
                        "nothing propagates between tensors on different meshes");
            }
        }
        int nf = rule.numFactors();
        // projections[t][f]: axes of factor f in tensor t (null when t does not have f)
        List<List<List<AxisRef>>> proj = new ArrayList<>();
        for (int t = 0; t < slots.size(); t++) proj.add(included[t] ? project(e, t, slots.get(t), mesh) : null);

        List<List<AxisRef>> chosen = new ArrayList<>();
        for (int f = 0; f < nf; f++) chosen.add(choose(e, f, slots, proj, mesh));

        List<List<AxisRef>> kept = settle(e, chosen, mesh);
        boolean changed = false;
        for (int t = 0; t < slots.size(); t++) {
            if (included[t]) changed |= update(e, t, slots.get(t), chosen, kept, proj.get(t), mesh);
        }
        return changed;
    }

    /**
     * The chosen axes the partitioner can keep, as its {@code FactorPlan.settle} does: a factor that follows, in a
     * dimension of any tensor of the op, a major factor not split completely loses its axes, until none is left to
     * clear. A factor the partitioner never splits counts as unsplit: need-replication and permutation factors, and
     * {@link io.hlo4j.compiler.spmd.rule.WholeFactors} (the partitioner's own set: a reshape's factors of one side only).
     * Without this a free operand of a reshape whose result is annotated {@code [{}, {"x","y"}, {}]} ({@code [4,6]} to {@code [2,6,2]} on x=2, y=3) would take
     * {@code {"y"}} from the result's minor factor, which the partitioner then clears, gathering the operand back.
     * Only operands are held to it: a free result given such axes costs a local slice and keeps later ops split.
     */
    private static List<List<AxisRef>> settle(Edge e, List<List<AxisRef>> chosen, MeshRef mesh) {
        OpShardingRule r = e.rule();
        java.util.Set<Integer> unsplit = new java.util.HashSet<>(r.needReplicationFactors());
        unsplit.addAll(r.permutationFactors());
        List<List<List<Integer>>> all = new ArrayList<>(r.operandMappings());
        all.addAll(r.resultMappings());
        unsplit.addAll(io.hlo4j.compiler.spmd.rule.WholeFactors.of(e.op(), r));   // what the partitioner keeps whole
        List<List<AxisRef>> kept = new ArrayList<>(chosen);
        boolean changed = true;
        while (changed) {
            changed = false;
            for (List<List<Integer>> t : all) {
                for (List<Integer> dim : t) {
                    boolean partial = false;
                    for (int f : dim) {
                        List<AxisRef> c = kept.get(f);
                        if (partial && c != null && !c.isEmpty()) {
                            kept.set(f, List.of());
                            changed = true;
                            continue;
                        }
                        long size = r.factorSizes().get(f), shards = 1;
                        if (!unsplit.contains(f) && c != null) for (AxisRef a : c) shards *= a.size(mesh.mesh());
                        if (shards != size && size != 1) partial = true;
                    }
                }
            }
        }
        return kept;
    }

    private static List<List<Integer>> mapping(OpShardingRule r, Edge e, int t) {
        return t < e.operands().size() ? r.operandMappings().get(t) : r.resultMappings().get(t - e.operands().size());
    }

    static String slotName(Edge e, int t) {
        int n = e.operands().size();
        return (t < n ? "operand " + t : "result " + (t - n)) + " (" + (t < n ? e.operands().get(t) : e.results().get(t - n)).label + ")";
    }

    /**
     * Splits each dimension's axes over its factors, major to minor. An axis that shares a part g with what is left of a
     * factor that is not the dimension's last (neither dividing it nor a multiple of it) is split first: its major part
     * of g devices shards the factor and its minor part is what comes next; an axis (or minor part) that then does not
     * divide what is left stops the dimension (a size-1 axis that fits no factor is passed over instead).
     */
    private List<List<AxisRef>> project(Edge e, int t, TensorState s, MeshRef mesh) {
        OpShardingRule r = e.rule();
        List<List<AxisRef>> out = new ArrayList<>();
        for (int f = 0; f < r.numFactors(); f++) out.add(null);
        List<List<Integer>> map = mapping(r, e, t);
        for (int d = 0; d < map.size() && d < s.rank(); d++) {
            List<Integer> fs = map.get(d);
            for (int f : fs) out.set(f, new ArrayList<>());
            int fi = 0;
            long acc = 1;
            List<AxisRef> left = new ArrayList<>(s.axes.get(d));
            while (!left.isEmpty()) {
                AxisRef a = left.removeFirst();
                long size = a.size(mesh.mesh());
                while (fi < fs.size() && acc == r.factorSizes().get(fs.get(fi))) { fi++; acc = 1; }
                while (fi < fs.size() && acc == 1 && r.factorSizes().get(fs.get(fi)) == 1) fi++;
                long room = fi == fs.size() ? 0 : r.factorSizes().get(fs.get(fi)) / acc;
                long common = room > 1 ? SubAxes.gcd(room, size) : 1;
                if (common > 1 && common < size && fi + 1 < fs.size()) {
                    // the axis does not divide what is left of a factor that is not the dimension's last (a reshape
                    // splitting a sharded dimension): its major part of gcd(room, size) devices shards the factor, as in
                    // Shardy. When that completes the factor (the axis a multiple of what is left) the minor part goes on
                    // to the next factor; otherwise it is the part that cannot follow (below: it stops there)
                    out.get(fs.get(fi)).add(SubAxes.major(a, common, mesh.mesh()));
                    acc *= common;
                    left.addFirst(SubAxes.minor(a, common, mesh.mesh()));
                    continue;
                }
                if (fi == fs.size() || r.factorSizes().get(fs.get(fi)) % (acc * size) != 0) {
                    if (size == 1) continue; // a size-1 axis splits nothing: no factor needs it, nothing stops at it
                    report(e, Kind.NOT_DIVISIBLE, "dimension " + d + " of " + slotName(e, t),
                            List.of(s.axes.get(d).toString()), "stop before " + a,
                            "axis " + a + " (size " + size + ") does not divide "
                                    + (fi == fs.size() ? "what is left of the dimension" : "what is left of factor " + OpShardingRule.factorSymbol(fs.get(fi))
                                    + " (" + r.factorSizes().get(fs.get(fi)) / acc + " of " + r.factorSizes().get(fs.get(fi)) + ")")
                                    + "; the axes from it on do not propagate through this op");
                    break;
                }
                out.get(fs.get(fi)).add(a);
                acc *= size;
            }
        }
        return out;
    }

    private List<AxisRef> choose(Edge e, int f, List<TensorState> slots, List<List<List<AxisRef>>> proj, MeshRef mesh) {
        OpShardingRule r = e.rule();
        if (r.needReplicationFactors().contains(f) || r.blockedPropagationFactors().contains(f)) return null;
        List<Candidate> cands = new ArrayList<>();
        for (int t = 0; t < slots.size(); t++) {
            List<List<AxisRef>> p = proj.get(t);
            if (p == null || p.get(f) == null || p.get(f).isEmpty()) continue;
            TensorState s = slots.get(t);
            int dim = dimOf(mapping(r, e, t), f);
            long shards = 1;
            for (AxisRef a : p.get(f)) shards *= a.size(mesh.mesh());
            cands.add(new Candidate(p.get(f), t, s.explicit[dim], s.priorityOf(dim), shards, slotName(e, t)));
        }
        if (cands.isEmpty()) return List.of();
        cands.sort(Comparator.<Candidate>comparingLong(c -> c.priority)
                .thenComparing(c -> !c.explicit)
                .thenComparing(c -> -c.shards)
                .thenComparing((a, b) -> compareAxisOrder(a.axes, b.axes, mesh))
                .thenComparingInt(c -> c.slot));
        List<AxisRef> best = cands.get(0).axes;
        List<Candidate> rejected = new ArrayList<>();
        for (Candidate c : cands.subList(1, cands.size())) {
            if (isPrefix(best, c.axes)) best = c.axes;
            else if (!isPrefix(c.axes, best)) rejected.add(c);
        }
        if (!rejected.isEmpty()) {
            List<String> names = new ArrayList<>();
            for (Candidate c : cands) names.add(axesText(c.axes) + " from " + c.from + (c.explicit ? " (explicit" : " (propagated")
                    + (c.priority == 0 ? ")" : ", p" + c.priority + ")"));
            Candidate first = cands.get(0);
            Candidate second = rejected.get(0);
            java.util.TreeSet<String> distinct = new java.util.TreeSet<>();
            for (Candidate c : cands) distinct.add(axesText(c.axes));
            report(e, Kind.FACTOR_CONFLICT, "factor " + OpShardingRule.factorSymbol(f) + " (size " + r.factorSizes().get(f) + ")", names,
                    axesText(best), why(first, second), distinct.toString());
        }
        return best;
    }

    private static String why(Candidate a, Candidate b) {
        if (a.priority != b.priority) return "higher user priority";
        if (a.explicit != b.explicit) return "explicit annotation over propagated";
        if (a.shards != b.shards) return "more shards";
        if (!a.axes.get(0).equals(b.axes.get(0))) return "earlier in mesh axis order";
        return "earlier operand/result";
    }

    private static int compareAxisOrder(List<AxisRef> a, List<AxisRef> b, MeshRef mesh) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = Integer.compare(mesh.axisIndex(a.get(i).name()), mesh.axisIndex(b.get(i).name()));
            if (c != 0) return c;
            c = Long.compare(a.get(i).preSize(), b.get(i).preSize());
            if (c != 0) return c;
        }
        return Integer.compare(a.size(), b.size());
    }

    static boolean isPrefix(List<AxisRef> p, List<AxisRef> of) {
        return p.size() <= of.size() && of.subList(0, p.size()).equals(p);
    }

    private static int dimOf(List<List<Integer>> map, int f) {
        for (int d = 0; d < map.size(); d++) if (map.get(d).contains(f)) return d;
        return -1;
    }

    static String axesText(List<AxisRef> axes) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < axes.size(); i++) sb.append(i == 0 ? "" : ", ").append(axes.get(i));
        return sb.append('}').toString();
    }

    /** Extends each free dimension of tensor t with the chosen factor axes, major factors first. */
    private boolean update(Edge e, int t, TensorState s, List<List<AxisRef>> chosen, List<List<AxisRef>> kept,
                           List<List<AxisRef>> own, MeshRef mesh) {
        OpShardingRule r = e.rule();
        List<List<Integer>> map = mapping(r, e, t);
        boolean changed = false;
        for (int d = 0; d < map.size() && d < s.rank(); d++) {
            if (s.fixed[d]) continue;
            List<Integer> fs = map.get(d);
            List<AxisRef> target = new ArrayList<>();
            for (int k = 0; k < fs.size(); k++) {
                int f = fs.get(k);
                List<AxisRef> c = chosen.get(f) != null ? chosen.get(f) : own.get(f);
                // an operand is not given what the partitioner cannot keep (it would be gathered back); a result may be:
                // the op is computed less split and each device slices its block locally, which keeps later ops split
                if (t < e.operands().size() && chosen.get(f) != null && !chosen.get(f).isEmpty() && kept.get(f).isEmpty()) {
                    if (!c.isEmpty()) reportSettled(e, t, d, f, c);
                    break;
                }
                target.addAll(c);
                long shards = 1;
                for (AxisRef a : c) shards *= a.size(mesh.mesh());
                if (shards != r.factorSizes().get(f)) {
                    for (int j = k + 1; j < fs.size(); j++) {
                        int g = fs.get(j);
                        List<AxisRef> minor = chosen.get(g) != null ? chosen.get(g) : own.get(g);
                        if (!minor.isEmpty()) {
                            report(e, Kind.NOT_EXPRESSIBLE, "dimension " + d + " of " + slotName(e, t),
                                    List.of("factor " + OpShardingRule.factorSymbol(g) + " = " + axesText(minor)),
                                    axesText(target), "major factor " + OpShardingRule.factorSymbol(f) + " (size " + r.factorSizes().get(f)
                                            + ") is " + (shards == 1 ? "not sharded" : "sharded only " + shards + " ways")
                                            + ", so the minor factor's axes cannot shard this dimension");
                            break;
                        }
                    }
                    break;
                }
            }
            // a dimension whose factors hold the major and minor parts of one axis is sharded on that axis
            target = new ArrayList<>(SubAxes.join(target, mesh.mesh()));
            List<AxisRef> cur = s.axes.get(d);
            if (target.size() <= cur.size() || !isPrefix(cur, target)) continue;
            boolean grew = false;
            long shards = 1;
            for (AxisRef a : cur) shards *= a.size(mesh.mesh());
            for (AxisRef a : target.subList(cur.size(), target.size())) {
                if (TensorState.overlaps(cur, a) || s.usesAxisOutside(d, a)) {
                    report(e, Kind.AXIS_REUSED, "dimension " + d + " of " + slotName(e, t), List.of(axesText(target)), axesText(cur),
                            "axis " + a + " already shards another dimension of this tensor");
                    break;
                }
                // a factor's size need not be a dimension it maps (concatenate's operands; reduce_window's windowed
                // dimension, a factor of the result's size: 4 over an operand of 5 with a window of 2): axes that divide
                // the factor need not divide the dimension, and hlo4j never pads
                long size = a.size(mesh.mesh());
                if (s.shape[d] % (shards * size) != 0) {
                    report(e, Kind.NOT_DIVISIBLE, "dimension " + d + " of " + slotName(e, t), List.of(axesText(target)), axesText(cur),
                            "axis " + a + " (size " + size + ") does not divide the dimension (size " + s.shape[d] + ", " + shards
                                    + " already sharded); nothing is padded");
                    break;
                }
                shards *= size;
                cur.add(a);
                grew = true;
            }
            if (grew) {
                s.mesh = mesh;
                changed = true;
            }
        }
        if (s.mesh == null && changed) s.mesh = mesh;
        return changed;
    }

    private void reportSettled(Edge e, int t, int d, int f, List<AxisRef> axes) {
        report(e, Kind.NOT_EXPRESSIBLE, "dimension " + d + " of " + slotName(e, t),
                List.of("factor " + OpShardingRule.factorSymbol(f) + " = " + axesText(axes)), "stop before factor " + OpShardingRule.factorSymbol(f),
                "factor " + OpShardingRule.factorSymbol(f) + " (size " + e.rule().factorSizes().get(f) + ") follows, in another tensor of this op, a major"
                        + " factor not sharded completely, so the op cannot be computed on its blocks; its axes do not propagate here");
    }

    private void report(Edge e, Kind kind, String factor, List<String> candidates, String choice, String reason) {
        report(e, kind, factor, candidates, choice, reason, candidates.toString());
    }

    /** Reports once per op, kind, factor, choice and {@code key} (the same decision met again in a later pass is not new). */
    private void report(Edge e, Kind kind, String factor, List<String> candidates, String choice, String reason, String key) {
        ShardingConflict c = new ShardingConflict(kind, e.op().name(), e.op().location(), factor, candidates, choice, reason);
        int id = opIds.computeIfAbsent(e.op(), k -> opIds.size());
        conflicts.putIfAbsent(id + "|" + kind + "|" + factor + "|" + choice + "|" + key, c);
    }
}
