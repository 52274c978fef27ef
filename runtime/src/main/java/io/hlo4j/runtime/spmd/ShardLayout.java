package io.hlo4j.runtime.spmd;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.BlockLayoutCheck;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.MeshCoordinates;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;

import java.util.Arrays;
import java.util.List;

/**
 * Which block of a global shape each device holds under a {@link TensorSharding} on a {@link MeshAttr}. Devices are
 * partition ids: mesh position p (row-major over the axes) is device {@code mesh.deviceOrder().get(p)}. Dimension d
 * is split into the product of its axes' sizes; a device's block index along d is the row-major linearisation of
 * its coordinates on those axes (major to minor). A sub-axis {@code "x":(pre)size} of an axis of size A is the
 * coordinate {@code (c / (A / (pre * size))) % size}. Devices that differ only in unreduced axes hold partial values
 * of the same block; the one at unreduced index 0 is the canonical holder when splitting a full value.
 *
 * <p>Refused, by name: a sharding whose rank is not the tensor's, unknown axes, an axis (or overlapping sub-axes)
 * used twice, malformed sub-axes, a dimension not divisible by its shard count, device ids that are not a
 * permutation. Nothing is padded.
 */
public final class ShardLayout {
    private final MeshAttr mesh;
    private final TensorSharding sharding;
    private final long[] global;
    private final long[] local;
    private final long[][] blockIndex;    // [device][dim]
    private final int[] unreducedIndex;   // [device]
    private final int unreducedCount;

    private ShardLayout(MeshAttr mesh, TensorSharding sharding, long[] global, long[] local, long[][] blockIndex,
                        int[] unreducedIndex, int unreducedCount) {
        this.mesh = mesh;
        this.sharding = sharding;
        this.global = global;
        this.local = local;
        this.blockIndex = blockIndex;
        this.unreducedIndex = unreducedIndex;
        this.unreducedCount = unreducedCount;
    }

    /** The layout of a tensor of {@code globalShape} ({@code tensor} names it in errors). */
    public static ShardLayout of(MeshAttr mesh, TensorSharding sharding, long[] globalShape, String tensor) {
        String what = tensor == null ? "tensor " + Arrays.toString(globalShape) : tensor;
        check(mesh, sharding, globalShape, what);
        int n = (int) mesh.totalSize();
        List<Long> order = mesh.deviceOrder();
        int rank = globalShape.length;
        long[] local = globalShape.clone();
        for (int d = 0; d < rank; d++) local[d] /= shards(mesh, sharding.axesOfDim(d));
        long[][] index = new long[n][];
        int[] unreduced = new int[n];
        for (int pos = 0; pos < n; pos++) {
            long[] coords = coords(mesh, pos);
            int dev = (int) (long) order.get(pos);
            long[] bi = new long[rank];
            for (int d = 0; d < rank; d++) bi[d] = linear(mesh, sharding.axesOfDim(d), coords);
            index[dev] = bi;
            unreduced[dev] = (int) linear(mesh, sharding.unreducedAxes(), coords);
        }
        return new ShardLayout(mesh, sharding, globalShape.clone(), local, index, unreduced,
                (int) shards(mesh, sharding.unreducedAxes()));
    }

    public MeshAttr mesh() { return mesh; }
    public TensorSharding sharding() { return sharding; }
    public long[] globalShape() { return global.clone(); }
    /** The shape of every device's block. */
    public long[] localShape() { return local.clone(); }
    public int devices() { return blockIndex.length; }

    /** The device's block index along each dimension (block units, not elements). */
    public long[] blockIndex(int device) { return blockIndex[device].clone(); }

    /** The global index of the first element of the device's block. */
    public long[] blockStart(int device) {
        long[] s = blockIndex[device].clone();
        for (int d = 0; d < s.length; d++) s[d] *= local[d];
        return s;
    }

    /** The device's index among the devices holding partial values of its block (0 when nothing is unreduced). */
    public int unreducedIndex(int device) { return unreducedIndex[device]; }

    /** How many partial values each element is split into (1 when nothing is unreduced). */
    public int unreducedCount() { return unreducedCount; }

    // ---- mesh geometry ---------------------------------------------------------------------------------------

    /** Row-major coordinates of a mesh position (the shared mapping, {@link MeshCoordinates}). */
    static long[] coords(MeshAttr mesh, int position) { return MeshCoordinates.of(mesh, position); }

    /** This reference's coordinate, given the device's mesh coordinates. */
    static long coordinate(MeshAttr mesh, AxisRef a, long[] coords) { return MeshCoordinates.coordinate(mesh, a, coords); }

    /** Row-major linearisation of the references' coordinates (major first). */
    static long linear(MeshAttr mesh, List<AxisRef> refs, long[] coords) { return MeshCoordinates.linear(mesh, refs, coords); }

    static long shards(MeshAttr mesh, List<AxisRef> refs) {
        long n = 1;
        for (AxisRef a : refs) n = Math.multiplyExact(n, a.size(mesh));
        return n;
    }

    // ---- validation ------------------------------------------------------------------------------------------

    /** Refuses a sharding that does not describe a block layout of {@code shape} on {@code mesh}, naming the culprit. */
    public static void check(MeshAttr mesh, TensorSharding sharding, long[] shape, String tensor) {
        List<Long> order = mesh.deviceOrder();
        boolean[] seen = new boolean[order.size()];
        for (long id : order) {
            if (id < 0 || id >= order.size() || seen[(int) id]) {
                throw new ShardingException("mesh " + mesh + " has device ids that are not a permutation of 0.." + (order.size() - 1));
            }
            seen[(int) id] = true;
        }
        String problem = BlockLayoutCheck.problem(mesh, sharding, shape, tensor);
        if (problem != null) throw new ShardingException(problem);
    }
}
