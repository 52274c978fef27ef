package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans a {@link ReshardStep.Exchange} between two layouts whose tilings refine to equal cells (per dimension one
 * shard count divides the other): which cells each device needs, who holds them, and a schedule of rounds in which
 * every device sends at most one cell and receives at most one.
 *
 * <p>The schedule uses the fewest collective rounds possible. The cells moving between devices form a bipartite
 * multigraph (senders on one side, receivers on the other, one edge per cell); a round is a matching, so by Konig's
 * edge-colouring theorem the least number of rounds is the graph's maximum degree, and {@link #colour} reaches it.
 * Which holder sends a cell is chosen to keep that degree least: each device holds one source block, so the holders
 * of a block are a group disjoint from every other, and giving each cell to the least loaded holder of its group
 * sends at most ceil(demand / holders) cells from any of them, the least any assignment can. A cell a device already
 * holds is copied locally (a self-pair) in a round where the device neither sends nor receives, or, where it is
 * busy in every round, in a round of self-pairs only, which needs no collective.
 */
final class CellExchange {
    private CellExchange() {}

    /** Whether both tilings refine to equal cells (and no values are partial). */
    static boolean applies(Layouts lay, Layouts.State s, Layouts.State t) {
        if (s.mask() != 0 || t.mask() != 0 || lay.shape.length == 0) return false;
        return refines(counts(lay, s), counts(lay, t));
    }

    /** Per dimension, one block count divides the other. */
    static boolean refines(long[] sCount, long[] tCount) {
        for (int d = 0; d < sCount.length; d++) if (Math.max(sCount[d], tCount[d]) % Math.min(sCount[d], tCount[d]) != 0) return false;
        return true;
    }

    /** Cells per target block: the most cells any device can lack. */
    static long cellsPerBlock(Layouts lay, Layouts.State s, Layouts.State t) { return cellsPerBlock(counts(lay, s), counts(lay, t)); }

    static long cellsPerBlock(long[] sCount, long[] tCount) {
        long k = 1;
        for (int d = 0; d < sCount.length; d++) k *= Math.max(sCount[d], tCount[d]) / tCount[d];
        return k;
    }

    /** Blocks per dimension in layout {@code s}. */
    static long[] counts(Layouts lay, Layouts.State s) {
        long[] c = new long[lay.shape.length];
        for (int d = 0; d < c.length; d++) c[d] = lay.m.size(s.dims().get(d));
        return c;
    }

    /** Each device's block index per dimension in layout {@code s} ([device][dim]). */
    static long[][] blocks(Layouts lay, Layouts.State s) {
        long[][] ix = lay.index(s), out = new long[lay.m.devices][ix.length];
        for (int d = 0; d < ix.length; d++) for (int dev = 0; dev < out.length; dev++) out[dev][d] = ix[d][dev];
        return out;
    }

    /** Bytes of one cell. */
    static long cellBytes(Layouts lay, Layouts.State s, Layouts.State t) {
        long bytes = lay.elementBytes;
        for (int d = 0; d < lay.shape.length; d++) {
            bytes *= lay.shape[d] / Math.max(lay.m.size(s.dims().get(d)), lay.m.size(t.dims().get(d)));
        }
        return bytes;
    }

    /** One cell moving from {@code src} to {@code dst} (global cell coordinates). */
    record Transfer(int src, int dst, long[] cell) {}

    static ReshardStep.Exchange plan(Layouts lay, Layouts.State s, Layouts.State t) {
        return plan(lay.global, counts(lay, s), blocks(lay, s), counts(lay, t), blocks(lay, t), "exchange of " + lay.global + " " + s + " -> " + t,
                io.hlo4j.mlir.ir.Location.UNKNOWN);
    }

