package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.TensorSharding;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
        List<List<Long>> had = new ArrayList<>(n), wants = new ArrayList<>(n);
        for (int p = 0; p < n; p++) { had.add(block(ga, a, p)); wants.add(block(gb, b, p)); }
        boolean[] sending = new boolean[n];
        boolean[] served = new boolean[n];
        List<long[]> pairs = new ArrayList<>();
        // a device already holding its new block keeps it (a self pair, which moves nothing)
        for (int p = 0; p < n; p++) {
            if (had.get(p).equals(wants.get(p))) { served[p] = true; sending[p] = true; pairs.add(new long[] {p, p}); }
        }
        // the holders of each block under a, lowest device first: each target takes the first one not yet sending
        Map<List<Long>, ArrayDeque<Integer>> holders = new HashMap<>();
        for (int q = 0; q < n; q++) if (!sending[q]) holders.computeIfAbsent(had.get(q), k -> new ArrayDeque<>()).addLast(q);
        for (int p = 0; p < n; p++) {
            if (served[p]) continue;
            ArrayDeque<Integer> free = holders.get(wants.get(p));
            if (free == null || free.isEmpty()) return null; // every holder of this block already sends another: not one permute
            int q = free.removeFirst();
            sending[q] = true;
            pairs.add(new long[] {q, p});
        }
        return pairs.toArray(long[][]::new);
    }

    /** Device {@code p}'s block under {@code s}: its shard index along each dimension. */
    private static List<Long> block(DeviceGrid g, TensorSharding s, int p) {
        List<Long> out = new ArrayList<>(s.rank());
        for (int d = 0; d < s.rank(); d++) out.add(g.index(p, s.axesOfDim(d)));
        return out;
    }
}
