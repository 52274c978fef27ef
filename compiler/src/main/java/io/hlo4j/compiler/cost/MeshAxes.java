package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.dialect.sdy.GroupAxes;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.stablehlo.CollectiveMode;
import io.hlo4j.mlir.ir.Operation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The mesh axes a StableHLO collective's groups span, for a module that declares an {@code sdy.mesh} (the first one
 * with axes, as {@code run --spmd} names its log's axes by the first mesh): {@link GroupAxes#exact}, the rule the run
 * log uses, with the check that the groups are exactly those axes' (or sub-axes', {@code x:(1)2}) device sets (for
 * collective_permute, the axes its pairs move along). {@code axes} is null when there is no answer, and {@code note}
 * says why: the groups are the device sets of no axes or sub-axes (they cut across them), the ids are replica ids or
 * global ids over several replicas rather than devices, the mesh and the module's partition count differ, or an id
 * names no device of the mesh. Nothing is guessed.
 */
public record MeshAxes(String mesh, List<String> axes, String note) {

    /** null when the module declares no mesh with axes (then nothing is said). */
    static MeshAxes of(Operation op, List<List<Long>> groups, Map<String, MeshAttr> meshes, CollectiveTraffic.Processes procs) {
        Map.Entry<String, MeshAttr> first = meshes.entrySet().stream().filter(e -> !e.getValue().axes().isEmpty()).findFirst().orElse(null);
        if (first == null) return null;
        String name = first.getKey();
        MeshAttr mesh = first.getValue();
        CollectiveMode mode = CollectiveTraffic.mode(op);
        switch (mode) {
            case CROSS_REPLICA, CROSS_REPLICA_AND_PARTITION -> {
                return unknown(name, "its ids are replica ids (" + mode.specName() + "), not devices of @" + name);
            }
            case FLATTENED_IDS -> {
                // with one replica a global id is the partition id; with more, replica x partitions + partition
                if (procs.replicas() > 1) {
                    return unknown(name, "its ids are global ids over " + procs.replicas() + " replicas (" + mode.specName()
                            + ": replica x " + (procs.partitions() > 0 ? procs.partitions() + " " : "") + "partitions + partition), not devices of @" + name);
                }
            }
            case CROSS_PARTITION -> { }
        }
        long devices;
        try {
            devices = mesh.totalSize();
        } catch (ArithmeticException e) {
            return unknown(name, "@" + name + " has more than 2^63 devices");
        }
        if (procs.partitions() > 0 && procs.partitions() != devices) {
            return unknown(name, "@" + name + " has " + devices + " devices, the module " + procs.partitions() + " partitions");
        }
        List<List<Long>> gs = new ArrayList<>();
        for (List<Long> g : groups) gs.add(g.stream().filter(id -> id != -1).toList()); // -1 pads short rows
        boolean permute = op.name().equals("stablehlo.collective_permute");
        if (gs.isEmpty() && !permute && devices <= GroupAxes.MAX_DEVICES) {
            // no groups: one group of every partition (a permute without pairs moves nothing)
            List<Long> all = new ArrayList<>();
            for (long d = 0; d < devices; d++) all.add(d);
            gs.add(all);
        }
        Optional<List<String>> spanned = GroupAxes.spanned(mesh, gs);
        if (spanned.isEmpty()) {
            return unknown(name, devices > GroupAxes.MAX_DEVICES ? "@" + name + " has more than " + GroupAxes.MAX_DEVICES + " devices"
                    : "a " + (permute ? "pair" : "group") + " names an id that is no device of @" + name + " (" + devices + " devices)");
        }
        if (permute) return new MeshAxes(name, spanned.get(), null);
        return GroupAxes.exact(mesh, gs).map(a -> new MeshAxes(name, a, null))
                .orElseGet(() -> unknown(name, "the groups are not the device sets of any axes or sub-axes of @" + name));
    }

    private static MeshAxes unknown(String mesh, String why) { return new MeshAxes(mesh, null, why); }

    /** The words inspect prints after a collective's groups. */
    String text(boolean permute) {
        if (axes == null) return "no @" + mesh + " axes: " + note;
        if (axes.isEmpty()) return "no @" + mesh + " axes (" + (permute ? "no pair moves data" : "each group is one device") + ")";
        return (permute ? "moves along @" : "over @") + mesh + " axes " + String.join(",", axes);
    }
}
