package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;

import java.util.ArrayList;
import java.util.List;

/**
 * A sharding on one mesh written in the axes of another mesh over the same devices, when every device keeps its
 * block: each source axis (or sub-axis) whose device groups are those of a list of target axes or sub-axes (its
 * index on every device equals the row-major index over that list). This is how a view mesh with
 * {@code device_ids} (the 3D expert mesh) relates to the mesh it views (the 5D model mesh): the expert axis is
 * the tuple (fsdp, ep, sp) of the model, and model sp is the sub-axis {@code "expert":(k)sp} of the view. The
 * correspondence is found from the two meshes' sizes and device ids alone; a move between the meshes can then
 * be planned on one mesh by the reshard planner (least communication).
 */
final class MeshRewrite {
    private MeshRewrite() {}

    /**
     * {@code s} (on {@code source}'s mesh) rewritten on {@code target}'s mesh as {@code targetName}, or null when some
     * axis of {@code s} has no such list of target axes. Replicated axes are dropped (they do not change the blocks).
     */
    static TensorSharding rewrite(DeviceGrid source, TensorSharding s, DeviceGrid target, String targetName) {
        if (source.devices() != target.devices() || !s.unreducedAxes().isEmpty()) return null;
        List<AxisRef> candidates = candidates(target.mesh());
        List<DimensionSharding> dims = new ArrayList<>();
        for (int d = 0; d < s.rank(); d++) {
            List<AxisRef> refs = new ArrayList<>();
            for (AxisRef r : s.axesOfDim(d)) {
                long n = source.size(r);
                long[] idx = new long[source.devices()];
                for (int p = 0; p < idx.length; p++) idx[p] = source.index(p, r);
                List<AxisRef> found = match(target, idx, n, candidates);
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
                    out.add(pre == 1 && q == n ? AxisRef.of(a.name()) : AxisRef.sub(a.name(), pre, q));
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
            out.add(p[0] == 1 && p[1] == mesh.axisSize(names.get(i)) ? AxisRef.of(names.get(i)) : AxisRef.sub(names.get(i), p[0], p[1]));
        }
        return out;
    }
}
