package io.hlo4j.mlir.gspmd;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * One Shardy mesh on which a module's GSPMD shardings can all be written, and each sharding written on it.
 *
 * <p>An iota tile assignment {@code <=[r0,...,rk]T(perm)} reads device ids as mixed-radix numbers: iota dim j is
 * the digit of stride {@code r(j+1)*...*rk}. A mesh axis is such a digit range; the mesh here has one axis per gap
 * between consecutive "cut" strides, the cuts being every stride any sharding's iota dims start at (and 1 and N),
 * refined until each tile dim is a run of whole axes. The axes are named {@code "g0"} (most major) onwards and
 * need no {@code device_ids}: a device's row-major mesh position is its id. Cuts that do not divide one another
 * (e.g. a 2-way and a 3-way split of 6 devices that interleave differently) have no common mesh: refused by name,
 * as are explicit device lists that are not 0..N-1 in order, {@code {maximal}}, {@code {manual}} and manual
 * subgroups.
 */
public final class GspmdMesh {
    private final long devices;
    private final long[] cuts; // ascending: 1 = cuts[0] < ... < cuts[m] = devices, each dividing the next

    private GspmdMesh(long devices, long[] cuts) {
        this.devices = devices;
        this.cuts = cuts;
    }

    /** The coarsest mesh of {@code devices} devices on which every tiled sharding of {@code shardings} is written. */
    public static GspmdMesh derive(long devices, List<GspmdSharding> shardings, Location loc) {
        if (devices < 1) throw new Hlo4jException("a GSPMD mesh needs at least one device, got " + devices, loc);
        TreeSet<Long> cuts = new TreeSet<>(List.of(1L, devices));
        List<GspmdSharding.Tiled> tiled = new ArrayList<>();
        for (GspmdSharding s : shardings) collect(s, tiled);
        for (GspmdSharding.Tiled t : tiled) {
            if (t.deviceCount() != devices) {
                throw new Hlo4jException("GSPMD sharding " + t + " spans " + t.deviceCount() + " devices but the module runs on " + devices
                        + " (mhlo.num_partitions)", loc);
            }
            long[] reshape = iotaDims(t, loc);
            long stride = 1;
            for (int k = reshape.length - 1; k >= 0; k--) {
                cuts.add(stride);
                stride *= reshape[k];
            }
        }
        while (true) {
            checkChain(cuts, shardings, loc);
            GspmdMesh m = new GspmdMesh(devices, cuts.stream().mapToLong(Long::longValue).toArray());
            Long extra = null;
            for (GspmdSharding.Tiled t : tiled) {
                extra = m.missingCut(t, loc);
                if (extra != null) break;
            }
            if (extra == null) return m;
            cuts.add(extra);
        }
    }

    private static void collect(GspmdSharding s, List<GspmdSharding.Tiled> out) {
        if (s instanceof GspmdSharding.Tiled t) out.add(t);
        else if (s instanceof GspmdSharding.Tuple tu) for (GspmdSharding e : tu.elements()) collect(e, out);
    }

    private static void checkChain(TreeSet<Long> cuts, List<GspmdSharding> shardings, Location loc) {
        Long prev = null;
        for (long c : cuts) {
            if (prev != null && c % prev != 0) {
                throw new Hlo4jException("the GSPMD shardings " + shardings + " split the devices by strides " + cuts + ", and " + prev
                        + " does not divide " + c + ": they share no mesh (hlo4j writes all of a module's shardings on one mesh)", loc);
            }
            prev = c;
        }
    }

    /** The iota dims of {@code t}'s tile assignment; an explicit list must be 0..N-1 in order. */
    private static long[] iotaDims(GspmdSharding.Tiled t, Location loc) {
        if (t.iotaReshape() != null) return t.iotaReshape();
        long[] d = t.devices();
        for (int k = 0; k < d.length; k++) {
            if (d[k] != k) {
                throw new Hlo4jException("GSPMD sharding " + t + " lists its devices in an order that is not 0.." + (d.length - 1)
                        + "; hlo4j reads explicit device lists only in that order (XLA's iota form <=[...]T(...) any order)", loc);
            }
        }
        return new long[] {d.length};
    }

    private static int[] iotaPerm(GspmdSharding.Tiled t) {
        if (t.iotaPerm() != null) return t.iotaPerm();
        return new int[] {0};
    }

