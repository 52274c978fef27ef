package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.moe.MoeException;

import java.util.ArrayList;
import java.util.List;

/**
 * Bytes each expert-parallel mode sends per device, for given shapes. Collectives are counted as bandwidth-optimal
 * ring algorithms over a group of g devices (what each device sends):
 * <ul>
 *   <li>all_gather producing B bytes: (g-1)/g * B;</li>
 *   <li>reduce_scatter of B bytes: (g-1)/g * B;</li>
 *   <li>all_reduce (psum) of B bytes: 2 (g-1)/g * B (a reduce_scatter then an all_gather);</li>
 *   <li>ragged_all_to_all: the rows sent to other members times the row bytes; data-dependent, so the model
 *       takes the expectation under uniform routing: a token's k distinct experts touch
 *       (X-1) (1 - C(E-L, k) / C(E, k)) other shards on average, one row each; the worst case is X-1.</li>
 * </ul>
 * With T = N/D tokens per expert group, T_l = T/X per shard, X the expert axis, Q = tp, L = E/X:
 * <ul>
 *   <li>REPLICATED: entry all_gather of x over expert (tokens arrive split like the others; T_l H xBytes );
 *       reduce_scatter of the f32 partial [T, H] over tp; psum of the f32 [T, H/Q] over expert;</li>
 *   <li>RING: all_gather of x [T, H] and of the routing (ids i32 and weights) [T, k] over expert;
 *       reduce_scatter of the f32 [T, H] over tp, then of the f32 [T, H/Q] over expert;</li>
 *   <li>TOKEN_SHARDED: all_to_all of the assignment counts [X] i32 over expert (one i32 per peer); ragged dispatch
 *       of one row of H compute elements per (token, remote shard) pair and, per (token, expert) assignment on a
 *       remote shard, its weight (compute dtype) and, when L > 1, its local expert code (one byte while L <= 127);
 *       under uniform routing a token has k (X-1)/X remote assignments; ragged return of one f32 row of H per pair;
 *       reduce_scatter of the f32 [T_l, H] over tp.</li>
 * </ul>
 * Partial outputs and the combine travel in the accumulation dtype (f32; f64 for float64 runs). With a compute dtype
 * narrower than that (bf16) and tp > 1, each expert output row's partials are reduce-scattered over tp before the row
 * is rounded, as one device rounds it: the tp reduce_scatter moves rows ([T k, H] in REPLICATED and RING, the receive
 * buffer's assignments in TOKEN_SHARDED, whose combine then returns H/Q per row) instead of the combined [T, H]. Every mode also psums the expert loads [E] i32 over the axes its tokens are split on. {@link EpMode#AUTO}
 * picks the smallest total among the modes the shapes allow; ties go to the simpler mode (REPLICATED, RING,
 * TOKEN_SHARDED in that order).
 */
public final class EpCostModel {
    private EpCostModel() {}

    /** One collective (or reshard) of a mode: what it is, its group size and the bytes each device sends. */
    public record Entry(String what, String op, int groupSize, double bytes) {}

    /** A mode's entries and their total bytes per device. */
    public record Estimate(EpMode mode, List<Entry> entries) {
        public double total() { return entries.stream().mapToDouble(Entry::bytes).sum(); }

        /** The entries done by collectives inside the shard_map body (not the entry reshard). */
        public List<Entry> bodyEntries() { return entries.stream().filter(e -> !e.op().equals("reshard")).toList(); }
    }

    /** Whether {@code compute} is narrower than {@code acc} (bf16, f16 under f32): expert outputs then reduce over tp per row. */
    static boolean narrow(io.hlo4j.dsl.DType compute, io.hlo4j.dsl.DType acc) {
        return ExpertParallelMoe.bytes(compute) < ExpertParallelMoe.bytes(acc);
    }

