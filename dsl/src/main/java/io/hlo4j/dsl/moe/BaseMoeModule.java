package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Tensor;

import java.util.Optional;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

/**
 * The MoE layer of moe-semantics.md as a traced DSL computation: router, the strategy's weights, the expert FFN by
 * one of three methods that compute the same function, the f32 combine, losses and metrics, and every hook at its
 * place. Model blocks extend this class (they hold a config and hooks and call {@link #moeCall}).
 *
 * <p>Methods: DENSE gathers each row's expert kernels; STANDARD sorts rows globally by expert, runs {@code raggedDot}
 * and unpermutes; FUSED is {@link #fusedShard}, a per-shard function over the expert mesh (expert-sorted local rows,
 * group sizes, {@code raggedDot}, a weighted scatter-add combine in f32) whose partial outputs sum over shards.
 */
public class BaseMoeModule {
    protected final MoeConfig config;
    protected final MoeFusedHooks<Tensor> hooks;

    public BaseMoeModule(MoeConfig config, MoeFusedHooks<Tensor> hooks) {
        if (config == null) throw new MoeException("BaseMoeModule: config is required", SourceLoc.here());
        this.config = config;
        this.hooks = hooks == null ? MoeFusedHooks.none() : hooks;
    }

    public MoeConfig config() { return config; }
    public MoeFusedHooks<Tensor> hooks() { return hooks; }

    /**
     * The gate as a bias-free linear: [N, H] x kernel [H, E] in the dtype of x (the router hands it x in the compute
     * dtype). For bf16 or f16 x the kernel is cast to that dtype and the product is one {@code stablehlo.dot_general}
     * with a {@code tensor<NxExf32>} result (f32 accumulation, as EasyDeL's bf16 linear on an accelerator), followed by
     * a {@code stablehlo.convert} back to x's dtype: the logits are rounded to the compute dtype once. For f32 and
     * f64 x, a plain dot_general in that dtype.
     */
    public static UnaryOperator<Tensor> linearGate(Tensor kernel) {
        return x -> {
            Tensor k = kernel.astype(x.dtype());
            boolean narrow = x.dtype() == DType.BF16 || x.dtype() == DType.F16;
            return narrow ? Linalg.matmul(x, k, DType.F32).astype(x.dtype()) : Linalg.matmul(x, k);
        };
    }

    /** {@link #moeCall(Tensor, UnaryOperator, ExpertWeights, BinaryOperator, UnaryOperator, UnaryOperator, boolean, int, Tensor)} with defaults. */
    public MoeOutput moeCall(Tensor hiddenState, UnaryOperator<Tensor> gateLayer, ExpertWeights experts, boolean outputMetrics) {
        return moeCall(hiddenState, gateLayer, experts, null, null, null, outputMetrics, 0, null);
    }

    /** With token ids [B, S] (integers) for HASH routing (refused for other strategies); the other arguments at their defaults. */
    public MoeOutput moeCall(Tensor hiddenState, UnaryOperator<Tensor> gateLayer, ExpertWeights experts, Tensor tokenIds, boolean outputMetrics) {
        return moeCall(hiddenState, gateLayer, experts, null, null, null, outputMetrics, 0, tokenIds);
    }