    /**
     * The exchange for any two tilings of {@code global} that refine to equal cells: {@code sCount[d]} and
     * {@code tCount[d]} blocks along dimension d (one divides the other), {@code sBlock[dev][d]} and
     * {@code tBlock[dev][d]} each device's block index along d (the two may come from different meshes over the same
     * devices). Refused, naming {@code what} and {@code loc}, where a dimension has no common cells.
     */
    static ReshardStep.Exchange plan(TensorType global, long[] sCount, long[][] sBlock, long[] tCount, long[][] tBlock, String what,
                                     io.hlo4j.mlir.ir.Location loc) {
        long[] shape = global.shape();
        int rank = shape.length, n = sBlock.length;
        long[] perS = new long[rank], perT = new long[rank], cell = new long[rank], sLocal = new long[rank], tLocal = new long[rank];
        long cellBytes = global.elementType().storageBytes(), cells = 1;
        for (int d = 0; d < rank; d++) {
            long a = sCount[d], b = tCount[d], c = Math.max(a, b);
            if (c % Math.min(a, b) != 0 || shape[d] % c != 0) {
                throw new ReshardException(what + ": dimension " + d + " of size " + shape[d] + " in " + a + " and " + b
                        + " blocks has no common cells (one count must divide the other, and the larger divide the size)", loc);
            }
            perS[d] = c / a;   // cells per source block along d
            perT[d] = c / b;   // cells per target block along d
            cell[d] = shape[d] / c;
            sLocal[d] = shape[d] / a;
            tLocal[d] = shape[d] / b;
            cellBytes *= cell[d];
            cells *= perT[d];
        }
        Map<List<Long>, List<Integer>> holders = new HashMap<>();
        for (int dev = 0; dev < n; dev++) holders.computeIfAbsent(Arrays.stream(sBlock[dev]).boxed().toList(), k -> new ArrayList<>()).add(dev);
        long[] bytes = new long[n];
        int[] load = new int[n];
        List<Transfer> moves = new ArrayList<>(), own = new ArrayList<>();
        for (int dev = 0; dev < n; dev++) {
            for (long k = 0; k < cells; k++) {
                long[] c = new long[rank];
                long r = k;
                for (int d = rank - 1; d >= 0; d--) {
                    c[d] = tBlock[dev][d] * perT[d] + r % perT[d];
                    r /= perT[d];
                }
                List<Long> key = new ArrayList<>();
                for (int d = 0; d < rank; d++) key.add(c[d] / perS[d]);
                if (key.equals(Arrays.stream(sBlock[dev]).boxed().toList())) {
                    own.add(new Transfer(dev, dev, c));
                    continue;
                }
                int src = -1;
                for (int h : holders.get(key)) if (src < 0 || load[h] < load[src]) src = h; // the least loaded holder
                load[src]++;
                moves.add(new Transfer(src, dev, c));
                bytes[dev] += cellBytes;
            }
        }
        int[] colours = colour(n, moves);
        int collectiveRounds = 0;
        for (int c : colours) collectiveRounds = Math.max(collectiveRounds, c + 1);
        List<List<Transfer>> rounds = new ArrayList<>();
        for (int i = 0; i < collectiveRounds; i++) rounds.add(new ArrayList<>());
        for (int i = 0; i < moves.size(); i++) rounds.get(colours[i]).add(moves.get(i));
        // own cells go where the device is idle in both directions, else into rounds of self-pairs (no collective)
        boolean[][] busy = new boolean[collectiveRounds][n];
        for (int i = 0; i < moves.size(); i++) {
            busy[colours[i]][moves.get(i).src()] = true;
            busy[colours[i]][moves.get(i).dst()] = true;
        }
        int[] localNext = new int[n];
        for (Transfer o : own) {
            int r = 0;
            while (r < collectiveRounds && busy[r][o.dst()]) r++;
            if (r < collectiveRounds) busy[r][o.dst()] = true;
            else r = collectiveRounds + localNext[o.dst()]++;
            while (rounds.size() <= r) rounds.add(new ArrayList<>());
            rounds.get(r).add(o);
        }
        List<ReshardStep.Exchange.Round> out = new ArrayList<>();
        for (List<Transfer> round : rounds) {
            long[][] send = new long[n][rank], recv = new long[n][rank]; // a device idle in the round: offset 0, written back unchanged
            long[][] pairs = new long[round.size()][];
            round.sort((a, b) -> Integer.compare(a.dst(), b.dst()));
            for (int i = 0; i < round.size(); i++) {
                Transfer x = round.get(i);
                pairs[i] = new long[] {x.src(), x.dst()};
                for (int d = 0; d < rank; d++) {
                    send[x.src()][d] = (x.cell()[d] - sBlock[x.src()][d] * perS[d]) * cell[d];
                    recv[x.dst()][d] = (x.cell()[d] - tBlock[x.dst()][d] * perT[d]) * cell[d];
                }
            }
            out.add(new ReshardStep.Exchange.Round(pairs, send, recv));
        }
        return new ReshardStep.Exchange(TensorType.of(global.elementType(), sLocal), TensorType.of(global.elementType(), tLocal), cell, out, bytes);
    }

