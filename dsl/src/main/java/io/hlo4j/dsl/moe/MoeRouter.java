package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;

import java.util.function.UnaryOperator;

/**
 * The router of a MoE layer, traced: the tokens cast to the compute dtype (EasyDeL's FUSED path, for every method),
 * gate logits, softmax in f32 then cast to the compute dtype, and the
 * selection of every routing strategy (moe-semantics.md, Router and Routing strategies), with the hooks
 * before_gate, after_gate, normalize_gate_logits, before_topk, select_hook and refine_weights_hook at their places.
 * Ties: top-k to the lower expert index, expert choice to the lower token index (stable sorts on negated scores).
 */
public final class MoeRouter {
    private MoeRouter() {}

    /**
     * The router's front end, what EasyDeL computes in global view before its shard_map: logits after after_gate
     * [N, E], their f32 softmax, and the scores selection reads (normalize_gate_logits or the softmax cast to the
     * compute dtype, reform, before_topk), all [N, E].
     */
    public record Front(Tensor logits, Tensor probs, Tensor scores) {
        /** Rows [from, from + count) of the three (a static slice). */
        public Front rows(long from, long count) {
            return new Front(rowsOf(logits, from, count), rowsOf(probs, from, count), rowsOf(scores, from, count));
        }

        /** The three with {@code f} applied to each (a gather or a slice of the tokens). */
        public Front map(UnaryOperator<Tensor> f) { return new Front(f.apply(logits), f.apply(probs), f.apply(scores)); }

        private static Tensor rowsOf(Tensor t, long from, long count) {
            return Ops.slice(t, new long[]{from, 0}, new long[]{from + count, t.dim(1)});
        }
    }

    /** {@link #route(MoeConfig, MoeFusedHooks, Tensor, long[], UnaryOperator, UnaryOperator, Tensor, long)} with before_gate on [N, H]. */
    public static MoeRouting route(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, Tensor x, UnaryOperator<Tensor> gate,
                                   UnaryOperator<Tensor> reformRouterProbs, Tensor tokenIds, long seqLen) {
        return route(cfg, hooks, x, x.dims(), gate, reformRouterProbs, tokenIds, seqLen);
    }

    /**
     * @param x tokens [N, H]; cast to the compute dtype before before_gate, so the gate (a user's too) sees them in
     *          that dtype and a linear gate gives logits in it
     * @param layerShape the shape before_gate sees x in: the layer's [B, S, H] (EasyDeL calls it on the hidden state
     *          before flattening), or [N, H]
     * @param gate the gate layer [N, H] -> [N, E]
     * @param reformRouterProbs applied to the compute-dtype probabilities before before_topk, or null
     * @param tokenIds [N] integer ids for HASH, or null (then each token's position in its sequence)
     * @param seqLen S, for the default HASH ids
     */
    public static MoeRouting route(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, Tensor x, long[] layerShape, UnaryOperator<Tensor> gate,
                                   UnaryOperator<Tensor> reformRouterProbs, Tensor tokenIds, long seqLen) {
        Front f = front(cfg, hooks, gateLogits(cfg, hooks, x, layerShape, gate), reformRouterProbs);
        return select(cfg, hooks, f, tokenIds, seqLen);
    }

    /**
     * before_gate on x [N, H] (cast to the compute dtype) seen as {@code layerShape}, then the gate on [N, H]: the raw
     * logits [N, E], checked.
     */
    public static Tensor gateLogits(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, Tensor x, long[] layerShape, UnaryOperator<Tensor> gate) {
        DType compute = computeDtype(cfg);
        long n = x.dim(0), h = x.dim(1);
        int e = cfg.nRoutedExperts();
        Tensor routerIn = hooks.isSet(HookPoint.BEFORE_GATE)
                ? hooks.apply(HookPoint.BEFORE_GATE, x.astype(compute).reshape(layerShape)).reshape(n, h) : x.astype(compute);
        Tensor logits = gate.apply(routerIn);
        if (logits.rank() != 2 || logits.dim(0) != n || logits.dim(1) != e) {
            throw new MoeException("MoeRouter: gate logits " + logits.describe() + " must be [" + n + ", " + e + "] (n_routed_experts = " + e + ")", SourceLoc.here());
        }
        return logits;
    }