    /**
     * The seed's {@code moe_call}.
     *
     * @param hiddenState [B, S, H]
     * @param gateLayer [N, H] -> [N, E] logits
     * @param ffnActivation (a, b) -> h, or null for act_fn(a) * b
     * @param actFn the activation, or null for the config's hidden_act
     * @param reformRouterProbsFn applied to the router probabilities before selection, or null
     * @param layerIdx the layer's index (names the layer in errors)
     * @param tokenIds [B, S] integer ids for HASH routing, or null (positions within the sequence); refused for other strategies
     */
    public MoeOutput moeCall(Tensor hiddenState, UnaryOperator<Tensor> gateLayer, ExpertWeights experts,
                             BinaryOperator<Tensor> ffnActivation, UnaryOperator<Tensor> actFn,
                             UnaryOperator<Tensor> reformRouterProbsFn, boolean outputMetrics, int layerIdx, Tensor tokenIds) {
        String where = "moeCall (layer " + layerIdx + ", " + config.moeMethod() + ")";
        if (hiddenState.rank() != 3) throw new MoeException(where + ": hidden state " + hiddenState.describe() + " must be [B, S, H]", SourceLoc.here());
        long b = hiddenState.dim(0), s = hiddenState.dim(1), h = hiddenState.dim(2), n = b * s;
        if (h != config.hiddenSize() || experts.hidden() != h) {
            throw new MoeException(where + ": hidden size " + h + " of " + hiddenState.describe() + " must equal hidden_size "
                    + config.hiddenSize() + " and the experts' " + experts.hidden(), SourceLoc.here());
        }
        if (experts.experts() != config.nRoutedExperts()) {
            throw new MoeException(where + ": expert kernels hold " + experts.experts() + " experts, n_routed_experts is " + config.nRoutedExperts(), SourceLoc.here());
        }
        requireHashForTokenIds(config, where, tokenIds == null ? null : tokenIds.describe());
        if (tokenIds != null) {
            requireTokenIdLayout(where, tokenIds.describe(), tokenIds.dtype().isInteger(), tokenIds.dims(), new long[]{b, s},
                    hiddenState.describe(), SourceLoc.here());
        }
        DType compute = MoeRouter.computeDtype(config);
        // EasyDeL's FUSED path: the hidden state in the compute dtype feeds both the gate (bf16 logits in a bf16 run)
        // and the experts
        Tensor x = hiddenState.astype(compute).reshape(n, h);
        MoeRouting r = MoeRouter.route(config, hooks, x, hiddenState.dims(), gateLayer, reformRouterProbsFn, tokenIds == null ? null : tokenIds.reshape(n), s);
        ExpertWeights w = castWeights(experts, compute);
        BinaryOperator<Tensor> act = ExpertFfn.activation(config, ffnActivation, actFn);

        Tensor tokens = refineTokens(hooks, x, r.weights(), hiddenState.dims());
        Tensor combineWeights = hooks.apply(HookPoint.OUTPUT_WEIGHTS_HOOK, r.weights());
        Tensor out = switch (config.moeMethod()) {
            case DENSE_MOE -> dense(tokens, r, combineWeights, w, act);
            case STANDARD_MOE -> standard(tokens, r, combineWeights, w, act);
            case FUSED_MOE -> fusedShard(tokens, r.experts(), r.weights(), combineWeights, w, act, ExpertShard.SINGLE);
        };
        Tensor y = hooks.apply(HookPoint.FINALIZE_OUTPUT, out.astype(compute).reshape(b, s, h));
        Optional<MoeMetrics<Tensor>> m = outputMetrics ? Optional.of(MoeLosses.metrics(config, r)) : Optional.empty();
        return new MoeOutput(y, r.logits(), m);
    }

    /**
     * Token ids steer only HASH routing (as in EasyDeL, whose layer takes them for hash routing alone); given with
     * any other strategy they would be dropped unread, so they are refused, naming the strategy and the argument.
     *
     * @param ids the ids' description, or null when none were given
     */
    public static void requireHashForTokenIds(MoeConfig config, String where, String ids) {
        if (ids != null && config.routingStrategy() != MoeRoutingStrategy.HASH) {
            throw new MoeException(where + ": token ids " + ids + " given, but routing_strategy is "
                    + config.routingStrategy().value() + "; only hash routing reads token ids (pass null, or use hash routing)",
                    SourceLoc.here());
        }
    }

    /** Token ids are integers laid out like x's tokens ({@code want}: [B, S] for x [B, S, H], [N] for x [N, H]). */
    public static void requireTokenIdLayout(String where, String ids, boolean integer, long[] dims, long[] want, String x,
                                            io.hlo4j.mlir.ir.Location loc) {
        if (!integer || !java.util.Arrays.equals(dims, want)) {
            throw new MoeException(where + ": token ids " + ids + " must be integers " + java.util.Arrays.toString(want) + " for x " + x
                    + " (one id per token, laid out like x's tokens)", loc);
        }
    }

    /** The expert activation h = ffn_activation(a, b), by default act_fn(a) * b with act_fn from hidden_act. */
    public static BinaryOperator<Tensor> activation(MoeConfig cfg, BinaryOperator<Tensor> ffnActivation, UnaryOperator<Tensor> actFn) {
        return ExpertFfn.activation(cfg, ffnActivation, actFn);
    }

