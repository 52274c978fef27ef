package io.hlo4j.dsl.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A logical device mesh: named axes (major to minor) with sizes, and the device id at each mesh position. Mesh
 * positions are the row-major linearisation of the axis coordinates; {@code deviceIds[position]} is the
 * logical device (partition id) there, iota by default, as Shardy's {@code sdy.mesh ... device_ids=[...]}.
 * Immutable. {@link #name()} is the symbol the mesh gets in an emitted module ({@code sdy.mesh @name}).
 */
public final class Mesh {
    private final String name;
    private final List<String> axes;
    private final int[] sizes;
    private final int[] deviceIds;
    private final int[] positionOfDevice;

    private Mesh(String name, List<String> axes, int[] sizes, int[] deviceIds) {
        this.name = name;
        this.axes = List.copyOf(axes);
        this.sizes = sizes.clone();
        this.deviceIds = deviceIds.clone();
        this.positionOfDevice = new int[deviceIds.length];
        Arrays.fill(positionOfDevice, -1);
        for (int p = 0; p < deviceIds.length; p++) positionOfDevice[deviceIds[p]] = p;
    }

    /** A mesh over devices 0..n-1 in row-major order. */
    public static Mesh of(List<String> axes, int... sizes) { return build("mesh", axes, sizes, null); }

    /**
     * A mesh over {@code deviceCount} devices: refused unless the product of the sizes is exactly that count (a
     * mesh never leaves devices idle or invents ones).
     */
    public static Mesh of(int deviceCount, List<String> axes, int... sizes) {
        Mesh m = build("mesh", axes, sizes, null);
        if (m.size() != deviceCount) {
            throw fail("mesh " + m.describe() + " has " + m.size() + " positions but there are " + deviceCount + " devices");
        }
        return m;
    }

    /** A mesh with an explicit device order: {@code deviceIds[position]}, a permutation of 0..n-1. */
    public static Mesh withDeviceIds(List<String> axes, int[] sizes, int[] deviceIds) { return build("mesh", axes, sizes, deviceIds); }

    /** The same mesh under another symbol name (for modules declaring several meshes). */
    public Mesh named(String symbol) {
        if (symbol == null || symbol.isEmpty() || !symbol.matches("[A-Za-z_][A-Za-z0-9_$.]*")) {
            throw fail("mesh symbol name '" + symbol + "' is not a valid identifier");
        }
        return new Mesh(symbol, axes, sizes, deviceIds);
    }

    private static Mesh build(String name, List<String> axes, int[] sizes, int[] deviceIds) {
        if (axes.size() != sizes.length) {
            throw fail("mesh has " + axes.size() + " axis names " + axes + " but " + sizes.length + " sizes " + Arrays.toString(sizes));
        }
        Set<String> seen = new HashSet<>();
        long n = 1;
        for (int i = 0; i < sizes.length; i++) {
            String a = axes.get(i);
            if (a == null || a.isEmpty()) throw fail("mesh axis #" + i + " has an empty name (axes " + axes + ")");
            if (!seen.add(a)) throw fail("mesh axis name \"" + a + "\" appears twice in " + axes);
            if (sizes[i] < 1) throw fail("mesh axis \"" + a + "\" has size " + sizes[i] + "; sizes must be at least 1");
            n *= sizes[i];
            if (n > Integer.MAX_VALUE) throw fail("mesh " + axes + " " + Arrays.toString(sizes) + " is too large");
        }
        int[] ids = deviceIds;
        if (ids == null) {
            ids = new int[(int) n];
            for (int i = 0; i < n; i++) ids[i] = i;
        } else {
            if (ids.length != n) {
                throw fail("mesh " + axes + " " + Arrays.toString(sizes) + " has " + n + " positions but " + ids.length + " device ids were given");
            }
            boolean[] used = new boolean[(int) n];
            for (int id : ids) {
                if (id < 0 || id >= n || used[id]) {
                    throw fail("device ids " + Arrays.toString(ids) + " are not a permutation of 0.." + (n - 1) + " (bad or repeated id " + id + ")");
                }
                used[id] = true;
            }
        }
        return new Mesh(name, axes, sizes, ids);
    }

    static DslException fail(String message) { return new DslException("mesh", message, SourceLoc.here()); }

    public String name() { return name; }
    public List<String> axisNames() { return axes; }
    public int rank() { return axes.size(); }
    public int[] sizes() { return sizes.clone(); }

    /** Number of devices. */
    public int size() { return deviceIds.length; }

    /** Index of the axis, or an error naming the axis and the mesh's axes. */
    public int axisIndex(String axis) {
        int i = axes.indexOf(axis);
        if (i < 0) throw fail("unknown mesh axis \"" + axis + "\" (mesh axes " + axes + ")");
        return i;
    }

    public boolean hasAxis(String axis) { return axes.contains(axis); }

    public int axisSize(String axis) { return sizes[axisIndex(axis)]; }

    /** Product of the sizes of the given axes. */
    public int axisSize(List<String> group) {
        int n = 1;
        for (String a : group) n *= axisSize(a);
        return n;
    }

    /** Row-major coordinates of a mesh position. */
    public int[] coords(int position) {
        int[] c = new int[sizes.length];
        for (int i = sizes.length - 1; i >= 0; i--) {
            c[i] = position % sizes[i];
            position /= sizes[i];
        }
        return c;
    }

    /** The row-major position of the coordinates. */
    public int position(int... coords) {
        if (coords.length != sizes.length) throw fail("coordinates " + Arrays.toString(coords) + " do not match mesh " + describe());
        int p = 0;
        for (int i = 0; i < sizes.length; i++) {
            if (coords[i] < 0 || coords[i] >= sizes[i]) throw fail("coordinate " + coords[i] + " is out of range for axis \"" + axes.get(i) + "\"=" + sizes[i]);
            p = p * sizes[i] + coords[i];
        }
        return p;
    }

    /** The device at the coordinates. */
    public int device(int... coords) { return deviceIds[position(coords)]; }

    /** The device at a row-major position. */
    public int deviceAt(int position) { return deviceIds[position]; }

    /** The mesh coordinates of a device. */
    public int[] coordsOfDevice(int device) {
        if (device < 0 || device >= deviceIds.length) throw fail("device " + device + " is not in mesh " + describe());
        return coords(positionOfDevice[device]);
    }

    public int[] deviceIds() { return deviceIds.clone(); }

    /** Whether the device order is the identity. */
    public boolean isIota() {
        for (int i = 0; i < deviceIds.length; i++) if (deviceIds[i] != i) return false;
        return true;
    }

    /**
     * Device groups for a collective over {@code groupAxes}, as {@code pxla.axis_groups} forms them: each group
     * is the set of devices that differ only in those axes, its members ordered row-major over the axes in the
     * order listed (that order is the chunk order of all_gather / all_to_all); groups are ordered row-major
     * over the remaining axes in mesh order. Entries are device ids (this mesh's {@code device_ids} applied).
     * An empty list gives one singleton group per device.
     */
    public int[][] replicaGroups(List<String> groupAxes) {
        int[] sel = new int[groupAxes.size()];
        boolean[] in = new boolean[sizes.length];
        for (int i = 0; i < sel.length; i++) {
            sel[i] = axisIndex(groupAxes.get(i));
            if (in[sel[i]]) throw fail("axis \"" + groupAxes.get(i) + "\" is listed twice in collective axes " + groupAxes);
            in[sel[i]] = true;
        }
        List<Integer> rest = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) if (!in[i]) rest.add(i);
        int groupSize = 1;
        for (int s : sel) groupSize *= sizes[s];
        int groups = size() / groupSize;
        int[][] out = new int[groups][groupSize];
        int[] c = new int[sizes.length];
        for (int g = 0; g < groups; g++) {
            int r = g;
            for (int k = rest.size() - 1; k >= 0; k--) {
                int ax = rest.get(k);
                c[ax] = r % sizes[ax];
                r /= sizes[ax];
            }
            for (int m = 0; m < groupSize; m++) {
                int q = m;
                for (int k = sel.length - 1; k >= 0; k--) {
                    c[sel[k]] = q % sizes[sel[k]];
                    q /= sizes[sel[k]];
                }
                out[g][m] = device(c);
            }
        }
        return out;
    }

    public int[][] replicaGroups(String... groupAxes) { return replicaGroups(List.of(groupAxes)); }

    /**
     * {@link #replicaGroups} as the StableHLO attribute collectives take:
     * {@code dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>} (device ids are partition ids when the collective has a
     * channel handle, as in SPMD programs).
     */
    public io.hlo4j.mlir.attr.DenseElementsAttr replicaGroupsAttr(List<String> groupAxes) {
        int[][] g = replicaGroups(groupAxes);
        long[] flat = new long[g.length * g[0].length];
        for (int i = 0; i < g.length; i++) for (int j = 0; j < g[i].length; j++) flat[i * g[i].length + j] = g[i][j];
        return io.hlo4j.runtime.array.HostArray.fromLongs(
                io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.IntegerType.I64, g.length, g[0].length), flat).toDense();
    }

    /** The Shardy mesh attribute ({@code <["dp"=2, ...], device_ids=[...]>}; ids dropped when iota). */
    public MeshAttr toSdy() {
        List<MeshAttr.Axis> as = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) as.add(new MeshAttr.Axis(axes.get(i), sizes[i]));
        List<Long> ids = new ArrayList<>();
        for (int d : deviceIds) ids.add((long) d);
        return new MeshAttr(as, ids);
    }

    /** {@code ["dp"=2, "tp"=4]} plus the device order when not iota. */
    public String describe() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < sizes.length; i++) sb.append(i == 0 ? "" : ", ").append('"').append(axes.get(i)).append("\"=").append(sizes[i]);
        sb.append(']');
        if (!isIota()) sb.append(" device_ids=").append(Arrays.toString(deviceIds));
        return sb.toString();
    }

    @Override public boolean equals(Object o) {
        return o instanceof Mesh m && name.equals(m.name) && axes.equals(m.axes) && Arrays.equals(sizes, m.sizes)
                && Arrays.equals(deviceIds, m.deviceIds);
    }

    @Override public int hashCode() { return (name.hashCode() * 31 + axes.hashCode()) * 31 + Arrays.hashCode(deviceIds); }

    @Override public String toString() { return "Mesh @" + name + " " + describe(); }
}
