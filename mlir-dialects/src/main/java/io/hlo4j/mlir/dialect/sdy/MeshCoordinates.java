package io.hlo4j.mlir.dialect.sdy;

import java.util.List;

/**
 * The one mapping from mesh positions to axis coordinates, shared by everything that asks "which block does this
 * device hold" (the interpreter's shard layout, the sharding pictures). Mesh position p is row-major over the axes
 * (last axis fastest). A sub-axis {@code "x":(pre)size} of an axis of size A reshapes x to
 * {@code [pre, size, A / (pre * size)]} (Shardy's definition), so its coordinate is
 * {@code (c / (A / (pre * size))) % size}.
 */
public final class MeshCoordinates {
    private MeshCoordinates() {}

    /** Row-major coordinates of mesh position {@code position}, one per axis in mesh order. */
    public static long[] of(MeshAttr mesh, long position) {
        List<MeshAttr.Axis> axes = mesh.axes();
        long[] c = new long[axes.size()];
        long p = position;
        for (int i = axes.size() - 1; i >= 0; i--) {
            c[i] = p % axes.get(i).size();
            p /= axes.get(i).size();
        }
        return c;
    }

    /**
     * The coordinate of a reference (axis or sub-axis) given a position's axis coordinates. Refuses an axis the
     * mesh lacks and a sub-axis that does not divide its axis, naming both.
     */
    public static long coordinate(MeshAttr mesh, AxisRef ref, long[] coords) {
        int i = mesh.axisNames().indexOf(ref.name());
        if (i < 0) throw new IllegalArgumentException("axis " + ref + " is not in mesh " + mesh);
        long c = coords[i];
        if (!ref.isSubAxis()) return c;
        long axis = mesh.axes().get(i).size();
        long outer = ref.preSize() * ref.size();
        if (ref.preSize() <= 0 || outer <= 0 || axis % outer != 0) {
            throw new IllegalArgumentException("sub-axis " + ref + " does not divide axis \"" + ref.name() + "\" of size " + axis);
        }
        return c / (axis / outer) % ref.size();
    }

    /** Row-major linearisation of the references' coordinates, major first (a dimension's block index). */
    public static long linear(MeshAttr mesh, List<AxisRef> refs, long[] coords) {
        long x = 0;
        for (AxisRef a : refs) x = x * a.size(mesh) + coordinate(mesh, a, coords);
        return x;
    }
}
