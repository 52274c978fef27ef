package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.stablehlo.RingBytes;
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
 * with their cost under the {@link ReshardCost} alpha-beta model (in bytes: alpha x beta per collective plus the
 * busiest device's bytes); then the path is turned into concrete steps (groups, pairs, offsets, exact per-device
 * bytes) and adjacent local slices are merged.
 *
 * <p>Every layout a path passes through has a block of at most the cost's cap ({@code maxGrowth} x the larger of the
 * source and target blocks); moves to a larger block are not edges. Under {@link ReshardCost.Objective#TIME} one pass
 * over all moves takes the plan of least time. Under {@link ReshardCost.Objective#TIGHT} a first pass keeps only
 * "tight" moves, after which every device still lacks exactly what it lacked minus what it received: along such a
 * path no device receives more than its target block lacks (the sum telescopes to the per-device lower bound). The
 * exchange is always tight, so that pass succeeds whenever the two tilings refine to equal cells; it is skipped while
 * a sum is left to finish, and otherwise (3 against 2 shards, exchanges of more than {@link #MAX_EXCHANGE_CELLS}
 * cells) the pass over all moves decides. Ties: fewer bytes over all devices together, then fewer collectives, then
 * fewer exchange rounds.
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

    /**
     * A path's score, compared in this order: {@code cost} (latency bytes per collective plus each collective's
     * busiest-device bytes), {@code total} (all devices' bytes together), {@code steps} (collectives), and last
     * {@code rounds} (one more than each exchange's collective rounds: at a full tie the structured collective, one
     * op, beats a one-round exchange, which also slices and updates, and a free slice beats an exchange of local
     * copies only).
     */
    private record Score(long cost, long total, int steps, int rounds) implements Comparable<Score> {
        Score plus(Edge e) { return new Score(cost + e.cost, total + e.total, steps + e.steps, rounds + (e.move instanceof Exchange ? e.steps + 1 : 0)); }

        @Override public int compareTo(Score o) {
            return cost != o.cost ? Long.compare(cost, o.cost) : total != o.total ? Long.compare(total, o.total)
                    : steps != o.steps ? Integer.compare(steps, o.steps) : Integer.compare(rounds, o.rounds);
        }
    }

    private record Edge(Layouts.State next, long cost, long total, Move move, int steps) {}
    /**
     * {@code estimate}: the score so far plus the admissible estimates of what is left. With {@code exchangeFrom}
     * set, a candidate exchange from that layout, not yet scheduled: {@code score} is the layout's, {@code estimate}
     * a bound on going on by the exchange (scheduling its rounds costs time, so it is done only when the candidate is
     * the best left).
     */
    private record Node(Score estimate, Score score, Layouts.State state, Layouts.State exchangeFrom) {}
    private record Back(Layouts.State prev, Move move) {}

    /** An exchange takes up to one round per cell of a target block; past this many the program grows too long. */
    static final long MAX_EXCHANGE_CELLS = 64;

    private final Layouts lay;
    private final MeshAtoms m;
    private final String reduction;
    private final long keepMask; // unreduced atoms the target keeps: never reduced
    private final long latency;  // alpha x beta, in bytes
    private final ReshardCost cost;
    private long cap;            // the largest block a path may pass through, in bytes
    private final Map<String, List<Layouts.State>> sameCounts = new HashMap<>();
    private final Map<String, ReshardStep.Exchange> exchanges = new HashMap<>();
    private final Map<String, long[]> lacks = new HashMap<>();
    private Layouts.State goal;
    private boolean tightOnly;
    private boolean exchangeEdges = true; // off while listing what the collectives reach (the exchange goes to the goal only)
    private Map<String, Score> best;                                 // the current pass's least score per layout
    private final Map<String, Long> permutedAt = new HashMap<>();   // per class of equal shard counts: least cost permuted from
    private long work;                          // edges examined by reachable (see spend)
    private long workBudget = Long.MAX_VALUE;   // spend's limit: only reachable sets one

    PlanSearch(Layouts lay, String reduction, long keepMask, ReshardCost cost) {
        this.lay = lay;
        this.m = lay.m;
        this.reduction = reduction;
        this.keepMask = keepMask;
        this.latency = cost.latencyBytes();
        this.cost = cost;
    }

    /**
     * {@code fromTo} names the two shardings in the refusal when no plan fits under the cap; {@code capBytes}, when not
     * negative, replaces the cost's cap (the cross-mesh planner passes the cap of the whole move; tests pass smaller
     * caps to reach the refusal).
     */
    List<ReshardStep> run(Layouts.State start, Layouts.State goal, String tensor, String fromTo, Location loc, long capBytes) {
        this.goal = goal;
        long from = lay.blockBytes(start), to = lay.blockBytes(goal);
        this.cap = capBytes >= 0 ? capBytes : cost.capBytes(from, to);
        // with a sum to finish nothing a device holds is final (its bound is its whole target block), so the
        // guarantee is not sought there: the cheapest plan of all is taken at once
        if (cost.objective() == ReshardCost.Objective.TIGHT && (start.mask() & ~goal.mask()) == 0) {
            List<ReshardStep> tight = search(start, goal, true);
            if (tight != null) return tight;
        }
        List<ReshardStep> any = search(start, goal, false);
        if (any != null) return any;
        if (cap < Long.MAX_VALUE) {
            String of = capBytes >= 0 ? cap + " B (source block " + from + " B, target block " + to + " B)"
                    : cost.maxGrowth() + " x max(source block " + from + " B, target block " + to + " B) = " + cap + " B";
            throw new ReshardException(tensor + " " + fromTo + " on " + m.mesh.body() + ": no plan keeps every per-device block within the"
                    + " cap of " + of + "; raise it with ReshardCost.withMaxGrowth", loc);
        }
        throw new ReshardException(tensor + ": no plan found from " + start + " to " + goal + " (atoms " + m.atoms + ")", loc);
    }

    /** A* from start to goal over the tight moves only, or over all; null when the goal is not reached. */
    private List<ReshardStep> search(Layouts.State start, Layouts.State goal, boolean tightOnly) {
        this.tightOnly = tightOnly;
        Map<String, Score> best = new HashMap<>();
        this.best = best;
        permutedAt.clear();
        Map<String, Back> back = new HashMap<>();
        // A*: the estimate of what is left (the busiest device's lower bound to the goal, plus one latency if anything
        // is missing; all devices' lower bounds summed for the total) never overestimates, so the first time the goal
        // is taken its score is the least. The total tie-break keeps devices that already hold their data from being
        // sent it again.
        PriorityQueue<Node> queue = new PriorityQueue<>((a, b) -> a.estimate.compareTo(b.estimate));
        Score zero = new Score(0, 0, 0, 0);
        best.put(start.key(), zero);
        queue.add(new Node(estimate(zero, start), zero, start, null));
        String goalKey = goal.key();
        while (!queue.isEmpty()) {
            Node n = queue.poll();
            if (n.exchangeFrom != null) {
                if (best.get(n.exchangeFrom.key()).compareTo(n.score) < 0) continue; // a better path reached its layout since
                ReshardStep.Exchange x = exchange(n.exchangeFrom);
                Edge e = new Edge(goal, x.collectives() * latency + x.busiestBytesPerCollective(), remainingTotal(n.exchangeFrom), new Exchange(), x.collectives());
                relax(n.exchangeFrom, n.score, e, best, back, queue);
                continue;
            }
            String key = n.state.key();
            if (best.get(key).compareTo(n.score) < 0) continue; // a better path reached it since
            if (key.equals(goalKey)) return steps(start, goal, back);
            for (Edge e : edges(n.state, n.score)) {
                if (e.move instanceof Exchange) queue.add(new Node(n.score.plus(e), n.score, goal, n.state)); // e: a bound
                else relax(n.state, n.score, e, best, back, queue);
            }
        }
        return null;
    }

    /** A layout {@link #reachable} reached, with the least cost (latency bytes), all devices' bytes and collectives of a path to it. */
    record Reached(Layouts.State state, long cost, long total, int collectives) {}

    /**
     * Every layout reachable from {@code start} over all moves but the exchange (whose one target is the goal), each
     * with its least score, in the order of that score (Dijkstra: no estimate), every block within {@code capBytes}; at
     * most {@code limit} layouts (the cheapest). The cross-mesh planner reads its source-mesh halves off this list.
     */
    List<Reached> reachable(Layouts.State start, long capBytes, int limit) { return reachable(start, capBytes, limit, Long.MAX_VALUE); }

    /** As {@link #reachable(Layouts.State, long, int)}, stopping at the first layout whose least cost is not below {@code maxCost}. */
    List<Reached> reachable(Layouts.State start, long capBytes, int limit, long maxCost) {
        return reachable(start, capBytes, limit, maxCost, Long.MAX_VALUE);
    }

    /** Thrown inside {@link #reachable} when the work budget is spent (no stack: it is control flow). */
    private static final class OutOfWork extends RuntimeException {
        OutOfWork() { super(null, null, false, false); }
    }

    /** Edges examined by {@link #reachable} so far (see {@link #spend}). */
    long work() { return work; }

    /**
     * Counts one edge examined: a permutation layout generated or tried as a collective_permute target (each also
     * scans the devices), or a move returned. Past the budget {@link #reachable} stops, keeping only layouts whose
     * expansion it finished before: each of those has its least cost (Dijkstra), so the list is a correct prefix.
     * The count depends only on the inputs, never on the machine's speed.
     */
    private void spend(long edges) {
        if (work + edges > workBudget) throw new OutOfWork();
        work += edges;
    }

    /**
     * As {@link #reachable(Layouts.State, long, int, long)}, examining at most {@code budget} edges (see {@link #spend}):
     * the number of layouts alone does not bound the work, since each may have a factorial number of permutations.
     */
    List<Reached> reachable(Layouts.State start, long capBytes, int limit, long maxCost, long budget) {
        this.workBudget = budget;
        this.work = 0;
        this.goal = start;
        this.cap = capBytes;
        this.tightOnly = false;
        this.exchangeEdges = false;
        this.best = new HashMap<>();
        permutedAt.clear();
        List<Reached> out = new ArrayList<>();
        try {
            PriorityQueue<Node> queue = new PriorityQueue<>((a, b) -> a.score.compareTo(b.score));
            Score zero = new Score(0, 0, 0, 0);
            best.put(start.key(), zero);
            queue.add(new Node(zero, zero, start, null));
            while (!queue.isEmpty() && out.size() < limit) {
                Node n = queue.poll();
                if (best.get(n.state.key()).compareTo(n.score) < 0) continue; // a better path reached it since
                if (n.score.cost >= maxCost) break;                         // popped in order of cost: all the rest cost as much or more
                List<Edge> edges;
                try {
                    edges = edges(n.state, n.score);
                    spend(edges.size());
                } catch (OutOfWork spent) {
                    break; // this layout's moves were not all examined: the ones after it may lack their least cost
                }
                out.add(new Reached(n.state, n.score.cost, n.score.total, n.score.steps));
                for (Edge e : edges) {
                    Score sc = n.score.plus(e);
                    Score old = best.get(e.next.key());
                    if (old == null || sc.compareTo(old) < 0) {
                        best.put(e.next.key(), sc);
                        queue.add(new Node(sc, sc, e.next, null));
                    }
                }
            }
        } finally {
            this.exchangeEdges = true;
            this.workBudget = Long.MAX_VALUE;
        }
        return out;
    }

    private void relax(Layouts.State from, Score score, Edge e, Map<String, Score> best, Map<String, Back> back, PriorityQueue<Node> queue) {
        String k = e.next.key();
        Score sc = score.plus(e);
        Score old = best.get(k);
        if (old == null || sc.compareTo(old) < 0) {
            best.put(k, sc);
            back.put(k, new Back(from, e.move));
            queue.add(new Node(estimate(sc, e.next), sc, e.next, null));
        }
    }

    private Score estimate(Score sc, Layouts.State s) {
        return new Score(sc.cost + remaining(s), sc.total + remainingTotal(s), sc.steps, sc.rounds);
    }

    /** Per device, what it lacks of its goal block in layout {@code s} (cached). */
    private long[] lack(Layouts.State s) {
        return lacks.computeIfAbsent(s.key(), k -> ReshardPlanner.lowerBoundPerDevice(m, lay, s, goal));
    }

    /** All devices' lower bounds from {@code s} to the goal, summed. */
    private long remainingTotal(Layouts.State s) {
        long all = 0;
        for (long b : lack(s)) all += b;
        return all;
    }

    /**
     * The busiest device's lower bound from {@code s} to the goal plus latency for the collectives still needed: at
     * least {@link #collectivesAtLeast} over all moves; over the tight moves, one if anything is missing.
     */
    private long remaining(Layouts.State s) {
        long worst = worstLack(s);
        if (!tightOnly) return worst + collectivesAtLeast(s) * latency;
        return worst == 0 ? 0 : worst + latency;
    }

    /**
     * At least this many collectives lead from {@code s} to the goal (0, 1 or 2; used by the pass over all moves,
     * where latency dominates small reshards and a weak estimate would expand every layout two collectives away).
     * A dimension whose atoms are not a prefix of the goal's is "bad": slices only append, so only a collective that
     * removes atoms from it mends it: an all_gather or all_to_all mends one, a collective_permute (after slices) all
     * only if every dimension's shard count divides the product of a prefix of the goal's atoms, and an exchange goes
     * straight to the goal in one round only if no dimension has more shards than the goal's or no device lacks more
     * than one cell. Otherwise two bad dimensions take two collectives.
     */
    private int collectivesAtLeast(Layouts.State s) {
        if (s.mask() != goal.mask()) return 1;
        int bad = 0;
        boolean permute = true, oneRound = true;
        for (int d = 0; d < s.dims().size(); d++) {
            List<Integer> a = s.dims().get(d), g = goal.dims().get(d);
            if (a.size() > g.size() || !g.subList(0, a.size()).equals(a)) bad++;
            long count = m.size(a), prefix = 1;
            boolean divides = false;
            for (int i = 0; i <= g.size() && !divides; i++) {
                divides = prefix % count == 0;
                if (i < g.size()) prefix *= m.atoms.get(g.get(i)).size();
            }
            permute &= divides;
            oneRound &= count <= m.size(g);
        }
        if (bad == 0) return 0;
        // an exchange takes one collective round if no device lacks more than one cell (its own cells are local)
        if (CellExchange.applies(lay, s, goal) && worstLack(s) <= CellExchange.cellBytes(lay, s, goal)) oneRound = true;
        return bad >= 2 && !permute && !oneRound ? 2 : 1;
    }

    private long worstLack(Layouts.State s) {
        long worst = 0;
        for (long b : lack(s)) worst = Math.max(worst, b);
        return worst;
    }

    /** Whether a move receiving {@code bytes[dev]} (null: {@code uniform} on every device) leaves no device worse off. */
    private boolean tight(Layouts.State s, Layouts.State n, long[] bytes, long uniform) {
        long[] before = lack(s), after = lack(n);
        for (int dev = 0; dev < before.length; dev++) {
            if ((bytes == null ? uniform : bytes[dev]) + after[dev] > before[dev]) return false;
        }
        return true;
    }

    /** The exchange from {@code s} straight to the goal (cached: its rounds are its cost). */
    private ReshardStep.Exchange exchange(Layouts.State s) {
        return exchanges.computeIfAbsent(s.key(), k -> CellExchange.plan(lay, s, goal));
    }

    // ---- moves ---------------------------------------------------------------------------------------------------

    /** The moves from {@code s}, reached with {@code score}. */
    private List<Edge> edges(Layouts.State s, Score score) {
        List<Edge> out = new ArrayList<>();
        long block = lay.blockBytes(s);
        int rank = s.dims().size();
        long free = ~(s.used() | s.mask());
        for (int d = 0; d < rank; d++) {
            List<Integer> dim = s.dims().get(d);
            for (int k = 0; k < m.atoms.size(); k++) {
                if ((free & (1L << k)) == 0) continue;
                Layouts.State n = with(s, d, append(dim, List.of(k)));
                // slices merge into one free step; a tight one drops nothing of the target
                if (lay.divisible(n) && (!tightOnly || tight(s, n, null, 0))) out.add(new Edge(n, 0, 0, new Slice(d, k), 0));
            }
            for (int c = 1; c <= dim.size(); c++) {
                List<Integer> moved = dim.subList(dim.size() - c, dim.size());
                long g = m.size(moved);
                List<Integer> rest = dim.subList(0, dim.size() - c);
                add(out, s, with(s, d, rest), RingBytes.received("all_gather", g, block, g * block), new Gather(d, c));
                for (int t = 0; t < rank; t++) {
                    if (t == d) continue;
                    Layouts.State n = with(with(s, d, rest), t, append(s.dims().get(t), moved));
                    add(out, s, n, RingBytes.received("all_to_all", g, block, block), new ToAll(d, t, c));
                }
            }
        }
        if (tightOnly) {
            for (Layouts.State p : permutations(s)) {
                if (p.key().equals(s.key()) || !lay.divisible(p)) continue;
                long[] bytes = new long[m.devices];
                long movers = 0;
                for (int dev = 0; dev < m.devices; dev++) {
                    if (!lay.blockKey(p, dev).equals(lay.blockKey(s, dev))) { bytes[dev] = block; movers++; } // the others keep theirs
                }
                if (!tight(s, p, bytes, 0)) continue;
                out.add(new Edge(p, latency + (movers > 0 ? block : 0), movers * block, new Permute(), 1));
            }
        } else {
            permutes(s, score, block, out);
        }
        if (exchangeEdges && !s.key().equals(goal.key()) && CellExchange.applies(lay, s, goal)
                && CellExchange.cellsPerBlock(lay, s, goal) <= MAX_EXCHANGE_CELLS) {
            // straight to the target, each device receiving exactly what it lacks (tight); one collective per round.
            // A bound, until scheduled: at least one round per cell the busiest device lacks (it receives one cell per
            // round; its own cells are local copies), each costing that cell. A tensor with no elements has cells of
            // no bytes: nothing is lacking in bytes, so the bound is no round (still a bound: it never overestimates)
            long cellBytes = CellExchange.cellBytes(lay, s, goal);
            long rounds = cellBytes == 0 ? 0 : worstLack(s) / cellBytes;
            out.add(new Edge(goal, rounds * latency + worstLack(s), remainingTotal(s), new Exchange(), (int) rounds));
        }
        long reducible = s.mask() & ~keepMask;
        for (long sub = reducible; sub != 0; sub = (sub - 1) & reducible) {
            long g = m.size(Layouts.ids(sub));
            add(out, s, new Layouts.State(s.dims(), s.mask() & ~sub), RingBytes.received("all_reduce", g, block, block), new Reduce(sub));
            for (List<Integer> order : orders(Layouts.ids(sub))) {
                for (int d = 0; d < rank; d++) {
                    Layouts.State n = new Layouts.State(with(s, d, append(s.dims().get(d), order)).dims(), s.mask() & ~sub);
                    add(out, s, n, RingBytes.received("reduce_scatter", g, block, block), new Scatter(d, order));
                }
            }
        }
        return out;
    }

    /**
     * The collective_permutes from {@code s} over all moves. A layout other than {@code s} with the same shard counts
     * moves at least one device's block (a dimension's block index is a mixed-radix number of its atoms'
     * coordinates, so two different atom lists differ on some device), so every such edge costs one latency plus the
     * block. Hence edges that cannot improve a layout's score are not built: none from a layout whose class (equal
     * shard counts and unreduced atoms: the same set of permute targets) was already permuted from at a strictly
     * lower cost, and none to a target already reached with a score no worse than the least this edge could give.
     * The search takes the same path as when it built them all (it only takes strictly better scores).
     */
    private void permutes(Layouts.State s, Score score, long block, List<Edge> out) {
        String cls = classKey(s);
        Long at = permutedAt.get(cls);
        if (at != null && at < score.cost) return;
        permutedAt.put(cls, score.cost);
        Score least = new Score(score.cost + latency + block, score.total + block, score.steps + 1, score.rounds);
        for (Layouts.State p : permutations(s)) {
            spend(1);
            if (p.key().equals(s.key()) || !lay.divisible(p)) continue;
            Score old = best.get(p.key());
            if (old != null && old.compareTo(least) <= 0) continue;
            long movers = 0;
            for (int dev = 0; dev < m.devices; dev++) if (!sameBlock(s, p, dev)) movers++;
            out.add(new Edge(p, latency + block, movers * block, new Permute(), 1));
        }
    }

    /** Whether the device holds the same block in both layouts (same unreduced atoms). */
    private boolean sameBlock(Layouts.State s, Layouts.State p, int dev) {
        long[][] a = lay.index(s), b = lay.index(p);
        for (int d = 0; d < a.length; d++) if (a[d][dev] != b[d][dev]) return false;
        return true;
    }

    private String classKey(Layouts.State s) {
        StringBuilder k = new StringBuilder();
        for (List<Integer> d : s.dims()) k.append(m.size(d)).append(',');
        return k.append('/').append(s.mask()).toString();
    }

    /** A collective in which every device receives {@code bytes}. */
    private void add(List<Edge> out, Layouts.State s, Layouts.State n, long bytes, Move mv) {
        if (lay.divisible(n) && lay.blockBytes(n) <= cap && (!tightOnly || tight(s, n, null, bytes))) out.add(new Edge(n, latency + bytes, bytes * m.devices, mv, 1));
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
        if (d == counts.length) { spend(1); out.add(new Layouts.State(dims, mask)); return; }
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
                java.util.Arrays.fill(bytes, RingBytes.received("all_gather", m.size(atoms), block, m.size(atoms) * block));
                yield new ReshardStep.AllGather(g.dim(), m.refs(atoms), in, outT, m.groups(atoms), bytes);
            }
            case ToAll t -> {
                List<Integer> dim = s.dims().get(t.fromDim());
                List<Integer> atoms = dim.subList(dim.size() - t.count(), dim.size());
                long g = m.size(atoms);
                java.util.Arrays.fill(bytes, RingBytes.received("all_to_all", g, block, block));
                yield new ReshardStep.AllToAll(t.fromDim(), t.toDim(), m.refs(atoms), in, outT, m.groups(atoms), bytes);
            }
            case Permute p -> permute(s, n, in, block);
            case Reduce r -> {
                List<Integer> atoms = Layouts.ids(r.atoms());
                long g = m.size(atoms);
                java.util.Arrays.fill(bytes, RingBytes.received("all_reduce", g, block, block));
                yield new ReshardStep.AllReduce(m.refs(atoms), reduction, in, m.groups(atoms), bytes);
            }
            case Scatter sc -> {
                long g = m.size(sc.atoms());
                java.util.Arrays.fill(bytes, RingBytes.received("reduce_scatter", g, block, block));
                yield new ReshardStep.ReduceScatter(sc.dim(), m.refs(sc.atoms()), reduction, in, outT, m.groups(sc.atoms()), bytes);
            }
            case Slice sl -> slice(s, n);
            case Exchange x -> exchange(s);
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
