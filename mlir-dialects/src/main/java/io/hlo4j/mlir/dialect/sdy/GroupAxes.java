package io.hlo4j.mlir.dialect.sdy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which mesh axes a collective's device groups span, stated once for the run log ({@code run --spmd --collectives},
 * the demo's table) and {@code inspect}. Groups hold device ids; mesh position p holds device
 * {@code mesh.deviceOrder().get(p)}, and its axis coordinates are {@link MeshCoordinates#of}.
 * <ul>
 *   <li>{@link #spanned}: the axes, in mesh order, on which some group's members differ (for collective_permute's
 *   {source, target} pairs: the axes data moves along);</li>
 *   <li>{@link #exact}: the same axes, only when the groups are exactly the device sets of those axes (every device in
 *   one group, each group every device that shares its members' coordinates on the other axes), as the groups of a
 *   collective the partitioner made always are. A hand-written program's groups may cut across axes
 *   ({@code [[0, 3], [1, 2]]} on a 2x2 mesh): then there is no such set, and the answer is empty rather than a guess.</li>
 * </ul>
 * Groups are compared as sets: the order of ids within a group is not checked.
 */
public final class GroupAxes {
    private GroupAxes() {}

    /** The axes on which some group's members differ; empty when some id is not a device of the mesh (or the mesh is past {@link #MAX_DEVICES}). */
    public static Optional<List<String>> spanned(MeshAttr mesh, Collection<? extends List<? extends Number>> groups) {
        long[] position = positions(mesh);
        if (position == null) return Optional.empty();
        for (List<? extends Number> g : groups) {
            for (Number id : g) {
                long d = id.longValue();
                if (d < 0 || d >= position.length || position[(int) d] < 0) return Optional.empty();
            }
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < mesh.axes().size(); i++) {
            boolean varies = false;
            for (List<? extends Number> g : groups) {
                if (g.isEmpty()) continue;
                long first = MeshCoordinates.of(mesh, position[g.get(0).intValue()])[i];
                for (Number id : g) varies |= MeshCoordinates.of(mesh, position[id.intValue()])[i] != first;
            }
            if (varies) out.add(mesh.axes().get(i).name());
        }
        return Optional.of(List.copyOf(out));
    }

    /**
     * The axes the groups span when they are exactly the device sets of those axes: each group holds distinct devices,
     * as many as the product of those axes' sizes, and every device of the mesh is in exactly one group. Empty otherwise.
     */
    public static Optional<List<String>> exact(MeshAttr mesh, Collection<? extends List<? extends Number>> groups) {
        Optional<List<String>> axes = spanned(mesh, groups);
        if (axes.isEmpty()) return axes;
        long size = 1;
        for (String a : axes.get()) size *= mesh.axisSize(a);
        Set<Long> seen = new HashSet<>();
        for (List<? extends Number> g : groups) {
            if (g.size() != size) return Optional.empty();
            for (Number id : g) if (!seen.add(id.longValue())) return Optional.empty();
        }
        return seen.size() == mesh.totalSize() ? axes : Optional.empty();
    }

    /** Meshes up to this many devices are indexed (a million; far beyond what run --spmd simulates). */
    public static final long MAX_DEVICES = 1 << 20;

    /** Mesh position of each device id (-1: not in the mesh); null for an empty mesh or one past {@link #MAX_DEVICES}. */
    private static long[] positions(MeshAttr mesh) {
        long n;
        try {
            n = mesh.totalSize();
        } catch (ArithmeticException e) {
            return null;
        }
        if (n <= 0 || n > MAX_DEVICES) return null;
        List<Long> order = mesh.deviceOrder();
        long[] position = new long[(int) n];
        java.util.Arrays.fill(position, -1);
        for (int p = 0; p < order.size(); p++) {
            long d = order.get(p);
            if (d < 0 || d >= n) return null;
            position[(int) d] = p;
        }
        return position;
    }
}
