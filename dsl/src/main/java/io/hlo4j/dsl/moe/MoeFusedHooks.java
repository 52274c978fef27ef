package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.SourceLoc;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

/**
 * The user's hooks into a MoE layer, one optional function per {@link HookPoint}, over the caller's array type
 * {@code T}. Immutable: every {@code with...} (the seed's {@code replace}) returns a changed copy. Unlike
 * EasyDeL, installing a strategy's default weight rule never mutates the hooks a module holds; it returns a copy
 * ({@link #withStrategyDefaults}).
 */
public final class MoeFusedHooks<T> {
    /** (weights, expert ids) from a select hook, both [N, k]. */
    public record Selection<T>(T weights, T experts) {
        public Selection {
            Objects.requireNonNull(weights, "Selection.weights");
            Objects.requireNonNull(experts, "Selection.experts");
        }
    }

    /** Expert outputs [N, k, H] and weights [N, k] before the weighted sum. */
    public record CombineInputs<T>(T outputs, T weights) {
        public CombineInputs {
            Objects.requireNonNull(outputs, "CombineInputs.outputs");
            Objects.requireNonNull(weights, "CombineInputs.weights");
        }
    }

    @FunctionalInterface
    public interface SelectHook<T> {
        /** @param preBiasLogits the logits before any correction bias, or null */
        Selection<T> select(T scores, T preBiasLogits, int k);
    }

    @FunctionalInterface
    public interface RefineInputsHook<T> {
        T refine(T tokens2d, T weights, long[] originalShape);
    }

    @FunctionalInterface
    public interface CombineHook<T> {
        CombineInputs<T> apply(T outputs, T weights);
    }

    private static final MoeFusedHooks<?> NONE = new MoeFusedHooks<>(new EnumMap<>(HookPoint.class), null);

    private final Map<HookPoint, Object> hooks;
    private final MoeWeightRule installedDefault;

    private MoeFusedHooks(EnumMap<HookPoint, Object> hooks, MoeWeightRule installedDefault) {
        this.hooks = hooks;
        this.installedDefault = installedDefault;
    }

    /** No hooks at all. */
    @SuppressWarnings("unchecked")
    public static <T> MoeFusedHooks<T> none() {
        return (MoeFusedHooks<T>) NONE;
    }

    public boolean isSet(HookPoint point) {
        return hooks.containsKey(point);
    }

    /** The default weight rule {@link #withStrategyDefaults} installed as refine_weights_hook, if it did. */
    public Optional<MoeWeightRule> installedDefault() {
        return Optional.ofNullable(installedDefault);
    }

    // ------------------------------------------------------------------ getters (null when unset)

    public UnaryOperator<T> beforeGate() { return unary(HookPoint.BEFORE_GATE); }
    public UnaryOperator<T> afterGate() { return unary(HookPoint.AFTER_GATE); }
    public UnaryOperator<T> normalizeGateLogits() { return unary(HookPoint.NORMALIZE_GATE_LOGITS); }
    public UnaryOperator<T> beforeTopk() { return unary(HookPoint.BEFORE_TOPK); }
    @SuppressWarnings("unchecked")
    public SelectHook<T> selectHook() { return (SelectHook<T>) hooks.get(HookPoint.SELECT_HOOK); }
    public UnaryOperator<T> refineWeightsHook() { return unary(HookPoint.REFINE_WEIGHTS_HOOK); }
    @SuppressWarnings("unchecked")
    public RefineInputsHook<T> refineInputsHook() { return (RefineInputsHook<T>) hooks.get(HookPoint.REFINE_INPUTS_HOOK); }
    @SuppressWarnings("unchecked")
    public BinaryOperator<T> scaleReplicatedInputs() { return (BinaryOperator<T>) hooks.get(HookPoint.SCALE_REPLICATED_INPUTS); }
    public UnaryOperator<T> afterEpReceive() { return unary(HookPoint.AFTER_EP_RECEIVE); }
    public UnaryOperator<T> afterWiwu() { return unary(HookPoint.AFTER_WIWU); }
    public UnaryOperator<T> beforeWo() { return unary(HookPoint.BEFORE_WO); }
    public UnaryOperator<T> afterWo() { return unary(HookPoint.AFTER_WO); }
    public UnaryOperator<T> outputWeightsHook() { return unary(HookPoint.OUTPUT_WEIGHTS_HOOK); }
    @SuppressWarnings("unchecked")
    public CombineHook<T> beforeCombine() { return (CombineHook<T>) hooks.get(HookPoint.BEFORE_COMBINE); }
    public UnaryOperator<T> finalizeOutput() { return unary(HookPoint.FINALIZE_OUTPUT); }

    // ------------------------------------------------------------------ applying (identity when unset)

