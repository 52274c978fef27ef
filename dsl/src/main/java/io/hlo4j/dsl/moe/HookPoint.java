package io.hlo4j.dsl.moe;

/**
 * The places where {@link MoeFusedHooks} may change a MoE layer's computation, in call order (moe-semantics.md,
 * Hooks; the last three are EasyDeL's extra points). Every execution method calls each set hook at its place.
 */
public enum HookPoint {
    /** router input before the gate: the hidden state [B, S, H] (EasyDeL's view; [N, H] where the layer is given [N, H]). */
    BEFORE_GATE("before_gate"),
    /** gate logits [N, E]; the result is what is returned as router logits. */
    AFTER_GATE("after_gate"),
    /** replaces the f32 softmax that turns logits into scores (EasyDeL extra). */
    NORMALIZE_GATE_LOGITS("normalize_gate_logits"),
    /** scores [N, E] right before selection. */
    BEFORE_TOPK("before_topk"),
    /** replaces the strategy's selection: (scores, pre-bias logits or null, k) -> (weights, expert ids). */
    SELECT_HOOK("select_hook"),
    /** weights [N, k] right after selection; the strategy's default weight rule is installed here. */
    REFINE_WEIGHTS_HOOK("refine_weights_hook"),
    /** tokens [N, H] with their weights, before replication to rows. */
    REFINE_INPUTS_HOOK("refine_inputs_hook"),
    /** replicated rows [N*k, H] with flat weights [N*k], before sorting (EasyDeL extra). */
    SCALE_REPLICATED_INPUTS("scale_replicated_inputs"),
    /** rows received from other expert shards, before the expert FFN. */
    AFTER_EP_RECEIVE("after_ep_receive"),
    /** the intermediate h = ffn_activation(a, b). */
    AFTER_WIWU("after_wiwu"),
    /** h right before the down projection. */
    BEFORE_WO("before_wo"),
    /** expert outputs after the down projection (and its bias). */
    AFTER_WO("after_wo"),
    /** weights [N, k] used by the weighted sum (EasyDeL extra). */
    OUTPUT_WEIGHTS_HOOK("output_weights_hook"),
    /** expert outputs [N, k, H] and weights [N, k] before the weighted sum. */
    BEFORE_COMBINE("before_combine"),
    /** the final [B, S, H] output. */
    FINALIZE_OUTPUT("finalize_output");

    private final String value;

    HookPoint(String value) {
        this.value = value;
    }

    /** The seed's field name. */
    public String value() { return value; }

    @Override
    public String toString() { return value; }
}
