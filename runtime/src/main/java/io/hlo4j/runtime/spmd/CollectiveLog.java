package io.hlo4j.runtime.spmd;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.sdy.GroupAxes;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.runtime.interp.CollectiveListener;
import io.hlo4j.runtime.interp.Process;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Collects the events of one parallel run and turns them into {@link CollectiveRecord}s: the k-th collective each
 * device executed (in its program order) is one record, since every device of an SPMD program runs the same
 * collectives in the same order. Devices that executed fewer collectives (divergent control flow) are reported.
 */
public final class CollectiveLog implements CollectiveListener {
    private final int devices;
    private final MeshAttr mesh;
    private final Map<Integer, List<Event>> perDevice = new ConcurrentHashMap<>();

    /** A log for {@code devices} partitions; {@code mesh} (may be null) names the axes each collective spans. */
    public CollectiveLog(int devices, MeshAttr mesh) {
        this.devices = devices;
        this.mesh = mesh;
    }

    @Override public void executed(Event e) {
        perDevice.computeIfAbsent(e.self().partition(), k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(e);
    }

    /** One record per collective, in program order. */
    public List<CollectiveRecord> records() {
        int count = 0;
        for (List<Event> es : perDevice.values()) count = Math.max(count, es.size());
        List<CollectiveRecord> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            long[] recv = new long[devices], sent = new long[devices];
            Set<List<Integer>> groups = new LinkedHashSet<>();
            String op = null, loc = null;
            int size = 0;
            for (int d = 0; d < devices; d++) {
                List<Event> es = perDevice.get(d);
                if (es == null || es.size() <= k) continue;
                Event e = es.get(k);
                if (op == null) {
                    op = name(e);
                    loc = e.op().location().describe();
                } else if (!op.equals(name(e))) {
                    throw new ShardingException("collective #" + k + " differs across devices: " + op + " and " + name(e) + " (device " + d + ")");
                }
                long[] b = CollectiveBytes.of(e);
                recv[d] = b[0];
                sent[d] = b[1];
                List<Integer> g = new ArrayList<>();
                if (e.op().name().equals("stablehlo.collective_permute")) {
                    // record the pairs that moved data into this device
                    for (Process p : e.group()) { g.add(p.partition()); g.add(d); }
                    if (!g.isEmpty()) groups.add(g);
                    size = 2;
                } else {
                    for (Process p : e.group()) g.add(p.partition());
                    groups.add(g);
                    size = Math.max(size, g.size());
                }
            }
            out.add(new CollectiveRecord(op, loc, new ArrayList<>(groups), size, axesOf(groups), recv, sent));
        }
        return out;
    }

    /** Mesh axes on which some group's members differ ({@link GroupAxes#spanned}, the rule inspect uses too). */
    private List<String> axesOf(Set<List<Integer>> groups) {
        if (mesh == null || mesh.totalSize() != devices) return List.of();
        return GroupAxes.spanned(mesh, groups).orElse(List.of());
    }

    private static String name(Event e) {
        if (e.op().name().equals("stablehlo.custom_call") && e.op().attr("call_target_name") instanceof StringAttr s) return s.value();
        return e.op().name();
    }
}
