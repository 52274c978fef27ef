package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.MeshCoordinates;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A mesh cut into the smallest pieces ("atoms") that the shardings of one reshard refer to: each mesh axis is split
 * at every sub-axis boundary either sharding uses, so every axis or sub-axis reference is a run of atoms (major to
 * minor), and a dimension's sharding is a list of atoms. Axes of size 1 give no atoms (they change nothing).
 * Also the geometry the planner needs: each device's coordinate on each atom, and collective groups over atoms.
 * Devices are partition ids; mesh position p (row-major) is device {@code mesh.deviceOrder().get(p)}.
 */
final class MeshAtoms {
    /**
     * Sub-axis {@code axis:(pre)size} of an axis of size {@code axisSize}. Coordinates come from {@link MeshCoordinates};
     * {@code stride} is the same rule read as a step in mesh positions (coordinate = position / stride % size, which
     * {@code MeshAtomsCoordinatesTest} checks), kept because {@link #groups} forms each group's key by removing the
     * atoms' steps from a position.
     */
    record Atom(String axis, long axisSize, long pre, long size, long stride) {
        AxisRef ref() { return AxisRef.part(axis, pre, size, axisSize); }
    }

    final MeshAttr mesh;
    final List<Atom> atoms = new ArrayList<>();
    final int devices;
    final long[] positionOfDevice;
    final long[][] coord; // [device][atom]

    private MeshAtoms(MeshAttr mesh) {
        this.mesh = mesh;
        this.devices = Math.toIntExact(mesh.totalSize());
        this.positionOfDevice = new long[devices];
        this.coord = new long[devices][];
    }

    /**
     * Past this many prime atoms the planner keeps the coarser atoms: the layouts one collective_permute reaches grow
     * as the factorial of the atoms on a dimension (6 atoms: 720), and so does the search.
     */
    static final int MAX_PRIME_ATOMS = 6;

    /** Atoms for the given shardings (validated first; {@code tensor} names the value in errors). */
    static MeshAtoms of(MeshAttr mesh, long[] shape, List<TensorSharding> shardings, String tensor, Location loc) {
        return of(mesh, shape, shardings, tensor, loc, false);
    }

    /**
     * With {@code primes}, each atom is further cut into prime factors (ascending; {@code "x"=4} becomes
     * {@code "x":(1)2, "x":(2)2}) when that gives at most {@link #MAX_PRIME_ATOMS} atoms in all. Finer atoms let a
     * collective_permute reorder the halves of an axis, so e.g. P((fsdp, dp)) -> P(dp) on dp=2, fsdp=4 can keep
     * every block that is already in place before gathering over fsdp.
     */
    static MeshAtoms of(MeshAttr mesh, long[] shape, List<TensorSharding> shardings, String tensor, Location loc, boolean primes) {
        checkDeviceOrder(mesh, loc);
        Map<String, TreeSet<Long>> cuts = new LinkedHashMap<>();
        for (MeshAttr.Axis a : mesh.axes()) cuts.put(a.name(), new TreeSet<>(List.of(1L, a.size())));
        for (TensorSharding s : shardings) {
            ShardingChecks.check(mesh, s, shape, tensor, loc);
            for (AxisRef r : allRefs(s)) {
                if (r.isSubAxis()) {
                    cuts.get(r.name()).add(r.preSize());
                    cuts.get(r.name()).add(r.preSize() * r.size());
                }
            }
        }
        for (Map.Entry<String, TreeSet<Long>> e : cuts.entrySet()) {
            Long[] b = e.getValue().toArray(new Long[0]);
            for (int j = 0; j + 1 < b.length; j++) {
                if (b[j + 1] % b[j] != 0) {
                    throw new ReshardException(tensor + ": the sub-axes of axis \"" + e.getKey() + "\"=" + mesh.axisSize(e.getKey()) + " used by " + shardings
                            + " do not nest (cut points " + e.getValue() + "); such reshards are not supported", loc);
                }
            }
        }
        if (primes) {
            Map<String, TreeSet<Long>> fine = new LinkedHashMap<>();
            int count = 0;
            for (Map.Entry<String, TreeSet<Long>> e : cuts.entrySet()) {
                TreeSet<Long> c = new TreeSet<>(e.getValue());
                Long[] b = e.getValue().toArray(new Long[0]);
                for (int j = 0; j + 1 < b.length; j++) {
                    long at = b[j], rest = b[j + 1] / b[j];
                    for (long p = 2; rest > 1; ) {
                        if (rest % p == 0) { at *= p; rest /= p; c.add(at); } else p++;
                    }
                }
                count += c.size() - 1;
                fine.put(e.getKey(), c);
            }
            if (count <= MAX_PRIME_ATOMS) cuts = fine;
        }
        MeshAtoms m = new MeshAtoms(mesh);
        List<MeshAttr.Axis> axes = mesh.axes();
        long axisStride = 1;
        long[] axisStrides = new long[axes.size()];
        for (int i = axes.size() - 1; i >= 0; i--) { axisStrides[i] = axisStride; axisStride *= axes.get(i).size(); }
        for (int i = 0; i < axes.size(); i++) {
            MeshAttr.Axis a = axes.get(i);
            Long[] b = cuts.get(a.name()).toArray(new Long[0]);
            for (int j = 0; j + 1 < b.length; j++) {
                long size = b[j + 1] / b[j];
                m.atoms.add(new Atom(a.name(), a.size(), b[j], size, axisStrides[i] * (a.size() / (b[j] * size))));
            }
        }
        List<Long> order = mesh.deviceOrder();
        for (int pos = 0; pos < m.devices; pos++) {
            int dev = (int) (long) order.get(pos);
            m.positionOfDevice[dev] = pos;
            // the mesh type's one rule (row-major positions, Shardy's sub-axis reshape); an atom is a sub-axis
            long[] axisCoords = MeshCoordinates.of(mesh, pos), c = new long[m.atoms.size()];
            for (int k = 0; k < c.length; k++) c[k] = MeshCoordinates.coordinate(mesh, m.atoms.get(k).ref(), axisCoords);
            m.coord[dev] = c;
        }
        return m;
    }

