package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.HookPoint;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeRouter;
import io.hlo4j.dsl.moe.MoeRouting;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Where the expert-parallel layer runs the user's {@link MoeFusedHooks}, on the views EasyDeL gives them
 * ({@link EpTokenViews}): before_gate (x as [B, S, H]), after_gate, normalize_gate_logits and before_topk on all N
 * tokens, as EasyDeL's global view outside its shard_map; select_hook, refine_weights_hook, refine_inputs_hook (told
 * [B/D, S, H]), output_weights_hook and scale_replicated_inputs on the device's dp share, EasyDeL's shard_map block;
 * when a device holds less, what the hook reads is gathered first and the device keeps its own rows of the result.
 * after_ep_receive, after_wiwu, before_wo, after_wo and before_combine see the rows of the device's experts (in
 * TOKEN_SHARDED, on the expert shard that receives them), so they must act on each row by itself; finalize_output
 * sees the global output, as on one device. A hook whose value no device holds whole is refused by name
 * ({@link #requireLocal}).
 */
final class EpHooks {
    private EpHooks() {}

    /**
     * With tp > 1 a device holds M/Q columns of h and a partial sum over tp of y: after_wiwu and before_wo would see
     * a slice, after_wo and before_combine a partial sum, and a hook that is not linear and column-wise would
     * silently compute something else, so they are refused.
     */
    static void requireLocal(MoeFusedHooks<Tensor> hooks, EpLayout layout, Location loc) {
        int q = layout.tpSize();
        if (q == 1) return;
        List<String> bad = new ArrayList<>();
        for (HookPoint p : List.of(HookPoint.AFTER_WIWU, HookPoint.BEFORE_WO, HookPoint.AFTER_WO, HookPoint.BEFORE_COMBINE)) {
            if (hooks.isSet(p)) bad.add(p.value());
        }
        if (!bad.isEmpty()) {
            throw new MoeException("ExpertParallelMoe.withHooks: " + String.join(", ", bad) + " cannot run per device with tp = " + q + " on mesh "
                    + layout.mesh().describe() + ": a device holds M/" + q + " columns of h (after_wiwu, before_wo) and a partial sum over tp of "
                    + "the expert outputs (after_wo, before_combine); use a mesh with tp = 1, or the one-device layer", loc);
        }
    }

    /** The router hooks EasyDeL runs in global view, outside its shard_map. */
    static final List<HookPoint> GLOBAL_ROUTER = List.of(HookPoint.BEFORE_GATE, HookPoint.AFTER_GATE, HookPoint.NORMALIZE_GATE_LOGITS,
            HookPoint.BEFORE_TOPK);

    /**
     * The router for the device's tokens {@code x} [T, H], its hooks on EasyDeL's views: when one of
     * {@link #GLOBAL_ROUTER} is set and the tokens are split, the router's front end runs on all N tokens (x gathered
     * for before_gate, which sees x's global shape {@code xShape}; else the logits gathered), then its results are
     * sliced back to the device's rows; select_hook and refine_weights_hook run on the device's dp share (gathered
     * over the expert axes when those split it). The logits and probabilities returned are the device's.
     */
    static MoeRouting route(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, EpTokenViews v, Tensor x, long[] xShape, UnaryOperator<Tensor> gate,
                            Tensor ids) {
        boolean global = v.allSplit() > 1 && GLOBAL_ROUTER.stream().anyMatch(hooks::isSet);
        boolean share = v.shareSplit() > 1 && (hooks.isSet(HookPoint.SELECT_HOOK) || hooks.isSet(HookPoint.REFINE_WEIGHTS_HOOK));
        boolean gatherX = global && hooks.isSet(HookPoint.BEFORE_GATE);
        Tensor xIn = gatherX ? v.deviceToAll(x) : x;
        // whole when gathered or not split at all: before_gate then sees x's global shape
        boolean whole = gatherX || v.allSplit() == 1;
        Tensor raw = MoeRouter.gateLogits(cfg, hooks, xIn, whole ? xShape : x.dims(), gate);
        if (global && !gatherX) raw = v.deviceToAll(raw);
        MoeRouter.Front f = MoeRouter.front(cfg, hooks, raw, null);
        MoeRouter.Front mine = global ? f.map(v::allToDevice) : f;
        if (!share) return MoeRouter.select(cfg, hooks, mine, ids, 1);
        MoeRouter.Front onShare = global ? f.map(v::allToShare) : mine.map(v::deviceToShare);
        MoeRouting s = MoeRouter.select(cfg, hooks, onShare, v.deviceToShare(ids), 1);
        return new MoeRouting(mine.logits(), mine.probs(), v.shareToDevice(s.experts()), v.shareToDevice(s.weights()), s.slotsK());
    }

    /**
     * refine_inputs_hook on the device's dp share of the tokens (the compute-dtype tokens and their selected weights
     * gathered over the expert axes when those split it), told the share's shape {@code shareShape} ([B/D, S, H] for
     * x [B, S, H], as EasyDeL's shard_map block); the device's rows of the result.
     */
    static Tensor refineInputs(MoeFusedHooks<Tensor> hooks, EpTokenViews v, Tensor tokens, Tensor weights, long[] shareShape) {
        if (hooks.refineInputsHook() == null) return tokens;
        if (v.shareSplit() == 1) return BaseMoeModule.refineTokens(hooks, tokens, weights, shareShape);
        return v.shareToDevice(BaseMoeModule.refineTokens(hooks, v.deviceToShare(tokens), v.deviceToShare(weights), shareShape));
    }

    /** output_weights_hook on the device's dp share of the selected weights [T, k], as EasyDeL's unpermute; the device's rows. */
    static Tensor outputWeights(MoeFusedHooks<Tensor> hooks, EpTokenViews v, Tensor weights) {
        if (!hooks.isSet(HookPoint.OUTPUT_WEIGHTS_HOOK)) return weights;
        if (v.shareSplit() == 1) return hooks.apply(HookPoint.OUTPUT_WEIGHTS_HOOK, weights);
        return v.shareToDevice(hooks.apply(HookPoint.OUTPUT_WEIGHTS_HOOK, v.deviceToShare(weights)));
    }

    /** finalize_output on the global output y shaped like x ({@code shape}), returned [N, H] like {@code y}. */
    static Tensor finalizeOutput(MoeFusedHooks<Tensor> hooks, Tensor y, long[] shape) {
        if (!hooks.isSet(HookPoint.FINALIZE_OUTPUT)) return y;
        return hooks.apply(HookPoint.FINALIZE_OUTPUT, y.reshape(shape)).reshape(y.dims());
    }

    /** finalize_output on a run's global output [N, H], on one device, x's shape {@code shape}. */
    static HostArray finalizeOutput(MoeFusedHooks<Tensor> hooks, HostArray y, long[] shape) {
        if (!hooks.isSet(HookPoint.FINALIZE_OUTPUT)) return y;
        return Jit.jit("moe_ep_finalize_output", a -> finalizeOutput(hooks, (Tensor) a[0], shape)).call1(y);
    }

    /**
     * The cotangent of the layer's output before finalize_output: the VJP of finalize_output at the run's output
     * {@code y} [N, H] of the cotangent {@code ct} of its result, on one device (the hook sees the global output, so
     * its derivative is taken there; the expert-parallel gradients then start from this cotangent).
     */
    static HostArray cotangentBeforeFinalize(MoeFusedHooks<Tensor> hooks, HostArray y, HostArray ct, long[] shape, DType acc) {
        return (HostArray) Jit.jit("moe_ep_finalize_vjp", Grad.grad(a -> {
            Tensor out = finalizeOutput(hooks, (Tensor) a[0], shape);
            return Reductions.sum(Ops.mul(out.astype(acc), ((Tensor) a[1]).astype(acc)), 0, 1);
        }, 0)).call1(y, ct);
    }
}
