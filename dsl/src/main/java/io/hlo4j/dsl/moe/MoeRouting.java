package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;

/**
 * What the router decided for N tokens, as traced tensors.
 *
 * @param logits router logits [N, E] after the after_gate hook (what the layer returns as router logits)
 * @param probs f32 softmax of the logits [N, E] (pre-selection probabilities, used by losses and metrics)
 * @param experts expert ids [N, slots] i32; {@link MoeMetrics#UNUSED_SLOT} marks an unused expert-choice slot
 * @param weights combine weights [N, slots] in the compute dtype, 0 in unused slots
 * @param slotsK the k of the losses: slots a token uses by the strategy (1 for SWITCH)
 */
public record MoeRouting(Tensor logits, Tensor probs, Tensor experts, Tensor weights, int slotsK) {
    public long tokens() { return experts.dim(0); }
    public long slots() { return experts.dim(1); }

    /**
     * [N, slots] bool: the slot holds a real (token, expert) pair, an id in [0, E). Unused expert-choice slots (-1) are
     * not; neither are ids a select_hook put outside [0, E) (their values are unknown while tracing, so they cannot be
     * refused): every method then drops such a row, as the sorted methods' group sizes do, instead of DENSE gathering a
     * clamped expert.
     */
    public Tensor valid() {
        return Ops.logicalAnd(Ops.ge(experts, Ops.full(experts.shape(), 0, DType.I32)),
                Ops.lt(experts, Ops.full(experts.shape(), logits.dim(1), DType.I32)));
    }
}
