package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.TensorSharding;

/**
 * Between two meshes over the same devices (a declared mesh and an inline or device_ids view of it), two shardings
 * with the same shard count per dimension cut the value into the same blocks, only held by other devices. Then one
 * collective_permute moves each block to its new holder, instead of gathering the whole value and slicing it. A
 * device that already holds its new block is paired with itself (every device must be a target, or it would receive
 * zeros; a self pair moves nothing, CollectiveKernelsTest runs them).
 */
final class BlockPermutation {
    private BlockPermutation() {}

    /** The {source, target} pairs moving every block from {@code a} on {@code ga} to {@code b} on {@code gb}, or null when that is not a permutation. */
    static long[][] pairs(DeviceGrid ga, TensorSharding a, DeviceGrid gb, TensorSharding b) {
        if (!a.unreducedAxes().isEmpty() || !b.unreducedAxes().isEmpty() || a.rank() != b.rank() || ga.devices() != gb.devices()) return null;
        for (int d = 0; d < a.rank(); d++) if (ga.size(a.axesOfDim(d)) != gb.size(b.axesOfDim(d))) return null;
        int n = ga.devices();
        long[][] had = new long[n][], wants = new long[n][];
        for (int p = 0; p < n; p++) { had[p] = block(ga, a, p); wants[p] = block(gb, b, p); }
        return io.hlo4j.compiler.spmd.reshard.BlockPairs.pairs(had, wants);
    }

    /** Device {@code p}'s block under {@code s}: its shard index along each dimension. */
    private static long[] block(DeviceGrid g, TensorSharding s, int p) {
        long[] out = new long[s.rank()];
        for (int d = 0; d < s.rank(); d++) out[d] = g.index(p, s.axesOfDim(d));
        return out;
    }
}
