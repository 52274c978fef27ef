package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;

import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

/**
 * The expert FFN y = (act(x wi[e] + wi_b[e]) * (x wu[e] + wu_b[e])) wd[e] + wd_b[e] on rows (moe-semantics.md,
 * Expert FFN), in two forms: per-row gathered kernels (DENSE) and grouped matmul over expert-sorted rows with
 * {@code raggedDot} (STANDARD, FUSED). Calls after_wiwu, before_wo and after_wo.
 */
final class ExpertFfn {
    private ExpertFfn() {}

    /** ffn_activation(a, b), by default act_fn(a) * b with act_fn from hidden_act. */
    static BinaryOperator<Tensor> activation(MoeConfig cfg, BinaryOperator<Tensor> ffnActivation, UnaryOperator<Tensor> actFn) {
        if (ffnActivation != null) return ffnActivation;
        UnaryOperator<Tensor> act = actFn != null ? actFn : actOf(cfg.hiddenAct());
        return (a, b) -> Ops.mul(act.apply(a), b);
    }

    static UnaryOperator<Tensor> actOf(HiddenAct act) {
        return switch (act) {
            case SILU -> Nn::silu;
            case GELU -> x -> Nn.gelu(x, false);
            case GELU_PYTORCH_TANH -> x -> Nn.gelu(x, true);
            case RELU -> Nn::relu;
        };
    }

    /** DENSE: each row [R, H] multiplied by the kernels of its own expert (ids [R], clamped into range; callers mask). */
    static Tensor gathered(Tensor rows, Tensor experts, ExpertWeights w, BinaryOperator<Tensor> act, MoeFusedHooks<Tensor> hooks) {
        Tensor idx = clampIds(experts, w.experts());
        Tensor a = rowDot(rows, Indexing.takeInBounds(w.wi(), idx, 0));
        Tensor b = rowDot(rows, Indexing.takeInBounds(w.wu(), idx, 0));
        Tensor h = hiddenOf(a, b, idx, w, act, hooks);
        Tensor y = rowDot(h, Indexing.takeInBounds(w.wd(), idx, 0));
        if (w.wdBias() != null) y = Ops.add(y, Indexing.takeInBounds(w.wdBias(), idx, 0));
        return hooks.apply(HookPoint.AFTER_WO, y);
    }

    /**
     * Grouped: rows [R, H] sorted by expert, local expert ids [R] ({@code >= groups} past the last group), group
     * sizes [G] i32 for the G experts of {@code w}. Rows past the groups give y = 0 (their bias is masked).
     */
    static Tensor grouped(Tensor rows, Tensor localIds, Tensor groupSizes, ExpertWeights w, BinaryOperator<Tensor> act,
                          MoeFusedHooks<Tensor> hooks) {
        Tensor idx = clampIds(localIds, w.experts());
        Tensor inGroup = Ops.lt(localIds, Ops.full(localIds.shape(), w.experts(), DType.I32)).reshape(localIds.dim(0), 1);
        Tensor a = Linalg.raggedDot(rows, w.wi(), groupSizes, null);
        Tensor b = Linalg.raggedDot(rows, w.wu(), groupSizes, null);
        Tensor live = inGroup.reshape(localIds.dim(0));
        if (w.wiBias() != null) a = Ops.add(a, Indexing.takeInBounds(w.wiBias(), idx, 0));
        if (w.wuBias() != null) b = Ops.add(b, Indexing.takeInBounds(w.wuBias(), idx, 0));
        // rows past the groups are zero (or bias only): the hooks get 1 there (LiveRows), so a row-normalising hook has no 0/0
        Tensor h = LiveRows.apply(hooks, HookPoint.AFTER_WIWU, act.apply(a, b), live);
        h = LiveRows.apply(hooks, HookPoint.BEFORE_WO, h, live);
        Tensor y = Linalg.raggedDot(h, w.wd(), groupSizes, null);
        if (w.wdBias() != null) y = Ops.add(y, Ops.where(inGroup.broadcastTo(y.dims()), Indexing.takeInBounds(w.wdBias(), idx, 0), 0.0));
        return LiveRows.apply(hooks, HookPoint.AFTER_WO, y, live);
    }

    private static Tensor hiddenOf(Tensor a, Tensor b, Tensor idx, ExpertWeights w, BinaryOperator<Tensor> act, MoeFusedHooks<Tensor> hooks) {
        if (w.wiBias() != null) a = Ops.add(a, Indexing.takeInBounds(w.wiBias(), idx, 0));
        if (w.wuBias() != null) b = Ops.add(b, Indexing.takeInBounds(w.wuBias(), idx, 0));
        Tensor h = hooks.apply(HookPoint.AFTER_WIWU, act.apply(a, b));
        return hooks.apply(HookPoint.BEFORE_WO, h);
    }

    /** [R, K] x [R, K, N] -> [R, N], one matrix per row. */
    private static Tensor rowDot(Tensor rows, Tensor kernels) {
        return Linalg.dotGeneral(rows, kernels, new int[]{1}, new int[]{1}, new int[]{0}, new int[]{0}, null);
    }

    static Tensor clampIds(Tensor ids, long experts) {
        return Ops.minimum(Ops.maximum(ids, Ops.full(ids.shape(), 0, DType.I32)), Ops.full(ids.shape(), experts - 1, DType.I32));
    }

    static Tensor fullI32(Tensor like, long value) { return Ops.full(Shape.of(like.dims()), value, DType.I32); }
}
