package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.TensorType;

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
 * moves but the exchange, cheapest first, at most {@link #MAX_REACHED} of them, only those cheaper than a plan in hand,
 * and no more than {@link #MAX_EDGES} edges examined)
 * and T' over the target's prefixes per dimension (prime atoms, so {@code "q"=4} offers {@code "q":(1)2}). The old two ways are candidates: M = source,
 * T' = target (the exchange) and M = T' = replicated (gather and slice). So the chosen plan is never slower under the
 * model than either. What is not searched: moves on the target mesh other than the final slice (an all_to_all there),
 * and plans through a third layout crossed twice.
 */
final class CrossMeshSearch {
    private CrossMeshSearch() {}

    /** The most source-mesh layouts considered (cheapest first). */
    static final int MAX_REACHED = 500;

    /**
     * The most edges the source-mesh search examines ({@link PlanSearch#reachable}): the layout count alone does not
     * bound the work, since each layout has a permute edge to every layout with its shard counts (factorial in the
     * atoms) and each is checked over all devices. A count, not a time, so the plan does not depend on the machine.
     */
    static final long MAX_EDGES = 100_000;

    /** The most (source layout, target prefix) pairs weighed for the step across (each scans all devices). */
    static final long MAX_PAIRS = 10_000;

    /** The plan found (or null), with the edges the source-mesh search examined and the pairs weighed across. */
    record Found(CrossMeshPlan plan, long edges, long pairs) {}

    /** A candidate: the source-mesh layout, its cost from the source, the target prefix, and the step across. */
    private record Candidate(PlanSearch.Reached mid, Layouts.State prefix, ReshardStep cross, long cost, long total, int collectives) {
        boolean beats(Candidate o) { return o == null || faster(cost, total, collectives, o.cost, o.total, o.collectives); }
    }

    /**
     * The order cross-mesh plans are weighed in: less modeled time (latency bytes), then fewer bytes over all devices,
     * then fewer collectives. Whether plan a (cost, total bytes, collectives) beats plan b.
     */
    static boolean faster(long costA, long totalA, int collectivesA, long costB, long totalB, int collectivesB) {
        if (costA != costB) return costA < costB;
        return totalA != totalB ? totalA < totalB : collectivesA < collectivesB;
    }

    /**
     * The cheapest plan found that costs less than {@code bound} latency-bytes, or null where none does or no
     * candidate fits (a sharding with unreduced axes, a scalar). Only source-mesh layouts that cost less than
     * {@code bound} to reach are looked at (the cost of a plan already in hand: a plan through a layout that costs as
     * much can at best tie with it, since the step across costs at least nothing, and a tie keeps the plan in hand).
     * With {@code exchangeInHand} (the plan in hand is the exchange straight to the target) and that plan at the
     * lower bound (one latency plus what the busiest device lacks), nothing can beat it: every plan receives at least
     * that, in at least one collective, and the exchange's bytes over all devices are the least possible; the search
     * is skipped. Callers weigh under the TIME objective only (under TIGHT the exchange alone is kept).
     */
    static Found search(MeshAttr fromMesh, TensorSharding from, MeshAttr toMesh, TensorSharding to, TensorType global,
                        ReshardCost cost, Location loc, long bound, boolean exchangeInHand) {
        if (!from.unreducedAxes().isEmpty() || !to.unreducedAxes().isEmpty() || global.rank() == 0) return new Found(null, 0, 0);
        String tensor = "cross-mesh move of " + global;
        Layouts a = new Layouts(MeshAtoms.of(fromMesh, global.shape(), List.of(from), tensor, loc, true), global);
        Layouts b = new Layouts(MeshAtoms.of(toMesh, global.shape(), List.of(to), tensor, loc, true), global);
        Layouts.State source = a.stateOf(from), target = b.stateOf(to);
        long latency = cost.latencyBytes();
        Map<String, long[][]> blocks = new HashMap<>();
        if (exchangeInHand) {
            long[][] sBlock = blocks.computeIfAbsent("a" + source.key(), k -> CellExchange.blocks(a, source));
            long[][] tBlock = blocks.computeIfAbsent("b" + target.key(), k -> CellExchange.blocks(b, target));
            long worst = 0;
            for (int dev = 0; dev < sBlock.length; dev++) {
                worst = Math.max(worst, lack(global, CellExchange.counts(a, source), sBlock[dev], CellExchange.counts(b, target), tBlock[dev]));
            }
            if (worst > 0 && bound <= latency + worst) return new Found(null, 0, 0);
        }
        long cap = cost.capBytes(a.blockBytes(source), b.blockBytes(target));
        PlanSearch onA = new PlanSearch(a, from.reduction(), 0, cost);
        List<PlanSearch.Reached> reached = onA.reachable(source, cap, MAX_REACHED, bound, MAX_EDGES);
        List<Layouts.State> prefixes = prefixes(b, target, cap);
        Candidate best = null;
        long pairs = 0;
        search:
        for (PlanSearch.Reached r : reached) {
            if (best != null && r.cost() > best.cost) break; // reached in order of cost; the step across costs >= 0
            long[] sCount = CellExchange.counts(a, r.state());
            long[][] sBlock = blocks.computeIfAbsent("a" + r.state().key(), k -> CellExchange.blocks(a, r.state()));
            for (Layouts.State p : prefixes) {
                if (++pairs > MAX_PAIRS) { pairs--; break search; }
                long[] tCount = CellExchange.counts(b, p);
                long[][] tBlock = blocks.computeIfAbsent("b" + p.key(), k -> CellExchange.blocks(b, p));
                Candidate c = across(r, p, sCount, sBlock, tCount, tBlock, a.blockBytes(r.state()), global, latency, best, tensor, loc);
                if (c != null && c.beats(best)) best = c;
            }
        }
        if (best == null) return new Found(null, onA.work(), pairs);
        TensorSharding mid = sharding(a, best.mid.state(), from), pre = sharding(b, best.prefix, to);
        ReshardPlan before = ReshardPlanner.plan(fromMesh, global, from, mid, loc, cost, cap);
        ReshardPlan after = ReshardPlanner.plan(toMesh, global, pre, to, loc, cost, cap);
        return new Found(new CrossMeshPlan(fromMesh, from, toMesh, to, global, before, best.cross, after), onA.work(), pairs);
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
            long lack = lack(global, sCount, sBlock[dev], tCount, tBlock[dev]);
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

    /** Bytes of the device's target block (index {@code t} of {@code tCount} per dimension) its source block {@code s} does not hold. */
    private static long lack(TensorType global, long[] sCount, long[] s, long[] tCount, long[] t) {
        long[] shape = global.shape(), ls = new long[shape.length], lt = new long[shape.length];
        long target = 1;
        for (int d = 0; d < shape.length; d++) { ls[d] = shape[d] / sCount[d]; lt[d] = shape[d] / tCount[d]; target *= lt[d]; }
        return (target - ReshardPlanner.overlap(ls, s, lt, t)) * global.elementType().storageBytes();
    }

    /**
     * One collective_permute moving the blocks of {@code sBlock} to {@code tBlock} (the same shard counts, so each block
     * has as many holders on both sides; {@link BlockPairs}). Null where every device already holds its new block.
     */
    static ReshardStep.CollectivePermute permute(long[][] sBlock, long[][] tBlock, TensorType global, long[] counts, long block) {
        int n = sBlock.length;
        boolean same = true;
        for (int dev = 0; dev < n && same; dev++) same = Arrays.equals(sBlock[dev], tBlock[dev]);
        if (same) return null;
        long[][] pairs = BlockPairs.pairs(sBlock, tBlock);
        if (pairs == null) throw new IllegalStateException("equal shard counts " + Arrays.toString(counts) + " but no one-permute pairing");
        long[] bytes = new long[n];
        for (long[] pr : pairs) if (pr[0] != pr[1]) bytes[(int) pr[1]] = block;
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
