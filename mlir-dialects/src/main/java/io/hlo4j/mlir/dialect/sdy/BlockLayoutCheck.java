package io.hlo4j.mlir.dialect.sdy;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether a sharding describes an even block layout of a concrete shape on a mesh: the rank matches, every axis
 * exists, sub-axes fit their axis, no axis (or overlapping sub-axes) is used twice across dimensions, replicated and
 * unreduced axes, and every dimension divides by its shard count. Shardy itself allows uneven shardings (XLA pads);
 * hlo4j's partitioner and runtime never pad, so both ask this one question before laying out data or programs, and
 * each throws its own exception with the message returned here.
 */
public final class BlockLayoutCheck {
    private BlockLayoutCheck() {}

    /** Null when {@code sharding} is an even block layout of {@code shape}; else a message naming {@code tensor}. */
    public static String problem(MeshAttr mesh, TensorSharding sharding, long[] shape, String tensor) {
        if (sharding.rank() != shape.length) {
            return tensor + " has rank " + shape.length + " but its sharding " + sharding + " has " + sharding.rank()
                    + " dimension shardings";
        }
        List<AxisRef> used = new ArrayList<>();
        List<String> where = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) {
            for (AxisRef a : sharding.axesOfDim(d)) {
                String p = claim(mesh, used, where, a, "dimension " + d, tensor, sharding);
                if (p != null) return p;
            }
        }
        for (AxisRef a : sharding.unreducedAxes()) {
            String p = claim(mesh, used, where, a, "unreduced", tensor, sharding);
            if (p != null) return p;
        }
        for (AxisRef a : sharding.replicatedAxes()) {
            String p = claim(mesh, used, where, a, "replicated", tensor, sharding);
            if (p != null) return p;
        }
        for (int d = 0; d < shape.length; d++) {
            List<AxisRef> axes = sharding.axesOfDim(d);
            long n = 1;
            for (AxisRef a : axes) n = Math.multiplyExact(n, a.size(mesh));
            if (shape[d] % n != 0) {
                List<Long> sizes = axes.stream().map(a -> a.size(mesh)).toList();
                return tensor + " dimension " + d + " of size " + shape[d] + " is not divisible by its " + n
                        + " shards: axes " + axes + " of sizes " + sizes + " (nothing is padded)";
            }
        }
        return null;
    }

    /** Checks {@code a} against the mesh and the axes already used, then records it. */
    private static String claim(MeshAttr mesh, List<AxisRef> used, List<String> where, AxisRef a, String here, String tensor,
                                TensorSharding s) {
        String ctx = tensor + " " + (here.startsWith("dimension") ? here : here + " axes") + " (sharding " + s + ")";
        long axis = mesh.axisSize(a.name());
        if (axis < 0) return ctx + ": unknown mesh axis \"" + a.name() + "\" (mesh axes " + mesh.axisNames() + ")";
        if (a.isSubAxis() && (a.preSize() < 1 || a.size() < 1 || axis % (a.preSize() * a.size()) != 0)) {
            return ctx + ": sub-axis " + a + " does not fit axis \"" + a.name() + "\" of size " + axis
                    + " (pre-size times size must divide it)";
        }
        for (int i = 0; i < used.size(); i++) {
            AxisRef b = used.get(i);
            if (a.overlaps(b)) {
                return tensor + ": mesh axis \"" + a.name() + "\" is used twice (" + b + " in " + where.get(i) + ", " + a
                        + " in " + here + ") in sharding " + s;
            }
        }
        used.add(a);
        where.add(here);
        return null;
    }
}
