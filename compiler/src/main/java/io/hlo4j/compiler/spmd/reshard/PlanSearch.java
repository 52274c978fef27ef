package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The shortest-path search behind {@link ReshardPlanner}: nodes are layouts ({@link Layouts.State}), edges the moves
 * with their busiest-device byte cost; then the path is turned into concrete steps (groups, pairs, offsets, exact
 * per-device bytes) and adjacent local slices are merged.
 */
final class PlanSearch {
    private sealed interface Move {}
    private record Slice(int dim, int atom) implements Move {}
    private record Gather(int dim, int count) implements Move {}
    private record ToAll(int fromDim, int toDim, int count) implements Move {}
    private record Permute() implements Move {}
    private record Reduce(long atoms) implements Move {}
    private record Scatter(int dim, List<Integer> atoms) implements Move {}
    private record Exchange() implements Move {}

    /** {@code cost}: the busiest device's bytes; {@code total}: all devices' bytes together (the tie-break). */
    private record Edge(Layouts.State next, long cost, long total, Move move, int steps) {}
    private record Node(long estimate, long totalEstimate, long cost, long total, int steps, Layouts.State state) {}
    private record Back(Layouts.State prev, Move move) {}

    /** An exchange needs at least one round per cell of a target block; past this many the program grows too long. */
    static final long MAX_EXCHANGE_CELLS = 64;

    private final Layouts lay;
    private final MeshAtoms m;
    private final String reduction;
    private final long keepMask; // unreduced atoms the target keeps: never reduced
    private final Map<String, List<Layouts.State>> sameCounts = new HashMap<>();
    private Layouts.State goal;

    PlanSearch(Layouts lay, String reduction, long keepMask) {
        this.lay = lay;
        this.m = lay.m;
        this.reduction = reduction;
        this.keepMask = keepMask;
    }

    List<ReshardStep> run(Layouts.State start, Layouts.State goal, String tensor, Location loc) {
        Map<String, Long> dist = new HashMap<>();
        Map<String, Long> sum = new HashMap<>();
        Map<String, Integer> depth = new HashMap<>();
        Map<String, Back> back = new HashMap<>();
        // A*: the per-device lower bound to the goal never overestimates what is left (each device must still
        // receive what its target block lacks), so the first time the goal is taken its cost is the least. Among plans
        // of equal busiest-device cost the one moving the fewest bytes in all wins (the sum of what each device lacks
        // is its admissible estimate), so devices that already hold their data are not sent it again; then fewer steps.
        PriorityQueue<Node> queue = new PriorityQueue<>((a, b) -> a.estimate != b.estimate ? Long.compare(a.estimate, b.estimate)
                : a.totalEstimate != b.totalEstimate ? Long.compare(a.totalEstimate, b.totalEstimate)
                : Integer.compare(a.steps, b.steps));
        this.goal = goal;
        dist.put(start.key(), 0L);
        sum.put(start.key(), 0L);
        depth.put(start.key(), 0);
        queue.add(new Node(remaining(start), remainingTotal(start), 0, 0, 0, start));
        String goalKey = goal.key();
        while (!queue.isEmpty()) {
            Node n = queue.poll();
            String key = n.state.key();
            if (worse(n.cost, n.total, n.steps, dist.get(key), sum.get(key), depth.get(key))) continue;
            if (key.equals(goalKey)) return steps(start, goal, back);
            for (Edge e : edges(n.state)) {
                String k = e.next.key();
                long c = n.cost + e.cost, t = n.total + e.total;
                int st = n.steps + e.steps;
                Long old = dist.get(k);
                if (old == null || better(c, t, st, old, sum.get(k), depth.get(k))) {
                    dist.put(k, c);
                    sum.put(k, t);
                    depth.put(k, st);
                    back.put(k, new Back(n.state, e.move));
                    queue.add(new Node(c + remaining(e.next), t + remainingTotal(e.next), c, t, st, e.next));
                }
            }
        }
        throw new ReshardException(tensor + ": no plan found from " + start + " to " + goal + " (atoms " + m.atoms + ")", loc);
    }

    private static boolean better(long c, long t, int st, long c0, long t0, int st0) {
        return c != c0 ? c < c0 : t != t0 ? t < t0 : st < st0;
    }

