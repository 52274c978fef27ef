package io.hlo4j.compiler.spmd.reshard;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans a {@link ReshardStep.Exchange} between two layouts whose tilings refine to equal cells (per dimension one
 * shard count divides the other): which cells each device needs, who holds them, and a schedule of rounds in which
 * every device sends at most one cell and receives at most one. Cells a device already holds go by self-pairs.
 */
final class CellExchange {
    private CellExchange() {}

    /** Whether both tilings refine to equal cells (and no values are partial). */
    static boolean applies(Layouts lay, Layouts.State s, Layouts.State t) {
        if (s.mask() != 0 || t.mask() != 0 || lay.shape.length == 0) return false;
        for (int d = 0; d < lay.shape.length; d++) {
            long a = lay.m.size(s.dims().get(d)), b = lay.m.size(t.dims().get(d));
            if (Math.max(a, b) % Math.min(a, b) != 0) return false;
        }
        return true;
    }

    /** Cells per target block: the number of rounds at best. */
    static long cellsPerBlock(Layouts lay, Layouts.State s, Layouts.State t) {
        long k = 1;
        for (int d = 0; d < lay.shape.length; d++) {
            long a = lay.m.size(s.dims().get(d)), b = lay.m.size(t.dims().get(d));
            k *= Math.max(a, b) / b;
        }
        return k;
    }

    static ReshardStep.Exchange plan(Layouts lay, Layouts.State s, Layouts.State t) {
        MeshAtoms m = lay.m;
        int rank = lay.shape.length, n = m.devices;
        long[] perS = new long[rank], perT = new long[rank], cell = new long[rank];
        for (int d = 0; d < rank; d++) {
            long a = m.size(s.dims().get(d)), b = m.size(t.dims().get(d)), c = Math.max(a, b);
            perS[d] = c / a;   // cells per source block along d
            perT[d] = c / b;   // cells per target block along d
            cell[d] = lay.shape[d] / c;
        }
        long[][] sBlock = new long[n][rank], tBlock = new long[n][rank];
        Map<List<Long>, List<Integer>> holders = new HashMap<>();
        for (int dev = 0; dev < n; dev++) {
            List<Long> key = new ArrayList<>();
            for (int d = 0; d < rank; d++) {
                sBlock[dev][d] = m.linear(dev, s.dims().get(d));
                tBlock[dev][d] = m.linear(dev, t.dims().get(d));
                key.add(sBlock[dev][d]);
            }
            holders.computeIfAbsent(key, k -> new ArrayList<>()).add(dev);
        }
        // the cells each device needs (global cell coordinates), own ones first
        List<List<long[]>> need = new ArrayList<>();
        long cellBytes = lay.elementBytes;
        for (long c : cell) cellBytes *= c;
        long[] bytes = new long[n];
        for (int dev = 0; dev < n; dev++) {
            List<long[]> own = new ArrayList<>(), other = new ArrayList<>();
            long cells = 1;
            for (long p : perT) cells *= p;
            for (long k = 0; k < cells; k++) {
                long[] c = new long[rank];
                long r = k;
                for (int d = rank - 1; d >= 0; d--) {
                    c[d] = tBlock[dev][d] * perT[d] + r % perT[d];
                    r /= perT[d];
                }
                boolean mine = true;
                for (int d = 0; d < rank; d++) mine &= c[d] / perS[d] == sBlock[dev][d];
                (mine ? own : other).add(c);
            }
            bytes[dev] = other.size() * cellBytes;
            own.addAll(other);
            need.add(own);
        }
        List<ReshardStep.Exchange.Round> rounds = new ArrayList<>();
        int[] next = new int[n];
        int[] rotate = new int[1];
        while (true) {
            boolean left = false;
            for (int dev = 0; dev < n; dev++) left |= next[dev] < need.get(dev).size();
            if (!left) break;
            boolean[] sending = new boolean[n];
            long[][] send = new long[n][rank], recv = new long[n][rank];
            List<long[]> pairs = new ArrayList<>();
            boolean[] got = new boolean[n];
            // pass 1: own cells by self-pairs; pass 2: cells from other holders, rotating who is served first
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < n; i++) {
                    int dev = (i + rotate[0]) % n;
                    if (got[dev] || next[dev] >= need.get(dev).size()) continue;
                    long[] c = need.get(dev).get(next[dev]);
                    List<Long> key = new ArrayList<>();
                    for (int d = 0; d < rank; d++) key.add(c[d] / perS[d]);
                    int src = -1;
                    List<Integer> hs = holders.get(key);
                    if (pass == 0) {
                        if (hs.contains(dev) && !sending[dev]) src = dev;
                    } else {
                        for (int h : hs) if (!sending[h] && h != dev) { src = h; break; }
                    }
                    if (src < 0) continue;
                    sending[src] = true;
                    got[dev] = true;
                    next[dev]++;
                    pairs.add(new long[] {src, dev});
                    for (int d = 0; d < rank; d++) {
                        send[src][d] = (c[d] - sBlock[src][d] * perS[d]) * cell[d];
                        recv[dev][d] = (c[d] - tBlock[dev][d] * perT[d]) * cell[d];
                    }
                }
            }
            rotate[0]++;
            for (int dev = 0; dev < n; dev++) {
                if (!got[dev]) recv[dev][0] = perT[0] * cell[0]; // the scratch cell past the block
            }
            if (pairs.isEmpty()) throw new IllegalStateException("exchange schedule is stuck");
            rounds.add(new ReshardStep.Exchange.Round(pairs.toArray(new long[0][]), send, recv));
        }
        return new ReshardStep.Exchange(lay.localType(s), lay.localType(t), cell, rounds, bytes);
    }
}
