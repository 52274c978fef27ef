package io.hlo4j.mlir.dialect.sdy;

import java.util.ArrayList;
import java.util.Arrays;
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
 *   one group, each group every device that shares its members' coordinates on the other axes); failing that, of
 *   one sub-axis of each ({@code x:(1)2}), as the partitioner makes for a dimension sharded over a sub-axis, or of
 *   several sub-axes of one axis ({@code x:(1)2,x:(4)2} on x=8, Shardy's notation for them). Groups
 *   that are neither (a hand-written {@code [[0, 3], [1, 2]]} on a 2x2 mesh cuts across both axes) get no answer
 *   rather than a guess.</li>
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
     * as many as the product of those axes' sizes, and every device of the mesh is in exactly one group. Failing that,
     * the sub-axes ({@code x:(pre)size}, one or several per spanned axis, major to minor) whose device sets the groups
     * are. Empty otherwise.
     */
    public static Optional<List<String>> exact(MeshAttr mesh, Collection<? extends List<? extends Number>> groups) {
        Optional<List<String>> axes = spanned(mesh, groups);
        if (axes.isEmpty()) return axes;
        List<String> names = axes.get();
        // per spanned axis its candidates: the whole axis first, then its sub-axes, one before several
        List<List<List<AxisRef>>> choices = new ArrayList<>();
        long combos = 1;
        for (String a : names) {
            List<List<AxisRef>> c = candidates(a, mesh.axisSize(a));
            choices.add(c);
            combos *= c.size();
            if (combos > MAX_COMBINATIONS) combos = MAX_COMBINATIONS + 1;
        }
        long[] position = positions(mesh);
        for (long k = 0; k < Math.min(combos, MAX_COMBINATIONS); k++) {
            long rest = k;
            List<AxisRef> pick = new ArrayList<>();
            for (List<List<AxisRef>> c : choices) {
                pick.addAll(c.get((int) (rest % c.size())));
                rest /= c.size();
            }
            if (matches(mesh, position, groups, pick)) {
                List<String> out = new ArrayList<>();
                for (AxisRef r : pick) out.add(r.isSubAxis() ? r.name() + ":(" + r.preSize() + ")" + r.size() : r.name());
                return Optional.of(List.copyOf(out));
            }
        }
        return Optional.empty();
    }

    /**
     * Axis {@code a} of size {@code n} as groups may span it: whole, then each proper sub-axis of size > 1
     * ({@code x:(1)2}), then several sub-axes together, major to minor ({@code x:(1)2,x:(4)2} on x=8: what Shardy writes
     * for a dimension, or the reduced dimensions, sharded over both). Several must be Shardy's canonical form: each
     * sub-axis's pre-size a multiple of the one before's pre-size times size, and not equal to it (adjacent sub-axes
     * are one, x:(1)2,x:(2)2 is x:(1)4). At most {@link #MAX_COMBINATIONS} in all, fewer sub-axes first: a huge, highly
     * divisible axis (720720 has over 7,000 single sub-axes) keeps its first 4096.
     */
    static List<List<AxisRef>> candidates(String a, long n) {
        List<List<AxisRef>> out = new ArrayList<>();
        out.add(List.of(AxisRef.of(a)));
        // one length at a time, each chain of the last extended by every sub-axis that may follow it
        List<List<AxisRef>> last = List.of(List.of());
        while (!last.isEmpty() && out.size() < MAX_COMBINATIONS) {
            List<List<AxisRef>> next = new ArrayList<>();
            for (List<AxisRef> chain : last) {
                AxisRef end = chain.isEmpty() ? null : chain.getLast();
                long from = end == null ? 1 : end.preSize() * end.size();
                for (long pre = from; pre < n && out.size() < MAX_COMBINATIONS; pre += from) {
                    if (n % pre != 0 || (end != null && pre == from)) continue;
                    for (long size = 2; pre * size <= n && out.size() < MAX_COMBINATIONS; size++) {
                        if (n % (pre * size) != 0 || (pre == 1 && size == n)) continue;
                        List<AxisRef> longer = new ArrayList<>(chain);
                        longer.add(AxisRef.sub(a, pre, size));
                        out.add(List.copyOf(longer));
                        next.add(longer);
                    }
                }
            }
            last = next;
        }
        return out;
    }

    /** Candidates of one axis, and combinations over the spanned axes, {@link #exact} tries at most (a mesh with many highly divisible spanned axes gets no answer). */
    private static final long MAX_COMBINATIONS = 4096;

    /**
     * Whether the groups are exactly the device sets of the picked (sub-)axes: within a group only the picked
     * references' coordinates ({@link MeshCoordinates#coordinate}) vary, each group has as many devices as they span,
     * and every device is in one group.
     */
    private static boolean matches(MeshAttr mesh, long[] position, Collection<? extends List<? extends Number>> groups, List<AxisRef> pick) {
        long size = 1;
        for (AxisRef r : pick) size *= r.size(mesh);
        Set<Long> seen = new HashSet<>();
        for (List<? extends Number> g : groups) {
            if (g.size() != size) return false;
            long[] key = null;
            for (Number id : g) {
                if (!seen.add(id.longValue())) return false;
                long[] c = MeshCoordinates.of(mesh, position[id.intValue()]);
                for (AxisRef r : pick) {   // the reference's digit taken out of its axis's coordinate: what must not vary
                    int axis = mesh.axisNames().indexOf(r.name());
                    long digit = MeshCoordinates.coordinate(mesh, r, c);
                    long inner = mesh.axes().get(axis).size() / ((r.isSubAxis() ? r.preSize() : 1) * r.size(mesh));
                    c[axis] -= digit * inner;
                }
                if (key == null) key = c;
                else if (!Arrays.equals(key, c)) return false;
            }
        }
        return seen.size() == mesh.totalSize();
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
        Arrays.fill(position, -1);
        for (int p = 0; p < order.size(); p++) {
            long d = order.get(p);
            if (d < 0 || d >= n) return null;
            position[(int) d] = p;
        }
        return position;
    }
}