    private static List<AxisRef> allRefs(TensorSharding s) {
        List<AxisRef> all = new ArrayList<>(s.shardingAxes());
        all.addAll(s.unreducedAxes());
        all.addAll(s.replicatedAxes());
        return all;
    }

    private static void checkDeviceOrder(MeshAttr mesh, Location loc) {
        List<Long> order = mesh.deviceOrder();
        boolean[] seen = new boolean[order.size()];
        for (long id : order) {
            if (id < 0 || id >= order.size() || seen[(int) id]) {
                throw new ReshardException("mesh " + mesh + ": device ids are not a permutation of 0.." + (order.size() - 1), loc);
            }
            seen[(int) id] = true;
        }
    }

    /** The atoms of a reference, major to minor (none for an axis of size 1). */
    List<Integer> expand(AxisRef r) {
        long lo = r.isSubAxis() ? r.preSize() : 1, hi = r.isSubAxis() ? r.preSize() * r.size() : mesh.axisSize(r.name());
        List<Integer> out = new ArrayList<>();
        for (int k = 0; k < atoms.size(); k++) {
            Atom a = atoms.get(k);
            if (a.axis.equals(r.name()) && a.pre >= lo && a.pre * a.size <= hi) out.add(k);
        }
        return out;
    }

    List<Integer> expand(List<AxisRef> refs) {
        List<Integer> out = new ArrayList<>();
        for (AxisRef r : refs) out.addAll(expand(r));
        return out;
    }

    long size(List<Integer> ids) {
        long n = 1;
        for (int k : ids) n *= atoms.get(k).size;
        return n;
    }

    /** {@link #linear(int, List)} on an array of atom ids. */
    long linear(int device, int[] ids) {
        long x = 0;
        long[] c = coord[device];
        for (int k : ids) x = x * atoms.get(k).size + c[k];
        return x;
    }

    /** Row-major index of the device over the atoms (major first). */
    long linear(int device, List<Integer> ids) {
        long x = 0;
        for (int k : ids) x = x * atoms.get(k).size + coord[device][k];
        return x;
    }

    /** The atoms as axis references, adjacent pieces of one axis merged back ({@code "x":(1)2, "x":(2)2} is {@code "x"}). */
    List<AxisRef> refs(List<Integer> ids) {
        List<AxisRef> out = new ArrayList<>();
        int i = 0;
        while (i < ids.size()) {
            Atom a = atoms.get(ids.get(i));
            long pre = a.pre, size = a.size;
            int j = i + 1;
            while (j < ids.size()) {
                Atom b = atoms.get(ids.get(j));
                if (!b.axis.equals(a.axis) || b.pre != pre * size) break;
                size *= b.size;
                j++;
            }
            out.add(AxisRef.part(a.axis, pre, size, a.axisSize));
            i = j;
        }
        return out;
    }

    /**
     * Groups of devices that differ only in the given atoms, each ordered by the row-major index over the atoms (the
     * chunk order of all_gather, all_to_all and reduce_scatter); groups ordered by their first mesh position. For
     * full axes this is {@code pxla.axis_groups}. Entries are device (partition) ids.
     */
    long[][] groups(List<Integer> ids) {
        int g = (int) size(ids);
        Map<Long, long[]> byKey = new LinkedHashMap<>();
        List<Long> order = mesh.deviceOrder();
        for (int pos = 0; pos < devices; pos++) {
            int dev = (int) (long) order.get(pos);
            long key = pos;
            for (int k : ids) key -= coord[dev][k] * atoms.get(k).stride;
            long[] members = byKey.computeIfAbsent(key, x -> new long[g]);
            members[(int) linear(dev, ids)] = dev;
        }
        return byKey.values().toArray(new long[0][]);
    }
}