    private static boolean worse(long c, long t, int st, long c0, long t0, int st0) {
        return better(c0, t0, st0, c, t, st);
    }

    private final Map<String, Long> remaining = new HashMap<>();
    private final Map<String, Long> remainingTotal = new HashMap<>();

    /** All devices' lower bounds from {@code s} to the goal, summed (cached). */
    private long remainingTotal(Layouts.State s) {
        return remainingTotal.computeIfAbsent(s.key(), k -> {
            long all = 0;
            for (long b : ReshardPlanner.lowerBoundPerDevice(m, lay, s, goal)) all += b;
            return all;
        });
    }

    /** The busiest device's lower bound from {@code s} to the goal (cached). */
    private long remaining(Layouts.State s) {
        return remaining.computeIfAbsent(s.key(), k -> {
            long worst = 0;
            for (long b : ReshardPlanner.lowerBoundPerDevice(m, lay, s, goal)) worst = Math.max(worst, b);
            return worst;
        });
    }

    // ---- moves ---------------------------------------------------------------------------------------------------

    private List<Edge> edges(Layouts.State s) {
        List<Edge> out = new ArrayList<>();
        long block = lay.blockBytes(s);
        int rank = s.dims().size();
        long free = ~(s.used() | s.mask());
        for (int d = 0; d < rank; d++) {
            List<Integer> dim = s.dims().get(d);
            for (int k = 0; k < m.atoms.size(); k++) {
                if ((free & (1L << k)) == 0) continue;
                Layouts.State n = with(s, d, append(dim, List.of(k)));
                if (lay.divisible(n)) out.add(new Edge(n, 0, 0, new Slice(d, k), 0)); // slices merge into one free step
            }
            for (int c = 1; c <= dim.size(); c++) {
                List<Integer> moved = dim.subList(dim.size() - c, dim.size());
                long g = m.size(moved);
                List<Integer> rest = dim.subList(0, dim.size() - c);
                add(out, with(s, d, rest), (g - 1) * block, new Gather(d, c));
                for (int t = 0; t < rank; t++) {
                    if (t == d) continue;
                    Layouts.State n = with(with(s, d, rest), t, append(s.dims().get(t), moved));
                    add(out, n, ceil((g - 1) * block, g), new ToAll(d, t, c));
                }
            }
        }
        for (Layouts.State p : permutations(s)) {
            if (p.key().equals(s.key()) || !lay.divisible(p)) continue;
            long movers = movers(s, p);
            out.add(new Edge(p, block, movers * block, new Permute(), 1)); // devices keeping their block receive nothing
        }
        if (!s.key().equals(goal.key()) && CellExchange.applies(lay, s, goal) && CellExchange.cellsPerBlock(lay, s, goal) <= MAX_EXCHANGE_CELLS) {
            // straight to the target, each device receiving exactly what it lacks; counted as one step per round
            out.add(new Edge(goal, remaining(s), remainingTotal(s), new Exchange(), (int) Math.min(1000, 2 + CellExchange.cellsPerBlock(lay, s, goal))));
        }
        long reducible = s.mask() & ~keepMask;
        for (long sub = reducible; sub != 0; sub = (sub - 1) & reducible) {
            long g = m.size(Layouts.ids(sub));
            add(out, new Layouts.State(s.dims(), s.mask() & ~sub), ceil(2 * (g - 1) * block, g), new Reduce(sub));
            for (List<Integer> order : orders(Layouts.ids(sub))) {
                for (int d = 0; d < rank; d++) {
                    Layouts.State n = new Layouts.State(with(s, d, append(s.dims().get(d), order)).dims(), s.mask() & ~sub);
                    add(out, n, ceil((g - 1) * block, g), new Scatter(d, order));
                }
            }
        }
        return out;
    }

    /** A move in which every device receives {@code cost} bytes. */
    private void add(List<Edge> out, Layouts.State n, long cost, Move mv) {
        if (lay.divisible(n)) out.add(new Edge(n, cost, cost * m.devices, mv, 1));
    }

