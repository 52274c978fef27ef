package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.TensorSharding;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
        int[] source = new int[n];
        boolean[] sending = new boolean[n];
        Arrays.fill(source, -1);
        List<long[]> pairs = new ArrayList<>();
        // a device already holding its new block keeps it (a self pair, which moves nothing)
        for (int p = 0; p < n; p++) {
            if (sameBlock(ga, a, p, gb, b, p)) { source[p] = p; sending[p] = true; pairs.add(new long[] {p, p}); }
        }
        for (int p = 0; p < n; p++) {
            if (source[p] >= 0) continue;
            for (int q = 0; q < n && source[p] < 0; q++) {
                if (!sending[q] && sameBlock(ga, a, q, gb, b, p)) { source[p] = q; sending[q] = true; pairs.add(new long[] {q, p}); }
            }
            if (source[p] < 0) return null; // every holder of this block already sends another: not one permute
        }
        return pairs.toArray(long[][]::new);
    }

    /** Whether device {@code q}'s block under {@code a} is device {@code p}'s block under {@code b}. */
    private static boolean sameBlock(DeviceGrid ga, TensorSharding a, int q, DeviceGrid gb, TensorSharding b, int p) {
        for (int d = 0; d < a.rank(); d++) if (ga.index(q, a.axesOfDim(d)) != gb.index(p, b.axesOfDim(d))) return false;
        return true;
    }
}
