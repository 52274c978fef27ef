package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;

/**
 * Hooks on a row buffer some of whose rows are not combined: rows of other shards' experts (expert parallelism,
 * REPLICATED and RING, and FUSED's per-shard function), padding rows (TOKEN_SHARDED's receive buffer) and unused
 * expert-choice slots. Such rows are often exactly zero, so a hook that normalises rows ({@code y / |y|}) gives
 * 0/0 = NaN there. Two guards keep that NaN out of the output and its gradients:
 * <ul>
 *   <li>the weighted product is masked after before_combine ({@code where(live, y * w, 0)}), not only the weight:
 *       NaN * 0 is NaN;</li>
 *   <li>a row-wise hook is fed 1 on rows that are not live ({@code where(live, rows, 1)}, the double-where), so its
 *       VJP, evaluated there with a zero cotangent, has no 0/0 either.</li>
 * </ul>
 * Live rows see exactly what they saw before; with no hook set nothing is added to the program.
 */
public final class LiveRows {
    private LiveRows() {}

    /** A row-wise hook at {@code point} on rows [R, ...] whose rows with {@code live} [R] false are fed 1 instead (no guard when unset). */
    public static Tensor apply(MoeFusedHooks<Tensor> hooks, HookPoint point, Tensor rows, Tensor live) {
        if (!hooks.isSet(point)) return rows;
        return hooks.apply(point, safe(rows, live));
    }

    /** {@code rows} [R, ...] (or [N, k, ...] with live [N, k]) with rows where {@code live} is false replaced by 1 (a value every row-wise hook can take). */
    public static Tensor safe(Tensor rows, Tensor live) {
        return Ops.where(rowMask(live, rows), rows, 1.0);
    }

    /**
     * before_combine on the expert outputs (the weights' shape plus [H]: [R, H] per shard, [N, k, H] on one device) and
     * their weights ([R] or [N, k]; weights of rows not live given as 0), then the weighted rows {@code y * w} in
     * {@code acc}, 0 on rows not live ({@code live} shaped like the weights) whatever the hook returned: each (token,
     * expert) pair is combined once, on its expert's shard, and an unused slot never.
     */
    public static Tensor weighted(MoeFusedHooks<Tensor> hooks, Tensor y, Tensor weights, Tensor live, DType acc) {
        Tensor w = Ops.where(live, weights, 0.0);
        if (hooks.beforeCombine() != null) {
            Tensor ys = safe(y, live);
            MoeFusedHooks.CombineInputs<Tensor> c = MoeFusedHooks.requireResult(HookPoint.BEFORE_COMBINE, hooks.beforeCombine().apply(ys, w));
            MoeFusedHooks.requireSameShape(HookPoint.BEFORE_COMBINE, "outputs ", ys, c.outputs());
            MoeFusedHooks.requireSameShape(HookPoint.BEFORE_COMBINE, "weights ", w, c.weights());
            y = c.outputs();
            w = c.weights();
        }
        Tensor prod = Ops.mul(y.astype(acc), rowMask(w.astype(acc), y));
        // with no hook, rows not live are finite (zero, or bias only) and their weight is 0: the product is 0 already
        if (!anyRowHook(hooks)) return prod;
        return Ops.where(rowMask(live, prod), prod, 0.0);
    }

    /** Whether a hook that can change a row's values (so make a row not live non-finite) is set. */
    private static boolean anyRowHook(MoeFusedHooks<Tensor> hooks) {
        if (hooks.beforeCombine() != null) return true;
        for (HookPoint p : new HookPoint[] {HookPoint.AFTER_EP_RECEIVE, HookPoint.AFTER_WIWU, HookPoint.BEFORE_WO, HookPoint.AFTER_WO}) {
            if (hooks.isSet(p)) return true;
        }
        return false;
    }

    /** {@code v} (shaped like the leading dims of {@code like}) broadcast along like's trailing dims. */
    private static Tensor rowMask(Tensor v, Tensor like) {
        long[] shape = new long[like.rank()];
        java.util.Arrays.fill(shape, 1);
        for (int i = 0; i < v.rank(); i++) shape[i] = v.dim(i);
        return v.reshape(shape).broadcastTo(like.dims());
    }
}
