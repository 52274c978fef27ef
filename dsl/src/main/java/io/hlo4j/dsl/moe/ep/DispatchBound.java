package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeRouter;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The analytic lower bound of what token-sharded dispatch and combine ({@link TokenDispatch}) must send, per device,
 * for one actual routing (not the uniform-routing expectation of {@link EpCostModel}). Tokens are split over the dp
 * then expert axes; shard m of an expert group owns experts [m L, (m+1) L), L = E/X. A device must send:
 * <ul>
 *   <li>counts: one i32 per peer of its expert group, (X-1) 4 bytes;</li>
 *   <li>codes (L > 1 only): per (token, expert) assignment on another shard, its local expert code
 *       ({@link TokenDispatch#idBytes} bytes);</li>
 *   <li>dispatch rows: per distinct (token, other shard) pair, the token's H-vector in the compute dtype;</li>
 *   <li>weights: per assignment on another shard its routing weight (compute dtype); with L = 1 one weight per pair
 *       (a pair is one assignment there);</li>
 *   <li>combine: per pair another member of its group sent it, one H-vector in the accumulation dtype (in a bf16
 *       layer with tp > 1, H/Q of it: each tp member returns its slice of the row reduced over tp).</li>
 * </ul>
 * None of it can be skipped: the receiver cannot know a row, a weight or an expert it was not sent. Slots with a
 * negative expert (unused expert-choice slots) route nowhere.
 *
 * @param shards X, the members of an expert group
 * @param pairsTo per device, the (token, shard) pairs it sends to each shard (its own included) [devices][X]
 * @param steps per step, in the order the program runs them, the bytes each device must send
 */
public record DispatchBound(int shards, long[][] pairsTo, List<Step> steps) {
    /** One step of dispatch or combine: what it is, the collective that carries it, its bound per device. */
    public record Step(String what, String op, long[] bytesPerDevice) {
        public long max() { return Arrays.stream(bytesPerDevice).max().orElse(0); }
    }

    /** The bound on every device: all steps summed. */
    public long[] bytesPerDevice() {
        long[] out = new long[pairsTo.length];
        for (Step s : steps) for (int d = 0; d < out.length; d++) out[d] += s.bytesPerDevice()[d];
        return out;
    }

    /** The busiest device's bound. */
    public long max() { return Arrays.stream(bytesPerDevice()).max().orElse(0); }

    /** The ragged all-to-all steps (codes, rows, weights, combine), in the program's order. */
    public List<Step> raggedSteps() { return steps.stream().filter(s -> s.op().equals("ragged_all_to_all")).toList(); }

    /**
     * The bound for {@code cfg}'s layer on {@code view} (fsdp and sp bound as the view binds them), from the global
     * selected experts [N, slots] of the run. Rows and weights travel in the compute dtype, the combine in the
     * accumulation dtype, as {@link ExpertParallelMoe} sends them.
     */
    public static DispatchBound of(MoeConfig cfg, ExpertMeshView view, HostArray selectedExperts) {
        long[] shape = selectedExperts.shape();
        int k = (int) shape[shape.length - 1];
        EpLayout layout = new EpLayout(view);
        // a narrow compute dtype with tp > 1 reduces each row over tp on the expert's shard (for its rounding), so each
        // tp member returns H/Q of it
        boolean rows = layout.tpSize() > 1 && EpCostModel.narrow(MoeRouter.computeDtype(cfg), MoeRouter.accumDtype(cfg));
        return of(layout, cfg.nRoutedExperts(), cfg.hiddenSize(), rows ? cfg.hiddenSize() / layout.tpSize() : cfg.hiddenSize(),
                selectedExperts.toLongArray(), k, ExpertParallelMoe.bytes(MoeRouter.computeDtype(cfg)),
                ExpertParallelMoe.bytes(MoeRouter.computeDtype(cfg)), ExpertParallelMoe.bytes(MoeRouter.accumDtype(cfg)));
    }

    /**
     * The bound from raw routing: {@code experts} the flat [N, k] selected experts (token-major), {@code rowBytes},
     * {@code weightBytes} and {@code combineBytes} the element sizes of the dispatched rows, the weights and the
     * combined rows.
     */
    public static DispatchBound of(EpLayout layout, int nExperts, long hidden, long[] experts, int k, int rowBytes, int weightBytes, int combineBytes) {
        return of(layout, nExperts, hidden, hidden, experts, k, rowBytes, weightBytes, combineBytes);
    }

    /** {@code combineHidden}: the elements of a combined row each device returns (H, or H/Q when rows reduce over tp). */
    private static DispatchBound of(EpLayout layout, int nExperts, long hidden, long combineHidden, long[] experts, int k, int rowBytes,
                                    int weightBytes, int combineBytes) {
        int devices = layout.mesh().size(), x = layout.expertSize();
        String where = "token-sharded dispatch bound on mesh " + layout.mesh().describe();
        if (k < 1 || experts.length % k != 0) throw new MoeException(where + ": " + experts.length + " selected experts are not [N, " + k + "]");
        if (nExperts % x != 0) throw new MoeException(where + ": " + nExperts + " experts do not divide over the " + x + " shards of " + layout.expertAxes());
        long n = experts.length / k;
        int split = layout.mesh().axisSize(layout.dpAndExpertAxes());
        if (n % split != 0) {
            throw new MoeException(where + ": " + n + " tokens do not divide over the " + split + " shards of " + layout.dpAndExpertAxes());
        }
        int le = nExperts / x, codeBytes = TokenDispatch.idBytes(le);
        NamedSharding tokens = new NamedSharding(layout.mesh(), EpLayout.spec(layout.dpAndExpertAxes()));
        long[][] pairsTo = new long[devices][x], assignmentsTo = new long[devices][x];
        for (int d = 0; d < devices; d++) {
            long[] range = tokens.indexRanges(d, new long[] {n})[0];
            for (long t = range[0]; t < range[1]; t++) {
                boolean[] hit = new boolean[x];
                for (int j = 0; j < k; j++) {
                    long e = experts[(int) (t * k + j)];
                    if (e < 0) continue;
                    if (e >= nExperts) throw new MoeException(where + ": token " + t + " slot " + j + " selects expert " + e + " of " + nExperts);
                    int shard = (int) (e / le);
                    hit[shard] = true;
                    assignmentsTo[d][shard]++;
                }
                for (int j = 0; j < x; j++) if (hit[j]) pairsTo[d][j]++;
            }
        }
        long[] counts = new long[devices], codes = new long[devices], rows = new long[devices], weights = new long[devices], combine = new long[devices];
        for (int[] g : layout.mesh().replicaGroups(layout.expertAxes())) {
            for (int m = 0; m < g.length; m++) {
                int d = g[m];
                long out = 0, remote = 0, in = 0;
                for (int j = 0; j < x; j++) {
                    if (j == m) continue;
                    out += pairsTo[d][j];
                    remote += assignmentsTo[d][j];
                }
                for (int i = 0; i < g.length; i++) if (i != m) in += pairsTo[g[i]][m];
                counts[d] = (x - 1) * 4L;
                codes[d] = remote * codeBytes;
                rows[d] = out * hidden * rowBytes;
                weights[d] = (le > 1 ? remote : out) * weightBytes;
                combine[d] = in * combineHidden * combineBytes;
            }
        }
        List<Step> steps = new ArrayList<>();
        if (x > 1) {
            steps.add(new Step("assignment counts", "all_to_all", counts));
            if (codeBytes > 0) steps.add(new Step("dispatch codes", "ragged_all_to_all", codes));
            steps.add(new Step("dispatch rows", "ragged_all_to_all", rows));
            steps.add(new Step("dispatch weights", "ragged_all_to_all", weights));
            steps.add(new Step("combine rows", "ragged_all_to_all", combine));
        }
        return new DispatchBound(x, pairsTo, List.copyOf(steps));
    }

    /**
     * Checks the pairs the program reports it sent ([devices, X], the token-sharded program's fourth result) against
     * the pairs this routing implies; a difference means the bound and the program describe different routings.
     */
    public void checkSent(HostArray sentRows) {
        long[] got = sentRows.toLongArray();
        if (got.length != pairsTo.length * shards) {
            throw new MoeException("token-sharded dispatch bound: the program reports " + got.length + " sent-row counts, want " + pairsTo.length
                    + " devices x " + shards + " shards");
        }
        for (int d = 0; d < pairsTo.length; d++) {
            for (int j = 0; j < shards; j++) {
                if (got[d * shards + j] != pairsTo[d][j]) {
                    throw new MoeException("token-sharded dispatch bound: device " + d + " sent " + got[d * shards + j] + " (token, shard) rows to shard "
                            + j + ", its routing implies " + pairsTo[d][j]);
                }
            }
        }
    }
}