    /**
     * A proper edge colouring of the bipartite multigraph of {@code moves} (sender side and receiver side, each with
     * vertices 0..n-1; no self-pairs) with exactly its maximum degree of colours: per edge, a colour a free at its
     * sender and b free at its receiver; if a is taken at the receiver, the path from the receiver alternating a and b
     * edges has its colours swapped. That path cannot reach the sender (it would enter a sender by an a-edge, and a is
     * free there), so afterwards a is free at both ends. Returns each edge's colour.
     */
    static int[] colour(int n, List<Transfer> moves) {
        int[] sendDeg = new int[n], recvDeg = new int[n];
        for (Transfer x : moves) {
            if (x.src() == x.dst()) throw new IllegalArgumentException("self-pair " + x.src() + " in an exchange's colouring");
            sendDeg[x.src()]++;
            recvDeg[x.dst()]++;
        }
        int delta = 0;
        for (int v = 0; v < n; v++) delta = Math.max(delta, Math.max(sendDeg[v], recvDeg[v]));
        int[][] atSender = new int[n][delta], atReceiver = new int[n][delta]; // edge index per colour, or -1
        for (int[] row : atSender) Arrays.fill(row, -1);
        for (int[] row : atReceiver) Arrays.fill(row, -1);
        int[] colour = new int[moves.size()];
        for (int e = 0; e < moves.size(); e++) {
            int u = moves.get(e).src(), v = moves.get(e).dst();
            int a = firstFree(atSender[u]), b = firstFree(atReceiver[v]);
            if (atReceiver[v][a] >= 0) {
                // collect the a/b path from v: receiver -a-> sender -b-> receiver -a-> ...
                List<Integer> path = new ArrayList<>();
                int at = v, c = a;
                boolean onReceiver = true;
                while (true) {
                    int f = onReceiver ? atReceiver[at][c] : atSender[at][c];
                    if (f < 0) break;
                    path.add(f);
                    at = onReceiver ? moves.get(f).src() : moves.get(f).dst();
                    onReceiver = !onReceiver;
                    c = c == a ? b : a;
                }
                for (int f : path) {
                    atSender[moves.get(f).src()][colour[f]] = -1;
                    atReceiver[moves.get(f).dst()][colour[f]] = -1;
                }
                for (int f : path) {
                    colour[f] = colour[f] == a ? b : a;
                    atSender[moves.get(f).src()][colour[f]] = f;
                    atReceiver[moves.get(f).dst()][colour[f]] = f;
                }
            }
            colour[e] = a;
            atSender[u][a] = e;
            atReceiver[v][a] = e;
        }
        return colour;
    }

    private static int firstFree(int[] at) {
        for (int c = 0; c < at.length; c++) if (at[c] < 0) return c;
        throw new IllegalStateException("no free colour: the degree count is wrong");
    }
}