    /** Applies a unary hook point if set; {@code x} unchanged otherwise. */
    public T apply(HookPoint point, T x) {
        UnaryOperator<T> f = unary(point);
        if (f == null) return x;
        T y = f.apply(x);
        requireSameShape(point, "", x, y);
        if (KEEPS_DTYPE.contains(point)) requireSameDtype(point, "", x, y);
        return y;
    }

    /**
     * The points whose result feeds an expert matmul with no cast after it, in hlo4j as in EasyDeL (which never calls
     * after_ep_receive or after_wiwu, and whose DENSE einsum after before_wo would silently promote to the hook's
     * dtype): a different dtype is refused at the hook, naming it, instead of failing later at an unrelated op
     * ("raggedDot: dtypes differ") or changing the layer's precision unasked. The rest may change dtype: their result
     * is cast (the rows after refine_inputs_hook and scale_replicated_inputs, cast once after the latter as EasyDeL's
     * {@code xr[order].astype(dtype)}: {@link BaseMoeModule#scaleRows}; the routing weights; the output) or sets the
     * dtype of what follows (after_gate's logits).
     */
    public static final java.util.Set<HookPoint> KEEPS_DTYPE = java.util.Collections.unmodifiableSet(java.util.EnumSet.of(
            HookPoint.AFTER_EP_RECEIVE, HookPoint.AFTER_WIWU, HookPoint.BEFORE_WO));

    /** Refuses a hook result whose element type differs from what the hook was given (see {@link #KEEPS_DTYPE}). */
    public static void requireSameDtype(HookPoint point, String what, Object given, Object returned) {
        Object in = elementType(given), out = elementType(returned);
        if (in != null && out != null && !in.equals(out)) {
            throw new MoeException("MoeFusedHooks: " + point + " returned " + what + describe(returned) + " for " + what
                    + describe(given) + "; this hook must return the dtype it is given (cast its result back with astype)",
                    SourceLoc.here());
        }
    }

    /**
     * Refuses a hook result that is not floating point at refine_inputs_hook or scale_replicated_inputs (whose rows are cast to the compute dtype): rows of integers or booleans
     * are no hidden states, and casting them to the compute dtype would hide the mistake.
     */
    public static void requireFloating(HookPoint point, String what, Object given, Object returned) {
        if (returned instanceof io.hlo4j.dsl.Tensor t && !t.dtype().isFloat()) {
            throw new MoeException("MoeFusedHooks: " + point + " returned " + what + describe(returned) + " for " + what
                    + describe(given) + "; this hook must return floating-point rows (they are cast to the layer's compute dtype)",
                    SourceLoc.here());
        }
    }

    /** Refuses a hook that returned null where a record (a selection, combine inputs) was expected. */
    public static <R> R requireResult(HookPoint point, R returned) {
        if (returned == null) {
            throw new MoeException("MoeFusedHooks: " + point + " returned null; it must return a "
                    + (point == HookPoint.SELECT_HOOK ? "Selection(weights, experts)" : "CombineInputs(outputs, weights)"),
                    SourceLoc.here());
        }
        return returned;
    }

    private static Object elementType(Object v) {
        if (v instanceof io.hlo4j.dsl.Tensor t) return t.dtype();
        if (v instanceof io.hlo4j.runtime.array.HostArray a) return a.type().elementType();
        return null;
    }

    /**
     * Every hook keeps the shape of what it is given (its dtype may change except at {@link #KEEPS_DTYPE}): a wrong shape would otherwise surface
     * as an unrelated op's error several steps later, or not at all (a shorter row set, a smaller output). Refused
     * here, naming the hook point, both shapes and the caller's line. Checks DSL tensors and host arrays.
     *
     * @param what which argument, for hooks with several ("outputs "), or ""
     */
    public static void requireSameShape(HookPoint point, String what, Object given, Object returned) {
        long[] in = dims(given), out = dims(returned);
        if (returned == null || in != null && out != null && !java.util.Arrays.equals(in, out)) {
            throw new MoeException("MoeFusedHooks: " + point + " returned " + what + describe(returned) + " for " + what
                    + describe(given) + "; a hook must return the shape it is given", SourceLoc.here());
        }
    }

    private static long[] dims(Object v) {
        if (v instanceof io.hlo4j.dsl.Tensor t) return t.dims();
        if (v instanceof io.hlo4j.runtime.array.HostArray a) return a.shape();
        return null;
    }

    private static String describe(Object v) {
        if (v == null) return "null";
        if (v instanceof io.hlo4j.dsl.Tensor t) return t.describe();
        long[] d = dims(v);
        return d == null ? v.toString() : ((io.hlo4j.runtime.array.HostArray) v).type().elementType() + java.util.Arrays.toString(d);
    }

    // ------------------------------------------------------------------ copies

