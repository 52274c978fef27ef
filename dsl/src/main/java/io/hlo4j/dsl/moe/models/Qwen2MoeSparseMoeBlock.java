package io.hlo4j.dsl.moe.models;

import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.HookPoint;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.runtime.array.HostArray;

import java.util.Map;

/**
 * Qwen2-MoE's {@code mlp}: softmax router (f32), top-k, the chosen probabilities divided by their sum only when
 * {@code norm_topk_prob}, plus a shared expert (intermediate size {@code shared_expert_intermediate_size}) scaled
 * per token by sigmoid(x . shared_expert_gate): y = moe(x) + sigmoid(x g) * shared(x).
 */
public final class Qwen2MoeSparseMoeBlock {
    private final MoeConfig config;
    private final boolean normTopkProb;
    private final int sharedIntermediateSize;
    private final MoeFusedHooks<Tensor> userHooks;

    public Qwen2MoeSparseMoeBlock(MoeConfig config, boolean normTopkProb, int sharedIntermediateSize, MoeFusedHooks<Tensor> userHooks) {
        if (config.routingStrategy() != MoeRoutingStrategy.TOP_K) {
            throw new MoeException("Qwen2MoeSparseMoeBlock: routing_strategy must be top_k, got " + config.routingStrategy());
        }
        if (sharedIntermediateSize <= 0) {
            throw new MoeException("Qwen2MoeSparseMoeBlock: shared_expert_intermediate_size " + sharedIntermediateSize + " must be positive");
        }
        this.config = config;
        this.normTopkProb = normTopkProb;
        this.sharedIntermediateSize = sharedIntermediateSize;
        this.userHooks = userHooks == null ? MoeFusedHooks.none() : userHooks;
    }

    public MoeConfig config() { return config; }

    /**
     * From {@code prefix + "mlp.gate.weight"}, {@code mlp.experts.{i}.gate_proj/up_proj/down_proj.weight},
     * {@code mlp.shared_expert.gate_proj/up_proj/down_proj.weight} and {@code mlp.shared_expert_gate.weight} [1, H]:
     * gate, wi, wu, wd as the layer's, shared_wi, shared_wu [H, Ms], shared_wd [Ms, H], shared_gate [H, 1].
     */
    public Map<String, HostArray> load(HfMoeCheckpoint ck, String prefix) {
        String p = prefix + "mlp.";
        long h = config.hiddenSize(), ms = sharedIntermediateSize;
        Map<String, HostArray> w = HfMoeCheckpoint.routed(ck, p + "gate.weight", p + "experts.%d.", "gate_proj", "up_proj", "down_proj",
                config.nRoutedExperts(), h, config.moeIntermediateSize());
        w.put("shared_wi", ck.kernel(p + "shared_expert.gate_proj.weight", h, ms));
        w.put("shared_wu", ck.kernel(p + "shared_expert.up_proj.weight", h, ms));
        w.put("shared_wd", ck.kernel(p + "shared_expert.down_proj.weight", ms, h));
        w.put("shared_gate", ck.kernel(p + "shared_expert_gate.weight", h, 1));
        return w;
    }

    public MoeOutput call(Tensor x, Map<String, Tensor> w, boolean outputMetrics) {
        MoeFusedHooks<Tensor> hooks = userHooks;
        if (!hooks.isSet(HookPoint.REFINE_WEIGHTS_HOOK)) {
            // without norm_topk_prob the chosen probabilities stay as they are (an identity hook keeps the
            // layer's default rule from renormalising)
            hooks = hooks.withRefineWeightsHook(normTopkProb ? MixtralSparseMoeBlock::divideBySum : t -> t);
        }
        MoeOutput routed = new BaseMoeModule(config, hooks).moeCall(x, BaseMoeModule.linearGate(ModelWeights.need(w, "gate")),
                ExpertWeights.of(ModelWeights.need(w, "wi"), ModelWeights.need(w, "wu"), ModelWeights.need(w, "wd")), outputMetrics);
        Tensor y = routed.output();
        long b = x.dim(0), s = x.dim(1), h = x.dim(2);
        Tensor x2 = x.astype(y.dtype()).reshape(b * s, h);
        Tensor shared = new SharedExpertMlp(ModelWeights.need(w, "shared_wi"), ModelWeights.need(w, "shared_wu"), ModelWeights.need(w, "shared_wd"))
                .apply(x2, BaseMoeModule.activation(config, null, null));
        Tensor g = Ops.sigmoid(Linalg.matmul(x2, ModelWeights.need(w, "shared_gate").astype(y.dtype())));   // [N, 1]
        Tensor out = Ops.add(y, Ops.mul(shared, g.broadcastTo(b * s, h)).reshape(b, s, h));
        return new MoeOutput(out, routed.routerLogits(), routed.metrics());
    }
}