    /**
     * refine_inputs_hook on tokens [N, H] (in the compute dtype) with their selected weights, told the shape
     * {@code shape} (the layer's [B, S, H]; a device's [T, H] under expert parallelism); the tokens unchanged when
     * unset. Another floating dtype is allowed: it is cast back after scale_replicated_inputs, as EasyDeL does
     * ({@link #replicateRows}). Shared by the one-device layer and the expert-parallel body.
     */
    public static Tensor refineTokens(MoeFusedHooks<Tensor> hooks, Tensor tokens, Tensor weights, long[] shape) {
        if (hooks.refineInputsHook() == null) return tokens;
        Tensor refined = hooks.refineInputsHook().refine(tokens, weights, shape);
        MoeFusedHooks.requireSameShape(HookPoint.REFINE_INPUTS_HOOK, "tokens ", tokens, refined);
        MoeFusedHooks.requireFloating(HookPoint.REFINE_INPUTS_HOOK, "tokens ", tokens, refined);
        return refined;
    }

    // ------------------------------------------------------------------ the three methods

    /** Tokens [N, H] replicated to rows [N*slots, H] (token-major), after scale_replicated_inputs, in the compute dtype. */
    private Tensor replicate(Tensor tokens, Tensor selectionWeights) {
        return replicateRows(hooks, tokens, selectionWeights, MoeRouter.computeDtype(config));
    }

    /**
     * Tokens [N, H] (refine_inputs_hook's result, in any floating dtype) replicated to rows [N*slots, H], token-major,
     * then scale_replicated_inputs with the flat selection weights [N*slots], then cast to the compute dtype: the one
     * place EasyDeL casts the rows back ({@code xr[order].astype(dtype)}), so both hooks may return another floating
     * dtype and the hook after refine_inputs_hook sees its rows uncast. Shared by every method and the
     * expert-parallel path.
     */
    public static Tensor replicateRows(MoeFusedHooks<Tensor> hooks, Tensor tokens, Tensor selectionWeights, DType compute) {
        long n = tokens.dim(0), h = tokens.dim(1), k = selectionWeights.dim(1);
        Tensor rows = tokens.reshape(n, 1, h).broadcastTo(n, k, h).reshape(n * k, h);
        return scaleRows(hooks, rows, selectionWeights.reshape(n * k), compute);
    }

    /**
     * scale_replicated_inputs on rows [R, H] (in the dtype refine_inputs_hook returned) with their selected weights
     * [R], then the cast to the compute dtype; only the cast when the hook is unset. Shared by {@link #replicateRows}
     * and token-sharded dispatch (which scales on the receiving shard).
     */
    public static Tensor scaleRows(MoeFusedHooks<Tensor> hooks, Tensor rows, Tensor weights, DType compute) {
        if (hooks.scaleReplicatedInputs() != null) {
            Tensor scaled = hooks.scaleReplicatedInputs().apply(rows, weights);
            MoeFusedHooks.requireSameShape(HookPoint.SCALE_REPLICATED_INPUTS, "rows ", rows, scaled);
            MoeFusedHooks.requireFloating(HookPoint.SCALE_REPLICATED_INPUTS, "rows ", rows, scaled);
            rows = scaled;
        }
        return rows.astype(compute);
    }

    private Tensor dense(Tensor tokens, MoeRouting r, Tensor combineWeights, ExpertWeights w, BinaryOperator<Tensor> act) {
        long n = tokens.dim(0), h = tokens.dim(1), k = r.slots();
        Tensor rows = hooks.apply(HookPoint.AFTER_EP_RECEIVE, replicate(tokens, r.weights()));
        Tensor y = ExpertFfn.gathered(rows, r.experts().reshape(n * k), w, act, hooks);
        return combineSlots(y.reshape(n, k, h), combineWeights, r.valid());
    }

    private Tensor standard(Tensor tokens, MoeRouting r, Tensor combineWeights, ExpertWeights w, BinaryOperator<Tensor> act) {
        long n = tokens.dim(0), h = tokens.dim(1), k = r.slots(), rowsN = n * k;
        int e = config.nRoutedExperts();
        Tensor ids = r.experts().reshape(rowsN);
        Tensor key = Ops.where(Ops.ge(ids, ExpertFfn.fullI32(ids, 0)), ids, ExpertFfn.fullI32(ids, e)); // unused rows last
        Tensor perm = Indexing.argsort(key, 0);
        Tensor rows = replicate(tokens, r.weights());
        Tensor sortedKey = Indexing.takeInBounds(key, perm, 0);
        Tensor sorted = LiveRows.apply(hooks, HookPoint.AFTER_EP_RECEIVE, Indexing.takeInBounds(rows, perm, 0), Ops.lt(sortedKey, ExpertFfn.fullI32(sortedKey, e)));
        Tensor groupSizes = Indexing.bincount(ids, e);
        Tensor ySorted = ExpertFfn.grouped(sorted, sortedKey, groupSizes, w, act, hooks);
        Tensor y = Indexing.takeInBounds(ySorted, Indexing.argsort(perm, 0), 0);
        return combineSlots(y.reshape(n, k, h), combineWeights, r.valid());
    }