    /** How many devices' blocks differ between the layouts (they receive in a collective_permute). */
    private int movers(Layouts.State s, Layouts.State p) {
        int n = 0;
        for (int dev = 0; dev < m.devices; dev++) if (!lay.blockKey(p, dev).equals(lay.blockKey(s, dev))) n++;
        return n;
    }

    private static Layouts.State with(Layouts.State s, int d, List<Integer> dim) {
        List<List<Integer>> dims = new ArrayList<>(s.dims());
        dims.set(d, dim);
        return new Layouts.State(dims, s.mask());
    }

    private static List<Integer> append(List<Integer> a, List<Integer> b) {
        List<Integer> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static long ceil(long a, long b) { return (a + b - 1) / b; }

    /** Every ordering of the atoms. */
    private static List<List<Integer>> orders(List<Integer> ids) {
        List<List<Integer>> out = new ArrayList<>();
        permute(new ArrayList<>(ids), 0, out);
        return out;
    }

    private static void permute(List<Integer> a, int i, List<List<Integer>> out) {
        if (i == a.size()) { out.add(List.copyOf(a)); return; }
        for (int j = i; j < a.size(); j++) {
            java.util.Collections.swap(a, i, j);
            permute(a, i + 1, out);
            java.util.Collections.swap(a, i, j);
        }
    }

    /** Every layout with the same shard count per dimension and the same unreduced atoms (a collective_permute away). */
    private List<Layouts.State> permutations(Layouts.State s) {
        long[] counts = new long[s.dims().size()];
        for (int d = 0; d < counts.length; d++) counts[d] = m.size(s.dims().get(d));
        String key = java.util.Arrays.toString(counts) + "/" + s.mask();
        return sameCounts.computeIfAbsent(key, k -> {
            List<Layouts.State> out = new ArrayList<>();
            fill(counts, 0, s.mask(), new ArrayList<>(), out, s.mask());
            return out;
        });
    }

    private void fill(long[] counts, int d, long usedMask, List<List<Integer>> dims, List<Layouts.State> out, long mask) {
        if (d == counts.length) { out.add(new Layouts.State(dims, mask)); return; }
        sequences(counts[d], usedMask, new ArrayList<>(), seq -> {
            long u = usedMask;
            for (int k : seq) u |= 1L << k;
            dims.add(seq);
            fill(counts, d + 1, u, dims, out, mask);
            dims.remove(dims.size() - 1);
        });
    }

    private void sequences(long product, long usedMask, List<Integer> cur, java.util.function.Consumer<List<Integer>> sink) {
        if (product == 1) { sink.accept(List.copyOf(cur)); return; }
        for (int k = 0; k < m.atoms.size(); k++) {
            long sz = m.atoms.get(k).size();
            if ((usedMask & (1L << k)) != 0 || product % sz != 0) continue;
            cur.add(k);
            sequences(product / sz, usedMask | (1L << k), cur, sink);
            cur.remove(cur.size() - 1);
        }
    }

    // ---- concrete steps --------------------------------------------------------------------------------------------

    private List<ReshardStep> steps(Layouts.State start, Layouts.State goal, Map<String, Back> back) {
        List<Back> moves = new ArrayList<>();
        List<Layouts.State> states = new ArrayList<>(); // states.get(i): the layout after moves.get(i)
        Layouts.State cur = goal;
        while (!cur.key().equals(start.key())) {
            Back b = back.get(cur.key());
            moves.add(0, b);
            states.add(0, cur);
            cur = b.prev;
        }
        List<ReshardStep> out = new ArrayList<>();
        Layouts.State s = start;
        int i = 0;
        while (i < moves.size()) {
            Move mv = moves.get(i).move;
            if (mv instanceof Slice) {
                // merge a run of slices into one local slice
                Layouts.State before = s;
                while (i < moves.size() && moves.get(i).move instanceof Slice) s = states.get(i++);
                out.add(slice(before, s));
                continue;
            }
            Layouts.State next = states.get(i++);
            out.add(step(s, next, mv));
            s = next;
        }
        return out;
    }

    private ReshardStep step(Layouts.State s, Layouts.State n, Move mv) {
        TensorType in = lay.localType(s), outT = lay.localType(n);
        long block = lay.blockBytes(s);
        long[] bytes = new long[m.devices];
        return switch (mv) {
            case Gather g -> {
                List<Integer> dim = s.dims().get(g.dim());
                List<Integer> atoms = dim.subList(dim.size() - g.count(), dim.size());
                java.util.Arrays.fill(bytes, (m.size(atoms) - 1) * block);
                yield new ReshardStep.AllGather(g.dim(), m.refs(atoms), in, outT, m.groups(atoms), bytes);
            }
            case ToAll t -> {
                List<Integer> dim = s.dims().get(t.fromDim());
                List<Integer> atoms = dim.subList(dim.size() - t.count(), dim.size());
                long g = m.size(atoms);
                java.util.Arrays.fill(bytes, ceil((g - 1) * block, g));
                yield new ReshardStep.AllToAll(t.fromDim(), t.toDim(), m.refs(atoms), in, outT, m.groups(atoms), bytes);
            }
            case Permute p -> permute(s, n, in, block);
            case Reduce r -> {
                List<Integer> atoms = Layouts.ids(r.atoms());
                long g = m.size(atoms);
                java.util.Arrays.fill(bytes, ceil(2 * (g - 1) * block, g));
                yield new ReshardStep.AllReduce(m.refs(atoms), reduction, in, m.groups(atoms), bytes);
            }
            case Scatter sc -> {
                long g = m.size(sc.atoms());
                java.util.Arrays.fill(bytes, ceil((g - 1) * block, g));
                yield new ReshardStep.ReduceScatter(sc.dim(), m.refs(sc.atoms()), reduction, in, outT, m.groups(sc.atoms()), bytes);
            }
            case Slice sl -> slice(s, n);
            case Exchange x -> CellExchange.plan(lay, s, n);
        };
    }

    private ReshardStep.LocalSlice slice(Layouts.State s, Layouts.State n) {
        int rank = s.dims().size();
        long[] local = lay.local(n);
        List<List<AxisRef>> added = new ArrayList<>();
        List<List<Integer>> addedIds = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            List<Integer> a = n.dims().get(d).subList(s.dims().get(d).size(), n.dims().get(d).size());
            addedIds.add(a);
            added.add(m.refs(a));
        }
        long[][] starts = new long[m.devices][rank];
        for (int dev = 0; dev < m.devices; dev++) {
            for (int d = 0; d < rank; d++) starts[dev][d] = m.linear(dev, addedIds.get(d)) * local[d];
        }
        return new ReshardStep.LocalSlice(added, lay.localType(s), lay.localType(n), starts, new long[m.devices]);
    }

