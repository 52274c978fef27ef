package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The search behind {@link CrossMeshExchange#choose} for a move between two meshes over the same devices, under one
 * {@link ReshardCost} (the same latency-byte cost and block cap as {@link PlanSearch}): a plan on the source mesh to
 * an intermediate layout M, one step across the meshes to a layout T' that the target refines, and a free local slice
 * from T' to the target ({@link CrossMeshPlan}). The step across is nothing where M and T' give every device the same
 * block, one collective_permute where they cut the value into the same blocks held elsewhere, else an exchange of
 * common cells.
 *
 * <p>M ranges over the layouts the source mesh's collectives reach within the cap (Dijkstra over {@link PlanSearch}'s
 * moves but the exchange, cheapest first, at most {@link #MAX_REACHED} of them and only those cheaper than a plan in hand)
 * and T' over the target's prefixes per dimension (prime atoms, so {@code "q"=4} offers {@code "q":(1)2}). The old two ways are candidates: M = source,
 * T' = target (the exchange) and M = T' = replicated (gather and slice). So the chosen plan is never slower under the
 * model than either. What is not searched: moves on the target mesh other than the final slice (an all_to_all there),
 * and plans through a third layout crossed twice.
 */
final class CrossMeshSearch {
    private CrossMeshSearch() {}

    /** The most source-mesh layouts considered (cheapest first): a bound on the search's time on large meshes. */
    static final int MAX_REACHED = 500;

    /** A candidate: the source-mesh layout, its cost from the source, the target prefix, and the step across. */
    private record Candidate(PlanSearch.Reached mid, Layouts.State prefix, ReshardStep cross, long cost, long total, int collectives) {
        /** Less time, then fewer bytes over all devices, then fewer collectives. */
        boolean beats(Candidate o) {
            if (o == null) return true;
            if (cost != o.cost) return cost < o.cost;
            return total != o.total ? total < o.total : collectives < o.collectives;
        }
    }

    /**
     * The cheapest plan found, or null where no candidate fits (a sharding with unreduced axes, a scalar). Under the
     * {@link ReshardCost.Objective#TIGHT} objective only the exchange alone is a candidate (each device receives exactly
     * what it lacks).
     */
    static CrossMeshPlan search(MeshAttr fromMesh, TensorSharding from, MeshAttr toMesh, TensorSharding to, TensorType global,
                                ReshardCost cost, Location loc) {
        return search(fromMesh, from, toMesh, to, global, cost, loc, Long.MAX_VALUE);
    }

    /**
     * As {@link #search(MeshAttr, TensorSharding, MeshAttr, TensorSharding, TensorType, ReshardCost, Location)}, looking
     * only at source-mesh layouts that cost less than {@code bound} latency-bytes to reach (the cost of a plan already in
     * hand: a plan through a layout that costs as much can at best tie with it, since the step across costs at least
     * nothing, and a tie keeps the plan in hand).
     */
    static CrossMeshPlan search(MeshAttr fromMesh, TensorSharding from, MeshAttr toMesh, TensorSharding to, TensorType global,
                                ReshardCost cost, Location loc, long bound) {
        if (!from.unreducedAxes().isEmpty() || !to.unreducedAxes().isEmpty() || global.rank() == 0) return null;
        String tensor = "cross-mesh move of " + global;
        Layouts a = new Layouts(MeshAtoms.of(fromMesh, global.shape(), List.of(from), tensor, loc, true), global);
        Layouts b = new Layouts(MeshAtoms.of(toMesh, global.shape(), List.of(to), tensor, loc, true), global);
        Layouts.State source = a.stateOf(from), target = b.stateOf(to);
        long cap = cost.capBytes(a.blockBytes(source), b.blockBytes(target));
        long latency = cost.latencyBytes();
        List<PlanSearch.Reached> reached = cost.objective() == ReshardCost.Objective.TIGHT
                ? List.of(new PlanSearch.Reached(source, 0, 0, 0))
                : new PlanSearch(a, from.reduction(), 0, cost).reachable(source, cap, MAX_REACHED, bound);
        List<Layouts.State> prefixes = cost.objective() == ReshardCost.Objective.TIGHT ? List.of(target) : prefixes(b, target, cap);
        Map<String, long[][]> blocks = new HashMap<>();
        Candidate best = null;
        for (PlanSearch.Reached r : reached) {
            if (best != null && r.cost() > best.cost) break; // reached in order of cost; the step across costs >= 0
            long[] sCount = CellExchange.counts(a, r.state());
            long[][] sBlock = blocks.computeIfAbsent("a" + r.state().key(), k -> CellExchange.blocks(a, r.state()));
            for (Layouts.State p : prefixes) {
                long[] tCount = CellExchange.counts(b, p);
                long[][] tBlock = blocks.computeIfAbsent("b" + p.key(), k -> CellExchange.blocks(b, p));
                Candidate c = across(r, p, sCount, sBlock, tCount, tBlock, a.blockBytes(r.state()), global, latency, best, tensor, loc);
                if (c != null && c.beats(best)) best = c;
            }
        }
        if (best == null) return null;
        TensorSharding mid = sharding(a, best.mid.state(), from), pre = sharding(b, best.prefix, to);
        ReshardPlan before = ReshardPlanner.plan(fromMesh, global, from, mid, loc, cost, cap);
        ReshardPlan after = ReshardPlanner.plan(toMesh, global, pre, to, loc, cost, cap);
        return new CrossMeshPlan(fromMesh, from, toMesh, to, global, before, best.cross, after);
    }

    /**
     * The candidate through source layout {@code r} and target prefix {@code p}, or null where no single step crosses
     * between them or it cannot beat {@code best} (its lower bound: a device receives one cell per exchange round).
     */
    private static Candidate across(PlanSearch.Reached r, Layouts.State p, long[] sCount, long[][] sBlock, long[] tCount, long[][] tBlock,
                                    long block, TensorType global, long latency, Candidate best, String tensor, Location loc) {
        int n = sBlock.length;
        if (Arrays.equals(sCount, tCount)) {
            ReshardStep.CollectivePermute step = permute(sBlock, tBlock, global, sCount, block);
            if (step == null) return new Candidate(r, p, null, r.cost(), r.total(), r.collectives());
            long total = Arrays.stream(step.bytesPerDevice()).sum();
            return new Candidate(r, p, step, r.cost() + latency + step.maxBytes(), r.total() + total, r.collectives() + 1);
        }
        if (!CellExchange.refines(sCount, tCount) || CellExchange.cellsPerBlock(sCount, tCount) > PlanSearch.MAX_EXCHANGE_CELLS) return null;
        long[] shape = global.shape();
        long cellBytes = global.elementType().storageBytes(), worst = 0, total = 0;
        for (int d = 0; d < shape.length; d++) cellBytes *= shape[d] / Math.max(sCount[d], tCount[d]);
        for (int dev = 0; dev < n; dev++) {
            long lack = lack(shape, sCount, sBlock[dev], tCount, tBlock[dev], global.elementType().storageBytes());
            worst = Math.max(worst, lack);
            total += lack;
        }
        long rounds = cellBytes == 0 ? 0 : (worst + cellBytes - 1) / cellBytes;
        long bound = r.cost() + rounds * (latency + cellBytes);
        if (best != null && bound > best.cost) return null;
        ReshardStep.Exchange x = CellExchange.plan(global, sCount, sBlock, tCount, tBlock, tensor + " " + r.state() + " -> " + p, loc);
        return new Candidate(r, p, x, r.cost() + x.collectives() * latency + x.busiestBytesPerCollective(), r.total() + total,
                r.collectives() + x.collectives());
    }

    /** Bytes of the device's target block its source block does not hold. */
    private static long lack(long[] shape, long[] sCount, long[] s, long[] tCount, long[] t, long elementBytes) {
        long target = 1, overlap = 1;
        for (int d = 0; d < shape.length; d++) {
            long ls = shape[d] / sCount[d], lt = shape[d] / tCount[d];
            long s0 = s[d] * ls, t0 = t[d] * lt;
            target *= lt;
            overlap *= Math.max(0, Math.min(s0 + ls, t0 + lt) - Math.max(s0, t0));
        }
        return (target - overlap) * elementBytes;
    }

    /**
     * One collective_permute moving the blocks of {@code sBlock} to {@code tBlock} (the same shard counts, so each block
     * has as many holders on both sides): devices that hold their new block keep it, the others take a holder not yet
     * sending. Null where every device already holds its new block.
     */
    static ReshardStep.CollectivePermute permute(long[][] sBlock, long[][] tBlock, TensorType global, long[] counts, long block) {
        int n = sBlock.length;
        boolean same = true;
        for (int dev = 0; dev < n && same; dev++) same = Arrays.equals(sBlock[dev], tBlock[dev]);
        if (same) return null;
        boolean[] sending = new boolean[n];
        int[] source = new int[n];
        Arrays.fill(source, -1);
        for (int dev = 0; dev < n; dev++) {
            if (Arrays.equals(sBlock[dev], tBlock[dev])) { source[dev] = dev; sending[dev] = true; }
        }
        Map<List<Long>, ArrayDeque<Integer>> holders = new HashMap<>();
        for (int dev = 0; dev < n; dev++) {
            if (!sending[dev]) holders.computeIfAbsent(Arrays.stream(sBlock[dev]).boxed().toList(), k -> new ArrayDeque<>()).add(dev);
        }
        long[] bytes = new long[n];
        long[][] pairs = new long[n][];
        for (int dev = 0; dev < n; dev++) {
            if (source[dev] < 0) {
                ArrayDeque<Integer> h = holders.get(Arrays.stream(tBlock[dev]).boxed().toList());
                if (h == null || h.isEmpty()) throw new IllegalStateException("no free holder of block " + Arrays.toString(tBlock[dev]) + " for device " + dev);
                source[dev] = h.poll();
                bytes[dev] = block;
            }
            pairs[dev] = new long[] {source[dev], dev};
        }
        long[] local = global.shape();
        for (int d = 0; d < local.length; d++) local[d] /= counts[d];
        return new ReshardStep.CollectivePermute(TensorType.of(global.elementType(), local), pairs, bytes);
    }

    /** Every layout whose dimensions are prefixes of {@code target}'s (the target is a free slice away), within the cap. */
    private static List<Layouts.State> prefixes(Layouts lay, Layouts.State target, long cap) {
        List<Layouts.State> out = new ArrayList<>();
        int rank = target.dims().size();
        int[] len = new int[rank];
        while (true) {
            List<List<Integer>> dims = new ArrayList<>();
            for (int d = 0; d < rank; d++) dims.add(target.dims().get(d).subList(0, len[d]));
            Layouts.State s = new Layouts.State(dims, 0);
            if (lay.blockBytes(s) <= cap) out.add(s);
            int d = rank - 1;
            while (d >= 0 && len[d] == target.dims().get(d).size()) len[d--] = 0;
            if (d < 0) return out;
            len[d]++;
        }
    }

    /** The layout as a sharding on the layouts' mesh, named like {@code like}. */
    static TensorSharding sharding(Layouts lay, Layouts.State s, TensorSharding like) {
        List<DimensionSharding> dims = new ArrayList<>();
        for (List<Integer> d : s.dims()) dims.add(new DimensionSharding(lay.m.refs(d), true, null));
        return new TensorSharding(like.meshName(), null, dims, List.of(), List.of(), like.reduction());
    }
}
