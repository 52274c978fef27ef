package io.hlo4j.dsl.moe.models;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.runtime.array.HostArray;

import java.util.Map;

/**
 * Mixtral's {@code block_sparse_moe}: softmax router (f32), top-k, the chosen probabilities divided by their sum
 * (for every k, as Hugging Face does; the layer's default rule skips k = 1), experts act(w1 x) * (w3 x) then w2.
 * Written on the layer: the renormalisation is a refine_weights_hook.
 */
public final class MixtralSparseMoeBlock {
    private final MoeConfig config;
    private final MoeFusedHooks<Tensor> userHooks;

    public MixtralSparseMoeBlock(MoeConfig config, MoeFusedHooks<Tensor> userHooks) {
        if (config.routingStrategy() != MoeRoutingStrategy.TOP_K) {
            throw new MoeException("MixtralSparseMoeBlock: routing_strategy must be top_k, got " + config.routingStrategy());
        }
        this.config = config;
        this.userHooks = userHooks == null ? MoeFusedHooks.none() : userHooks;
    }

    public MoeConfig config() { return config; }

    /**
     * The block's weights in the layer's layout (gate [H, E], wi, wu [E, H, M], wd [E, M, H]) from the tensors
     * {@code prefix + "block_sparse_moe.gate.weight"} and {@code prefix + "block_sparse_moe.experts.{i}.w1/w2/w3.weight"}.
     */
    public Map<String, HostArray> load(HfMoeCheckpoint ck, String prefix) {
        String p = prefix + "block_sparse_moe.";
        return HfMoeCheckpoint.routed(ck, p + "gate.weight", p + "experts.%d.", "w1", "w3", "w2",
                config.nRoutedExperts(), config.hiddenSize(), config.moeIntermediateSize());
    }

    /** The block on hidden states [B, S, H] with the traced weights named as {@link #load} names them. */
    public MoeOutput call(Tensor x, Map<String, Tensor> w, boolean outputMetrics) {
        MoeFusedHooks<Tensor> hooks = userHooks.isSet(io.hlo4j.dsl.moe.HookPoint.REFINE_WEIGHTS_HOOK)
                ? userHooks : userHooks.withRefineWeightsHook(MixtralSparseMoeBlock::divideBySum);
        return new BaseMoeModule(config, hooks).moeCall(x, BaseMoeModule.linearGate(ModelWeights.need(w, "gate")),
                ExpertWeights.of(ModelWeights.need(w, "wi"), ModelWeights.need(w, "wu"), ModelWeights.need(w, "wd")), outputMetrics);
    }

    /** w / sum(w) over the slots, as Hugging Face's {@code routing_weights /= routing_weights.sum(-1, keepdim=True)}. */
    static Tensor divideBySum(Tensor w) {
        return Ops.div(w, Reductions.keepDims(Reductions.sum(w, 1), w, 1).broadcastTo(w.dims()));
    }
}
