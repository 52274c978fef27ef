package io.hlo4j.compiler.spmd.reshard;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one collective_permute that moves every device's block from one tiling to another with the same shard count
 * per dimension (so each block has as many holders on both sides). Shared by the partitioner's block permutation
 * between two views of a mesh and the cross-mesh planner's step across.
 */
public final class BlockPairs {
    private BlockPairs() {}

    /**
     * The {source, target} pairs, given each device's block index vector before ({@code had[dev]}) and after
     * ({@code wants[dev]}); null where that is not one permutation. A device already holding its new block keeps it
     * (a self pair, listed first: every device must be a target, or it would receive zeros); each other device, in
     * order, takes the lowest holder of its block not yet sending.
     */
    public static long[][] pairs(long[][] had, long[][] wants) {
        int n = had.length;
        boolean[] sending = new boolean[n], served = new boolean[n];
        List<long[]> pairs = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            if (Arrays.equals(had[p], wants[p])) { served[p] = true; sending[p] = true; pairs.add(new long[] {p, p}); }
        }
        Map<List<Long>, ArrayDeque<Integer>> holders = new HashMap<>();
        for (int q = 0; q < n; q++) if (!sending[q]) holders.computeIfAbsent(key(had[q]), k -> new ArrayDeque<>()).addLast(q);
        for (int p = 0; p < n; p++) {
            if (served[p]) continue;
            ArrayDeque<Integer> free = holders.get(key(wants[p]));
            if (free == null || free.isEmpty()) return null; // every holder of this block already sends another
            int q = free.removeFirst();
            sending[q] = true;
            pairs.add(new long[] {q, p});
        }
        return pairs.toArray(long[][]::new);
    }

    private static List<Long> key(long[] block) { return Arrays.stream(block).boxed().toList(); }
}