    /** after_gate on the raw logits [N, E], the f32 softmax, then the scores (normalize_gate_logits or softmax, reform, before_topk). */
    public static Front front(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, Tensor rawLogits, UnaryOperator<Tensor> reformRouterProbs) {
        DType compute = computeDtype(cfg);
        long n = rawLogits.dim(0);
        int e = cfg.nRoutedExperts();
        Tensor logits = hooks.apply(HookPoint.AFTER_GATE, rawLogits);
        if (logits.rank() != 2 || logits.dim(0) != n || logits.dim(1) != e) {
            throw new MoeException("MoeRouter: gate logits " + logits.describe() + " must be [" + n + ", " + e + "] (n_routed_experts = " + e + ")", SourceLoc.here());
        }
        Tensor probs = Reductions.softmax(logits.astype(accumDtype(cfg)), 1);
        Tensor scores = hooks.isSet(HookPoint.NORMALIZE_GATE_LOGITS)
                ? hooks.apply(HookPoint.NORMALIZE_GATE_LOGITS, logits) : probs.astype(compute);
        if (reformRouterProbs != null) scores = reformRouterProbs.apply(scores);
        scores = hooks.apply(HookPoint.BEFORE_TOPK, scores);
        return new Front(logits, probs, scores);
    }

    /**
     * Selection from the front end's scores (select_hook or the strategy), then refine_weights_hook (the strategy's
     * default when the user set neither): what EasyDeL runs inside its shard_map, on each device's tokens.
     */
    public static MoeRouting select(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, Front f, Tensor tokenIds, long seqLen) {
        DType compute = computeDtype(cfg);
        Tensor logits = f.logits(), probs = f.probs(), scores = f.scores();
        long n = scores.dim(0);
        int e = cfg.nRoutedExperts();
        MoeRoutingStrategy strategy = cfg.routingStrategy();
        int k = cfg.slotsPerToken();
        Tensor experts, weights;
        if (hooks.isSet(HookPoint.SELECT_HOOK)) {
            MoeFusedHooks.Selection<Tensor> s = MoeFusedHooks.requireResult(HookPoint.SELECT_HOOK, hooks.selectHook().select(scores, null, k));
            if (s.experts().rank() != 2 || s.experts().dim(0) != n || !java.util.Arrays.equals(s.weights().dims(), s.experts().dims())) {
                throw new MoeException("MoeRouter: select_hook returned weights " + s.weights().describe() + " and experts "
                        + s.experts().describe() + " for scores " + scores.describe() + "; both must be [" + n
                        + ", slots] (the strategy's own selection is [" + n + ", " + k + "])", SourceLoc.here());
            }
            if (!s.experts().dtype().isInteger()) {
                // a float id would be truncated by the cast below: refuse instead of routing to a silently rounded expert
                throw new MoeException("MoeRouter: select_hook returned expert ids " + s.experts().describe()
                        + "; they must be integers in [0, " + e + ") (the indices of a top-k, not its values)", SourceLoc.here());
            }
            experts = s.experts().astype(DType.I32);
            weights = s.weights();
        } else {
            switch (strategy) {
                case TOP_K, TOP_K_NDIV, SWITCH -> {
                    experts = topKStable(scores, k);
                    weights = Indexing.takeAlongAxisInBounds(scores, experts, 1);
                }
                case HASH -> {
                    Tensor ids = tokenIds != null ? tokenIds.astype(DType.I32).reshape(n, 1)
                            : Ops.rem(Ops.iota(DType.I32, Shape.of(n, 1), 0), Ops.full(Shape.of(n, 1), seqLen, DType.I32));
                    Tensor j = Ops.iota(DType.I32, Shape.of(n, k), 1);
                    Tensor h = Ops.rem(Ops.add(ids.broadcastTo(n, k), j), Ops.full(Shape.of(n, k), e, DType.I32));
                    // ids may be negative; a mathematical mod keeps the expert in [0, E)
                    experts = Ops.rem(Ops.add(h, Ops.full(Shape.of(n, k), e, DType.I32)), Ops.full(Shape.of(n, k), e, DType.I32));
                    weights = Indexing.takeAlongAxisInBounds(scores, experts, 1);
                }
                case EXPERT_CHOICE -> {
                    Tensor[] ec = expertChoice(scores, cfg.expertCapacity((int) n));
                    experts = ec[0];
                    weights = ec[1];
                }
                default -> throw new MoeException("MoeRouter: unknown routing strategy " + strategy, SourceLoc.here());
            }
        }
        MoeFusedHooks<Tensor> withDefaults = hooks.withStrategyDefaults(strategy, cfg.numExpertsPerTok(), TensorWeightAlgebra.INSTANCE);
        // no shape check is needed after this: a select_hook's result is checked above, the strategies build
        // [n, slots] by construction, and apply refuses a refine_weights_hook that changes the shape
        weights = withDefaults.apply(HookPoint.REFINE_WEIGHTS_HOOK, weights);
        MoeRouting r = new MoeRouting(logits, probs, experts, weights.astype(compute), k);
        if (strategy == MoeRoutingStrategy.EXPERT_CHOICE && !hooks.isSet(HookPoint.SELECT_HOOK)) {
            // the 1/k rule fills every slot; unused expert-choice slots keep weight 0
            r = new MoeRouting(logits, probs, experts, Ops.where(r.valid(), r.weights(), 0.0), k);
        }
        return r;
    }