    public MoeFusedHooks<T> withBeforeGate(UnaryOperator<T> f) { return with(HookPoint.BEFORE_GATE, f); }
    public MoeFusedHooks<T> withAfterGate(UnaryOperator<T> f) { return with(HookPoint.AFTER_GATE, f); }
    public MoeFusedHooks<T> withNormalizeGateLogits(UnaryOperator<T> f) { return with(HookPoint.NORMALIZE_GATE_LOGITS, f); }
    public MoeFusedHooks<T> withBeforeTopk(UnaryOperator<T> f) { return with(HookPoint.BEFORE_TOPK, f); }
    public MoeFusedHooks<T> withSelectHook(SelectHook<T> f) { return with(HookPoint.SELECT_HOOK, f); }
    public MoeFusedHooks<T> withRefineWeightsHook(UnaryOperator<T> f) { return with(HookPoint.REFINE_WEIGHTS_HOOK, f); }
    public MoeFusedHooks<T> withRefineInputsHook(RefineInputsHook<T> f) { return with(HookPoint.REFINE_INPUTS_HOOK, f); }
    public MoeFusedHooks<T> withScaleReplicatedInputs(BinaryOperator<T> f) { return with(HookPoint.SCALE_REPLICATED_INPUTS, f); }
    public MoeFusedHooks<T> withAfterEpReceive(UnaryOperator<T> f) { return with(HookPoint.AFTER_EP_RECEIVE, f); }
    public MoeFusedHooks<T> withAfterWiwu(UnaryOperator<T> f) { return with(HookPoint.AFTER_WIWU, f); }
    public MoeFusedHooks<T> withBeforeWo(UnaryOperator<T> f) { return with(HookPoint.BEFORE_WO, f); }
    public MoeFusedHooks<T> withAfterWo(UnaryOperator<T> f) { return with(HookPoint.AFTER_WO, f); }
    public MoeFusedHooks<T> withOutputWeightsHook(UnaryOperator<T> f) { return with(HookPoint.OUTPUT_WEIGHTS_HOOK, f); }
    public MoeFusedHooks<T> withBeforeCombine(CombineHook<T> f) { return with(HookPoint.BEFORE_COMBINE, f); }
    public MoeFusedHooks<T> withFinalizeOutput(UnaryOperator<T> f) { return with(HookPoint.FINALIZE_OUTPUT, f); }

    /** A copy without the hook at {@code point}. */
    public MoeFusedHooks<T> without(HookPoint point) {
        if (!isSet(point)) return this;
        EnumMap<HookPoint, Object> copy = new EnumMap<>(HookPoint.class);
        copy.putAll(hooks);
        copy.remove(point);
        return new MoeFusedHooks<>(copy, point == HookPoint.REFINE_WEIGHTS_HOOK ? null : installedDefault);
    }

    /**
     * These hooks plus the strategy's default weight rule as refine_weights_hook, only when neither select_hook
     * nor refine_weights_hook is set (moe-semantics.md); otherwise these hooks unchanged.
     */
    public MoeFusedHooks<T> withStrategyDefaults(MoeRoutingStrategy strategy, int k, WeightAlgebra<T> ops) {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(ops, "ops");
        if (isSet(HookPoint.SELECT_HOOK) || isSet(HookPoint.REFINE_WEIGHTS_HOOK)) return this;
        MoeWeightRule rule = MoeWeightRule.forStrategy(strategy);
        int slotsK = strategy == MoeRoutingStrategy.SWITCH ? 1 : k;
        UnaryOperator<T> refine = w -> rule.apply(ops, w, slotsK);
        EnumMap<HookPoint, Object> copy = new EnumMap<>(HookPoint.class);
        copy.putAll(hooks);
        copy.put(HookPoint.REFINE_WEIGHTS_HOOK, refine);
        return new MoeFusedHooks<>(copy, rule);
    }

    private MoeFusedHooks<T> with(HookPoint point, Object f) {
        if (f == null) {
            throw new MoeException("MoeFusedHooks: hook " + point + " must not be null (use without(" + point.name()
                    + ") to remove it)", SourceLoc.here());
        }
        EnumMap<HookPoint, Object> copy = new EnumMap<>(HookPoint.class);
        copy.putAll(hooks);
        copy.put(point, f);
        // a user-set refine_weights_hook replaces an installed default
        return new MoeFusedHooks<>(copy, point == HookPoint.REFINE_WEIGHTS_HOOK ? null : installedDefault);
    }

    @SuppressWarnings("unchecked")
    private UnaryOperator<T> unary(HookPoint point) {
        Object f = hooks.get(point);
        if (f == null) return null;
        if (f instanceof UnaryOperator<?> u) return (UnaryOperator<T>) u;
        throw new MoeException("MoeFusedHooks: hook " + point + " is not a one-argument hook", SourceLoc.here());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MoeFusedHooks<?> h && hooks.equals(h.hooks) && installedDefault == h.installedDefault;
    }

    @Override
    public int hashCode() {
        return hooks.hashCode() * 31 + Objects.hashCode(installedDefault);
    }

    @Override
    public String toString() {
        return "MoeFusedHooks" + hooks.keySet() + (installedDefault == null ? "" : " default=" + installedDefault);
    }
}
