package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

/**
 * The correspondence between a mesh and a view of its devices, in both directions, stated once here.
 *
 * <p>{@link #fold} builds the view: each view axis is a tuple of mesh axes, its index on a device the row-major
 * index over them ({@link DeviceGrid#index(int, List)}), so the view carries the {@code device_ids} that put every
 * device where those indices say. The DSL's 3D expert mesh is such a fold of the 5D model mesh ({@code expert}
 * = (fsdp, ep, sp)); the DSL decides which axes fold where, this class builds the devices' order.
 *
 * <p>{@link #correspondence} and {@link #rewrite} go back from two meshes' sizes and device ids alone, for any two
 * meshes over the same devices: each source axis (or sub-axis) whose device groups are those of a list of target
 * axes or sub-axes (its index on every device equals the row-major index over that list). For a fold this finds
 * the tuples again (size-1 axes dropped), and model sp is the sub-axis {@code "expert":(k)sp} of the view. The
 * partitioner uses it to write a cross-mesh move on one mesh and plan it there (least communication).
 */
public final class MeshRewrite {
    private MeshRewrite() {}

    /**
     * The view of {@code mesh}'s devices whose axes are the keys of {@code groups}, in their order, each the tuple of
     * its mesh axes (major first, row-major); every mesh axis in exactly one tuple. A tuple may be empty (a size-1
     * view axis). The device at view coordinates (i0, i1, ...) is the one whose index over tuple k is ik.
     */
    public static MeshAttr fold(MeshAttr mesh, SequencedMap<String, List<String>> groups) {
        Set<String> seen = new HashSet<>();
        List<MeshAttr.Axis> axes = new ArrayList<>();
        List<List<AxisRef>> refs = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : groups.entrySet()) {
            long size = 1;
            List<AxisRef> r = new ArrayList<>();
            for (String a : e.getValue()) {
                if (!mesh.hasAxis(a)) throw fail("fold: view axis \"" + e.getKey() + "\" names \"" + a + "\", which mesh " + mesh + " does not have");
                if (!seen.add(a)) throw fail("fold: mesh axis \"" + a + "\" is in two view axes of " + groups);
                size *= mesh.axisSize(a);
                r.add(AxisRef.of(a));
            }
            axes.add(new MeshAttr.Axis(e.getKey(), size));
            refs.add(r);
        }
        for (String a : mesh.axisNames()) {
            if (!seen.contains(a)) throw fail("fold: mesh axis \"" + a + "\" of " + mesh + " is in no view axis of " + groups);
        }
        DeviceGrid g = new DeviceGrid(mesh);
        Long[] ids = new Long[g.devices()];
        for (int p = 0; p < ids.length; p++) {
            long pos = 0;
            for (int k = 0; k < axes.size(); k++) pos = pos * axes.get(k).size() + g.index(p, refs.get(k));
            ids[Math.toIntExact(pos)] = (long) p;
        }
        return new MeshAttr(axes, List.of(ids));
    }

    /**
     * For each axis of {@code source} in order, the {@code target} references (major first, adjacent pieces merged)
     * whose row-major index equals the axis's index on every device; a size-1 axis maps to an empty list. An axis
     * with no such list is absent. The meshes must hold the same number of devices.
     */
    public static Map<String, List<AxisRef>> correspondence(MeshAttr source, MeshAttr target) {
        DeviceGrid s = new DeviceGrid(source), t = new DeviceGrid(target);
        if (s.devices() != t.devices()) throw fail("correspondence: " + source + " has " + s.devices() + " devices, " + target + " has " + t.devices() + " devices");
        List<AxisRef> candidates = candidates(target);
        Map<String, List<AxisRef>> out = new LinkedHashMap<>();
        for (String a : source.axisNames()) {
            List<AxisRef> found = find(s, AxisRef.of(a), t, candidates);
            if (found != null) out.put(a, merge(target, found));
        }
        return out;
    }

    private static Hlo4jException fail(String message) { return new Hlo4jException(message, Location.UNKNOWN); }

    /** The target references whose row-major index is {@code r}'s index on every device, or null. */
    private static List<AxisRef> find(DeviceGrid source, AxisRef r, DeviceGrid target, List<AxisRef> candidates) {
        long[] idx = new long[source.devices()];
        for (int p = 0; p < idx.length; p++) idx[p] = source.index(p, r);
        return match(target, idx, source.size(r), candidates);
    }

    /**
     * {@code s} (on {@code source}'s mesh) rewritten on {@code target}'s mesh as {@code targetName}, or null when some
     * axis of {@code s} has no such list of target axes. Replicated axes are dropped (they do not change the blocks).
     */
    public static TensorSharding rewrite(DeviceGrid source, TensorSharding s, DeviceGrid target, String targetName) {
        if (source.devices() != target.devices() || !s.unreducedAxes().isEmpty()) return null;
        List<AxisRef> candidates = candidates(target.mesh());
        List<DimensionSharding> dims = new ArrayList<>();
        for (int d = 0; d < s.rank(); d++) {
            List<AxisRef> refs = new ArrayList<>();
            for (AxisRef r : s.axesOfDim(d)) {
                List<AxisRef> found = find(source, r, target, candidates);
                if (found == null) return null;
                refs.addAll(found);
            }
            dims.add(new DimensionSharding(merge(target.mesh(), refs), true, null));
        }
        return new TensorSharding(targetName, null, dims, List.of(), List.of(), "sum");
    }

    /** Every sub-axis {@code "x":(pre)q} of prime size q (the whole axis when that is all of it). */
    private static List<AxisRef> candidates(MeshAttr mesh) {
        List<AxisRef> out = new ArrayList<>();
        for (MeshAttr.Axis a : mesh.axes()) {
            long n = a.size();
            for (long pre = 1; pre < n; pre++) {
                if (n % pre != 0) continue;
                for (long q = 2; pre * q <= n; q++) {
                    if (n % (pre * q) != 0 || !prime(q)) continue;
                    out.add(AxisRef.part(a.name(), pre, q, n));
                }
            }
        }
        return out;
    }

    private static boolean prime(long q) {
        for (long k = 2; k * k <= q; k++) if (q % k == 0) return false;
        return q >= 2;
    }

    /**
     * Target references, major first, whose row-major index is {@code idx} (of {@code n} values) on every device:
     * the minor-most digit is matched first, then the rest of the index recursively (backtracking over candidates).
     */
    private static List<AxisRef> match(DeviceGrid g, long[] idx, long n, List<AxisRef> candidates) {
        if (n == 1) return new ArrayList<>();
        for (AxisRef c : candidates) {
            long q = g.size(c);
            if (n % q != 0) continue;
            boolean ok = true;
            for (int p = 0; p < idx.length && ok; p++) ok = idx[p] % q == g.index(p, c);
            if (!ok) continue;
            long[] rest = new long[idx.length];
            for (int p = 0; p < idx.length; p++) rest[p] = idx[p] / q;
            List<AxisRef> major = match(g, rest, n / q, candidates);
            if (major != null) {
                major.add(c);
                return major;
            }
        }
        return null;
    }

    /** Adjacent pieces of one axis joined ({@code "x":(1)2, "x":(2)2} is {@code "x"} when x=4). */
    static List<AxisRef> merge(MeshAttr mesh, List<AxisRef> refs) {
        List<long[]> parts = new ArrayList<>(); // {pre, size}
        List<String> names = new ArrayList<>();
        for (AxisRef r : refs) {
            long pre = r.isSubAxis() ? r.preSize() : 1, size = r.isSubAxis() ? r.size() : mesh.axisSize(r.name());
            int last = names.size() - 1;
            if (last >= 0 && names.get(last).equals(r.name()) && parts.get(last)[0] * parts.get(last)[1] == pre) {
                parts.get(last)[1] *= size;
            } else {
                names.add(r.name());
                parts.add(new long[] {pre, size});
            }
        }
        List<AxisRef> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            long[] p = parts.get(i);
            out.add(AxisRef.part(names.get(i), p[0], p[1], mesh.axisSize(names.get(i))));
        }
        return out;
    }
}
