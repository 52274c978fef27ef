package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.MeshCoordinates;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The devices of a mesh as partition ids: which mesh position each partition sits at (through the mesh's
 * {@code device_ids}), a device's index along a list of axis references, and the replica groups of a
 * collective over those references, as {@code pxla.axis_groups} builds them: the devices that differ only in
 * the listed axes, each group ordered row-major over the axes as listed. Sub-axes {@code "x":(pre)size} are
 * the middle factor of x reshaped to [pre, size, rest].
 */
public final class DeviceGrid {
    private final MeshAttr mesh;
    private final int devices;
    private final long[] sizes;
    /** partition id -> row-major mesh position. */
    private final int[] positionOf;
    /** row-major mesh position -> partition id. */
    private final int[] partitionAt;

    public DeviceGrid(MeshAttr mesh) {
        this.mesh = mesh;
        this.devices = Math.toIntExact(mesh.totalSize());
        this.sizes = mesh.axes().stream().mapToLong(MeshAttr.Axis::size).toArray();
        List<Long> order = mesh.deviceOrder();
        partitionAt = new int[devices];
        positionOf = new int[devices];
        Arrays.fill(positionOf, -1);
        for (int pos = 0; pos < devices; pos++) {
            int id = Math.toIntExact(order.get(pos));
            if (id < 0 || id >= devices || positionOf[id] >= 0) {
                throw new Hlo4jException("mesh " + mesh + " device_ids are not a permutation of 0.." + (devices - 1), Location.UNKNOWN);
            }
            partitionAt[pos] = id;
            positionOf[id] = pos;
        }
    }

    public MeshAttr mesh() { return mesh; }
    public int devices() { return devices; }

    /** Mesh coordinates of partition {@code p}. */
    public long[] coords(int p) { return MeshCoordinates.of(mesh, positionOf[p]); }

    private int axisIndex(String name) {
        for (int i = 0; i < mesh.axes().size(); i++) if (mesh.axes().get(i).name().equals(name)) return i;
        throw new Hlo4jException("unknown mesh axis \"" + name + "\" (mesh " + mesh + ")", Location.UNKNOWN);
    }

    /** The size of a reference (a whole axis or a sub-axis). */
    public long size(AxisRef r) { return r.size(mesh); }

    public long size(List<AxisRef> refs) {
        long n = 1;
        for (AxisRef r : refs) n *= size(r);
        return n;
    }

    /** The stride inside the axis coordinate of a reference: coordinate / post % size is its index. */
    private long post(AxisRef r) {
        long n = sizes[axisIndex(r.name())];
        if (!r.isSubAxis()) return 1;
        if (n % (r.preSize() * r.size()) != 0) {
            throw new Hlo4jException("sub-axis " + r + " does not divide axis \"" + r.name() + "\" of size " + n, Location.UNKNOWN);
        }
        return n / (r.preSize() * r.size());
    }

    /** Partition {@code p}'s index along one reference. */
    public long index(int p, AxisRef r) {
        check(r);
        return MeshCoordinates.coordinate(mesh, r, coords(p));
    }

    /** Partition {@code p}'s row-major index over the references, major first (a dimension's shard index). */
    public long index(int p, List<AxisRef> refs) {
        for (AxisRef r : refs) check(r);
        return MeshCoordinates.linear(mesh, refs, coords(p));
    }

    /** Refuses, as an hlo4j error naming it, an unknown axis or a sub-axis that does not divide its axis. */
    private void check(AxisRef r) {
        axisIndex(r.name());
        if (r.isSubAxis()) post(r);
    }

    /** The coordinates of {@code p} with the parts named by {@code refs} set to zero: its group's key. */
    private List<Long> rest(int p, List<AxisRef> refs) {
        long[] c = coords(p);
        for (AxisRef r : refs) {
            int a = axisIndex(r.name());
            c[a] -= r.isSubAxis() ? index(p, r) * post(r) : c[a];
        }
        List<Long> key = new ArrayList<>();
        for (long x : c) key.add(x);
        return key;
    }

    /** Replica groups of a collective over {@code refs}: partition ids, each group row-major over the references. */
    public long[][] groups(List<AxisRef> refs) {
        int n = Math.toIntExact(size(refs));
        Map<List<Long>, long[]> byKey = new LinkedHashMap<>();
        for (int pos = 0; pos < devices; pos++) {
            int p = partitionAt[pos];
            long[] g = byKey.computeIfAbsent(rest(p, refs), k -> new long[n]);
            g[Math.toIntExact(index(p, refs))] = p;
        }
        return byKey.values().toArray(long[][]::new);
    }
}
