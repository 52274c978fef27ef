package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.HookPoint;
import io.hlo4j.dsl.moe.LiveRows;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.shard.Collectives;

import java.util.function.BinaryOperator;

/**
 * One shard's experts, with the shard's first expert known only at run time (a traced scalar: the body is traced
 * once for every device). The kernels are the shard's block: wi, wu [L, H, M/Q], wd [L, M/Q, H], biases
 * [L, M/Q] and [L, H]. With tp > 1 the down projection gives partial sums over tp; the wd bias is added on tp
 * coordinate 0 only, so the sum over tp adds it once. With a compute dtype narrower than the accumulation dtype
 * (bf16) the tp partials are reduced per row before y is rounded instead ({@code rowsOverTp}), so y rounds where the
 * one-device layer rounds it and the result is already split over tp on H.
 */
final class LocalExperts {
    private LocalExperts() {}

    /**
     * The grouped FFN over rows sorted by local expert: {@code key} [R] the local expert of each row ({@code >= L}
     * past the groups, whose outputs are zero), {@code groupSizes} [L] i32; after_wiwu and before_wo on h, after_wo
     * on y (with tp > 1 the layer refuses these hooks: h is the device's M/Q slice and y a partial sum over tp).
     * {@code rowsOverTp}: null for y [R, H] partial over tp (the caller reduces its combined output), or the dtype the
     * tp partials of each row are reduce-scattered in before y is rounded, giving y [R, H/Q] (tp > 1, narrow compute).
     */
    static Tensor ffn(Tensor rows, Tensor key, Tensor groupSizes, ExpertWeights w, BinaryOperator<Tensor> act, Tensor tpIndex,
                      DType rowsOverTp, MoeFusedHooks<Tensor> hooks) {
        long le = w.experts();
        Tensor idx = Ops.minimum(Ops.maximum(key, Ops.scalar(0, DType.I32)), Ops.scalar(le - 1, DType.I32));
        Tensor a = Linalg.raggedDot(rows, w.wi(), groupSizes, null);
        Tensor b = Linalg.raggedDot(rows, w.wu(), groupSizes, null);
        if (w.wiBias() != null) a = Ops.add(a, Indexing.takeInBounds(w.wiBias(), idx, 0));
        if (w.wuBias() != null) b = Ops.add(b, Indexing.takeInBounds(w.wuBias(), idx, 0));
        Tensor live = Ops.lt(key, Ops.scalar(le, DType.I32));
        // rows past the groups (other shards', padding) are zero: the hooks get 1 there (LiveRows), no 0/0 in a normalising hook
        Tensor h = LiveRows.apply(hooks, HookPoint.BEFORE_WO, LiveRows.apply(hooks, HookPoint.AFTER_WIWU, act.apply(a, b), live), live);
        if (rowsOverTp != null) {
            // a narrow compute dtype rounds y once, after the whole contraction over M, as one device does: the tp
            // partials stay in rowsOverTp (f32), are reduce-scattered over tp on H, and only then rounded; the bias
            // (this member's H/Q columns) is added after that rounding, as on one device
            Tensor y = Collectives.psumScatter(Linalg.raggedDot(h, w.wd(), groupSizes, rowsOverTp), 1, "tp").astype(h.dtype());
            if (w.wdBias() != null) {
                long cols = y.dim(1);
                Tensor mine = Ops.dynamicSlice(w.wdBias(), java.util.List.of(Ops.scalar(0, DType.I32), Ops.mul(tpIndex, Ops.scalar(cols, DType.I32))), le, cols);
                y = Ops.add(y, Ops.where(live.reshape(key.dim(0), 1).broadcastTo(y.dims()), Indexing.takeInBounds(mine, idx, 0), 0.0));
            }
            return LiveRows.apply(hooks, HookPoint.AFTER_WO, y, live);
        }
        Tensor y = Linalg.raggedDot(h, w.wd(), groupSizes, null);
        if (w.wdBias() != null) {
            Tensor on = Ops.logicalAnd(live, Ops.eq(tpIndex, Ops.scalar(0, DType.I32)).broadcastTo(key.dims()));
            y = Ops.add(y, Ops.where(on.reshape(key.dim(0), 1).broadcastTo(y.dims()), Indexing.takeInBounds(w.wdBias(), idx, 0), 0.0));
        }
        return LiveRows.apply(hooks, HookPoint.AFTER_WO, y, live);
    }

    /**
     * FUSED on this shard for tokens [T, H] (refine_inputs_hook's result) with routing {@code experts},
     * {@code selection} (the selected weights, for scale_replicated_inputs) and {@code combine} (after
     * output_weights_hook) [T, k]: the rows, cast to {@code compute} after scale_replicated_inputs, of this shard's
     * experts [lo, lo + L) sorted by expert, after_ep_receive, the FFN, before_combine, and the weighted scatter-add
     * into a partial [T, H] in the accumulation dtype {@code acc} (partial over the expert axis, and over tp when
     * tp > 1).
     */
    static Tensor partial(Tensor tokens, Tensor experts, Tensor selection, Tensor combine, ExpertWeights w, BinaryOperator<Tensor> act, Tensor lo,
                          Tensor tpIndex, DType compute, DType acc, DType rowsOverTp, MoeFusedHooks<Tensor> hooks) {
        long t = tokens.dim(0), h = tokens.dim(1), k = experts.dim(1), r = t * k;
        long le = w.experts();
        Tensor ids = experts.reshape(r);
        Tensor local = Ops.sub(ids, lo.broadcastTo(r));
        Tensor mine = Ops.logicalAnd(Ops.ge(local, Ops.zeros(Shape.of(r), DType.I32)), Ops.lt(local, Ops.full(Shape.of(r), le, DType.I32)));
        Tensor key = Ops.where(mine, local, Ops.full(Shape.of(r), le, DType.I32));
        Tensor perm = Indexing.argsort(key, 0);
        Tensor rows = BaseMoeModule.replicateRows(hooks, tokens, selection, compute);
        Tensor sortedKey = Indexing.takeInBounds(key, perm, 0);
        Tensor mineS = Indexing.takeInBounds(mine, perm, 0);
        Tensor received = LiveRows.apply(hooks, HookPoint.AFTER_EP_RECEIVE, Indexing.takeInBounds(rows, perm, 0), mineS);
        Tensor y = ffn(received, sortedKey, Indexing.bincount(key, le), w, act, tpIndex, rowsOverTp, hooks);
        Tensor weighted = LiveRows.weighted(hooks, y, Indexing.takeInBounds(combine.reshape(r), perm, 0), mineS, acc);
        Tensor tokenOfRow = Ops.div(perm, Ops.full(Shape.of(r), k, DType.I32));
        return Indexing.scatterAdd(Ops.zeros(Shape.of(t, y.dim(1)), acc), tokenOfRow, weighted, 0);
    }
}