    /** The mesh: axes {@code "g0"} (most major) onwards, one per gap between cuts, no device_ids. */
    public MeshAttr mesh() {
        List<MeshAttr.Axis> axes = new ArrayList<>();
        for (int j = cuts.length - 2, k = 0; j >= 0; j--, k++) axes.add(new MeshAttr.Axis("g" + k, cuts[j + 1] / cuts[j]));
        return new MeshAttr(axes, List.of());
    }

    public long devices() { return devices; }

    private String axisName(int lowerCutIndex) { return "g" + (cuts.length - 2 - lowerCutIndex); }

    /** The mesh axes (lower cut index) of each tile dim of {@code t}, major first; null entries never. */
    private List<List<Integer>> groups(GspmdSharding.Tiled t, Location loc, long[] missing) {
        long[] reshape = iotaDims(t, loc);
        int[] perm = iotaPerm(t);
        long[] stride = new long[reshape.length];
        long acc = 1;
        for (int k = reshape.length - 1; k >= 0; k--) {
            stride[k] = acc;
            acc *= reshape[k];
        }
        List<Integer> seq = new ArrayList<>(); // lower cut indices, in transposed order, major first within each iota dim
        for (int p : perm) {
            for (int j = cuts.length - 2; j >= 0; j--) {
                if (cuts[j] >= stride[p] && cuts[j] < stride[p] * reshape[p]) seq.add(j);
            }
        }
        List<List<Integer>> out = new ArrayList<>();
        int next = 0;
        for (long td : t.tileDims()) {
            List<Integer> g = new ArrayList<>();
            long need = td;
            while (need > 1) {
                int j = seq.get(next);
                long a = cuts[j + 1] / cuts[j];
                if (need % a == 0) {
                    g.add(j);
                    need /= a;
                    next++;
                } else if (a % need == 0) {
                    missing[0] = cuts[j + 1] / need; // split the axis: its major part of size `need` starts there
                    return null;
                } else {
                    throw new Hlo4jException("GSPMD sharding " + t + ": tile dim of size " + td + " does not split mesh axis of size " + a
                            + " evenly", loc);
                }
            }
            out.add(g);
        }
        return out;
    }

    private Long missingCut(GspmdSharding.Tiled t, Location loc) {
        long[] missing = {0};
        return groups(t, loc, missing) == null ? missing[0] : null;
    }

    /**
     * {@code s} written on this mesh (named {@code meshName}) for a tensor of {@code rank} dims; {@code what} names
     * the value in errors (e.g. "argument 0 of @main").
     */
    public TensorSharding toSdy(GspmdSharding s, int rank, String meshName, String what, Location loc) {
        List<DimensionSharding> dims = new ArrayList<>();
        switch (s) {
            case GspmdSharding.Replicated r -> {
                for (int d = 0; d < rank; d++) dims.add(new DimensionSharding(List.of(), true, null));
            }
            case GspmdSharding.Tiled t -> {
                if (t.rank() != rank) {
                    throw new Hlo4jException(what + ": GSPMD sharding " + t + " tiles " + t.rank() + " dims but the value has " + rank, loc);
                }
                if (t.subgroups().contains("manual")) {
                    throw new Hlo4jException(what + ": GSPMD sharding " + t + " has a manual subgroup (a partially manual shard_map before"
                            + " Shardy), which hlo4j does not import: lower with Shardy (jax_use_shardy_partitioner=True)", loc);
                }
                List<List<Integer>> g = groups(t, loc, new long[1]);
                if (g == null) throw new IllegalStateException("mesh not derived from " + t);
                for (int d = 0; d < rank; d++) {
                    List<AxisRef> refs = new ArrayList<>();
                    for (int j : g.get(d)) refs.add(AxisRef.of(axisName(j)));
                    dims.add(new DimensionSharding(refs, true, null));
                }
            }
            case GspmdSharding.Maximal m -> throw new Hlo4jException(what + ": GSPMD sharding {maximal device=" + m.device() + "} places the"
                    + " whole value on one device; hlo4j's sharding model (a Shardy mesh of all devices) has no such placement", loc);
            case GspmdSharding.Manual m -> throw new Hlo4jException(what + ": GSPMD sharding {manual} marks a value inside a pre-Shardy"
                    + " shard_map, which hlo4j does not import: lower with Shardy (jax_use_shardy_partitioner=True)", loc);
            case GspmdSharding.Tuple tu -> throw new Hlo4jException(what + ": a tuple sharding " + tu + " on a tensor value", loc);
        }
        return new TensorSharding(meshName, null, dims, List.of(), List.of(), "sum");
    }

    @Override public String toString() { return "GspmdMesh" + mesh().body() + " cuts " + Arrays.toString(cuts); }
}