    public static DType computeDtype(MoeConfig cfg) {
        return switch (cfg.dtype()) {
            case BFLOAT16 -> DType.BF16;
            case FLOAT32 -> DType.F32;
            case FLOAT64 -> DType.F64;
        };
    }

    /** Where probabilities, combine sums and losses are accumulated: f32, or f64 for an f64 layer. */
    public static DType accumDtype(MoeConfig cfg) { return cfg.dtype() == MoeDtype.FLOAT64 ? DType.F64 : DType.F32; }

    /**
     * The k best columns of each row, descending, equal scores to the lower index: a stable sort of -scores in total
     * order, which is {@code lax.top_k}'s ranking (a NaN score first, 0.0 above -0.0), as EasyDeL selects.
     */
    static Tensor topKStable(Tensor scores, int k) {
        Tensor order = Indexing.argsortTotalOrder(Ops.neg(scores), 1);
        return Ops.slice(order, new long[]{0, 0}, new long[]{scores.dim(0), k});
    }

    /**
     * Each expert takes its c best tokens (ties to the lower token); returns the token-major view: experts [N, E]
     * with the experts that chose each token in ascending order then -1, and their scores (0 when unused).
     */
    static Tensor[] expertChoice(Tensor scores, int capacity) {
        long n = scores.dim(0), e = scores.dim(1);
        Tensor byExpert = Indexing.argsortTotalOrder(Ops.neg(scores.transpose(1, 0)), 1);              // [E, N]
        Tensor rank = Indexing.argsort(byExpert, 1);                                           // rank of token t for expert e
        Tensor chosenEN = Ops.lt(rank, Ops.full(rank.shape(), capacity, DType.I32));            // [E, N]
        Tensor chosen = chosenEN.transpose(1, 0);                                              // [N, E]
        // stable sort on (not chosen): chosen experts first, each group in ascending expert order
        Tensor order = Indexing.argsort(Ops.logicalNot(chosen).astype(DType.I32), 1);          // [N, E]
        Tensor used = Indexing.takeAlongAxisInBounds(chosen, order, 1);
        Tensor experts = Ops.where(used, order, Ops.full(order.shape(), MoeMetrics.UNUSED_SLOT, DType.I32));
        Tensor w = Ops.where(used, Indexing.takeAlongAxisInBounds(scores, order, 1), 0.0);
        return new Tensor[]{experts, w};
    }
}