    /** Pairs each device with a holder of its new block, keeping blocks in place where possible. */
    private ReshardStep.CollectivePermute permute(Layouts.State s, Layouts.State n, TensorType in, long block) {
        Map<List<Long>, Deque<Integer>> holders = new LinkedHashMap<>();
        for (int dev = 0; dev < m.devices; dev++) holders.computeIfAbsent(lay.blockKey(s, dev), k -> new ArrayDeque<>()).add(dev);
        int[] source = new int[m.devices];
        java.util.Arrays.fill(source, -1);
        boolean[] taken = new boolean[m.devices];
        for (int dev = 0; dev < m.devices; dev++) {
            if (lay.blockKey(n, dev).equals(lay.blockKey(s, dev))) {
                source[dev] = dev;
                taken[dev] = true;
            }
        }
        long[] bytes = new long[m.devices];
        List<long[]> pairs = new ArrayList<>();
        for (int dev = 0; dev < m.devices; dev++) {
            if (source[dev] < 0) {
                Deque<Integer> h = holders.get(lay.blockKey(n, dev));
                while (h != null && !h.isEmpty() && taken[h.peekFirst()]) h.pollFirst();
                if (h == null || h.isEmpty()) throw new IllegalStateException("no holder for block " + lay.blockKey(n, dev) + " of device " + dev);
                source[dev] = h.pollFirst();
                taken[source[dev]] = true;
                bytes[dev] = block;
            }
            pairs.add(new long[] {source[dev], dev});
        }
        return new ReshardStep.CollectivePermute(in, pairs.toArray(new long[0][]), bytes);
    }
}