    /**
     * before_combine, then the weighted sum over slots in f32: [N, k, H] x [N, k] -> [N, H] f32. Unused slots
     * ({@code valid} false) are weighted 0 before the hook and dropped after it, as FUSED drops them
     * ({@link LiveRows#weighted}), so the three methods agree whatever the hook does to the weights.
     */
    private Tensor combineSlots(Tensor outputs, Tensor weights, Tensor valid) {
        return Reductions.sum(LiveRows.weighted(hooks, outputs, weights, valid, MoeRouter.accumDtype(config)), 1);
    }

    /**
     * FUSED on one shard of the expert mesh: the rows of every token this shard routes, those of the shard's experts
     * sorted by expert, {@code raggedDot} with the shard's kernels {@code local} (its E/count experts), and a
     * weighted scatter-add into a partial [N, H] f32 output. Summing the partial outputs over the shards (a psum over
     * the expert axis) gives the layer's output; on a 1-device mesh the only shard's partial is the output.
     * before_combine sees the shard's expert-sorted rows [R, H] and their weights [R].
     *
     * @param experts global expert ids [N, slots] (-1 unused)
     * @param selectionWeights weights [N, slots] as selected (for scale_replicated_inputs)
     * @param combineWeights weights [N, slots] after output_weights_hook
     */
    public Tensor fusedShard(Tensor tokens, Tensor experts, Tensor selectionWeights, Tensor combineWeights, ExpertWeights local,
                             BinaryOperator<Tensor> act, ExpertShard shard) {
        long n = tokens.dim(0), h = tokens.dim(1), k = experts.dim(1), rowsN = n * k;
        int e = config.nRoutedExperts();
        int lo = shard.firstExpert(e), le = shard.localExperts(e);
        if (local.experts() != le) {
            throw new MoeException("fusedShard: shard " + shard + " owns " + le + " experts but its kernels hold " + local.experts(), SourceLoc.here());
        }
        Tensor ids = experts.reshape(rowsN);
        Tensor localIds = Ops.sub(ids, ExpertFfn.fullI32(ids, lo));
        Tensor mine = Ops.logicalAnd(Ops.ge(localIds, ExpertFfn.fullI32(ids, 0)), Ops.lt(localIds, ExpertFfn.fullI32(ids, le)));
        Tensor key = Ops.where(mine, localIds, ExpertFfn.fullI32(ids, le));     // other shards' and unused rows last
        Tensor perm = Indexing.argsort(key, 0);
        Tensor rows = replicate(tokens, selectionWeights);
        Tensor mineSorted = Indexing.takeInBounds(mine, perm, 0);
        Tensor sorted = LiveRows.apply(hooks, HookPoint.AFTER_EP_RECEIVE, Indexing.takeInBounds(rows, perm, 0), mineSorted);
        Tensor sortedKey = Indexing.takeInBounds(key, perm, 0);
        Tensor groupSizes = Indexing.bincount(key, le);
        Tensor y = ExpertFfn.grouped(sorted, sortedKey, groupSizes, local, act, hooks);
        // rows of other shards (and unused slots) stay out whatever the hooks did: each pair is combined on its own shard
        Tensor weighted = LiveRows.weighted(hooks, y, Indexing.takeInBounds(combineWeights.reshape(rowsN), perm, 0), mineSorted,
                MoeRouter.accumDtype(config));
        DType acc = MoeRouter.accumDtype(config);
        Tensor tokenOfRow = Ops.div(perm, ExpertFfn.fullI32(perm, k));
        return Indexing.scatterAdd(Ops.zeros(io.hlo4j.dsl.Shape.of(n, h), acc), tokenOfRow, weighted, 0);
    }

    private static ExpertWeights castWeights(ExpertWeights w, DType d) {
        return new ExpertWeights(w.wi().astype(d), w.wu().astype(d), w.wd().astype(d), cast(w.wiBias(), d), cast(w.wuBias(), d),
                cast(w.wdBias(), d));
    }

    private static Tensor cast(Tensor t, DType d) { return t == null ? null : t.astype(d); }
}