    public static Estimate estimate(EpShapes s, EpMode mode) {
        long d = s.dp(), x = s.expert(), q = s.tp(), h = s.hidden(), e = s.experts(), k = s.slots();
        double t = (double) s.tokens() / d, tl = t / x;
        // a narrow compute dtype reduce-scatters each expert row's f32 partials over tp before rounding it (LocalExperts)
        boolean rows = s.computeBytes() < s.accBytes();
        List<Entry> out = new ArrayList<>();
        switch (mode) {
            case REPLICATED -> {
                add(out, "tokens into the expert group", "reshard", x, ring(x) * t * h * s.xBytes());
                add(out, "expert outputs over tp", "reduce_scatter", q, ring(q) * t * (rows ? k : 1) * h * s.accBytes());
                add(out, "expert outputs over expert", "all_reduce", x, 2 * ring(x) * t * h / q * s.accBytes());
                add(out, "expert loads", "all_reduce", d, 2 * ring(d) * e * 4);
            }
            case RING -> {
                add(out, "tokens in", "all_gather", x, ring(x) * t * h * s.xBytes());
                add(out, "routing ids in", "all_gather", x, ring(x) * t * k * 4);
                add(out, "routing weights in", "all_gather", x, ring(x) * t * k * s.computeBytes());
                add(out, "expert outputs over tp", "reduce_scatter", q, ring(q) * t * (rows ? k : 1) * h * s.accBytes());
                add(out, "expert outputs over expert", "reduce_scatter", x, ring(x) * t * h / q * s.accBytes());
                add(out, "expert loads", "all_reduce", d * x, 2 * ring(d * x) * e * 4);
            }
            case TOKEN_SHARDED -> {
                double pairs = tl * remoteShards(e, x, k), assignments = tl * k * ring(x);
                // in the order the body runs them (the CLI's report matches the ragged steps to the log in order)
                add(out, "assignment counts", "all_to_all", x, ring(x) * x * 4);
                int idBytes = TokenDispatch.idBytes(e / x);
                if (idBytes > 0) add(out, "dispatch codes (expected)", "ragged_all_to_all", x, assignments * idBytes);
                add(out, "dispatch (expected, uniform routing)", "ragged_all_to_all", x, pairs * h * s.computeBytes());
                add(out, "dispatch weights (expected)", "ragged_all_to_all", x, assignments * s.computeBytes());
                if (rows) {
                    // the receive buffer's assignments (T_l X of them, k per row when L > 1), reduced over tp, then H/Q back
                    add(out, "expert outputs over tp", "reduce_scatter", q, ring(q) * tl * x * (e / x > 1 ? k : 1) * h * s.accBytes());
                    add(out, "combine (expected, uniform routing)", "ragged_all_to_all", x, pairs * h / q * s.accBytes());
                } else {
                    add(out, "combine (expected, uniform routing)", "ragged_all_to_all", x, pairs * h * s.accBytes());
                    add(out, "expert outputs over tp", "reduce_scatter", q, ring(q) * tl * h * s.accBytes());
                }
                add(out, "expert loads", "all_reduce", d * x, 2 * ring(d * x) * e * 4);
            }
            case AUTO -> throw new MoeException("EpCostModel: AUTO is a choice, not a mode; call choose");
        }
        return new Estimate(mode, List.copyOf(out));
    }

    /** The cheapest of {@code allowed} (in the tie order REPLICATED, RING, TOKEN_SHARDED). */
    public static Estimate choose(EpShapes s, List<EpMode> allowed) {
        Estimate best = null;
        for (EpMode m : List.of(EpMode.REPLICATED, EpMode.RING, EpMode.TOKEN_SHARDED)) {
            if (!allowed.contains(m)) continue;
            Estimate est = estimate(s, m);
            if (best == null || est.total() < best.total()) best = est;
        }
        if (best == null) throw new MoeException("EpCostModel: no expert-parallel mode is possible for " + s + " (allowed " + allowed + ")");
        return best;
    }

    /**
     * The expected number of other shards a token's k distinct experts touch when they are uniform among E:
     * (X-1) (1 - C(E-L, k) / C(E, k)), L = E/X.
     */
    static double remoteShards(long e, long x, long k) {
        if (x <= 1) return 0;
        long l = e / x;
        double none = 1;
        for (long i = 0; i < k; i++) none *= Math.max(0, e - l - i) / (double) (e - i);
        return (x - 1) * (1 - none);
    }

    /** (g-1)/g. */
    static double ring(long g) { return (g - 1) / (double) g; }

    private static void add(List<Entry> out, String what, String op, long group, double bytes) {
        if (group > 1) out.add(new Entry(what, op, (int) group, bytes));
    }
}
