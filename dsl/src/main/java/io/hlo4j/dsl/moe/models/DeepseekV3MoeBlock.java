package io.hlo4j.dsl.moe.models;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.HookPoint;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.MoeRouter;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.runtime.array.HostArray;

import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * DeepSeek-V3's MoE {@code mlp}, written with the layer's hooks:
 * <ul>
 * <li>the gate: f32 logits, {@code float32(x) @ float32(K)}, in a bf16 layer too (as Hugging Face's router);</li>
 * <li>normalize_gate_logits: scores = sigmoid(logits) in f32 (instead of the softmax);</li>
 * <li>select_hook: grouped top-k on the biased scores s + b ({@code e_score_correction_bias}, used only to choose):
 *     each of the n_group groups of E / n_group experts is scored by the sum of its two best biased scores, the
 *     topk_group best groups stay, the other experts' biased scores become 0 (as Hugging Face's masked_fill), and the
 *     k best remaining experts are chosen; their weights are the unbiased scores s;</li>
 * <li>refine_weights_hook: w / (sum(w) + 1e-20) when norm_topk_prob, then times routed_scaling_factor;</li>
 * </ul>
 * plus shared experts, a dense gated MLP of intermediate size moe_intermediate_size * n_shared_experts, added.
 * Ties go to the lower index (stable sorts). The metrics' router_probs stay the layer's softmax.
 */
public final class DeepseekV3MoeBlock {
    /** The routing constants of a DeepSeek-V3 config. */
    public record Routing(int nGroup, int topkGroup, double routedScalingFactor, boolean normTopkProb, int nSharedExperts) {}

    private final MoeConfig config;
    private final Routing routing;
    private final MoeFusedHooks<Tensor> userHooks;

    public DeepseekV3MoeBlock(MoeConfig config, Routing routing, MoeFusedHooks<Tensor> userHooks) {
        int e = config.nRoutedExperts(), k = config.numExpertsPerTok();
        if (config.routingStrategy() != MoeRoutingStrategy.TOP_K) {
            throw new MoeException("DeepseekV3MoeBlock: routing_strategy must be top_k, got " + config.routingStrategy());
        }
        if (routing.nGroup() <= 0 || e % routing.nGroup() != 0 || e / routing.nGroup() < 2) {
            throw new MoeException("DeepseekV3MoeBlock: n_group " + routing.nGroup() + " must divide n_routed_experts " + e
                    + " into groups of at least 2 experts");
        }
        if (routing.topkGroup() <= 0 || routing.topkGroup() > routing.nGroup() || (long) routing.topkGroup() * (e / routing.nGroup()) < k) {
            throw new MoeException("DeepseekV3MoeBlock: topk_group " + routing.topkGroup() + " must be in [1, n_group " + routing.nGroup()
                    + "] and its groups must hold at least num_experts_per_tok " + k + " experts");
        }
        if (routing.nSharedExperts() < 0) throw new MoeException("DeepseekV3MoeBlock: n_shared_experts " + routing.nSharedExperts() + " < 0");
        this.config = config;
        this.routing = routing;
        this.userHooks = userHooks == null ? MoeFusedHooks.none() : userHooks;
    }

    public MoeConfig config() { return config; }
    public Routing routing() { return routing; }

    /**
     * From {@code prefix + "mlp.gate.weight"}, {@code mlp.gate.e_score_correction_bias} [E],
     * {@code mlp.experts.{i}.gate_proj/up_proj/down_proj.weight} and {@code mlp.shared_experts.*.weight}: gate, bias,
     * wi, wu, wd, and shared_wi, shared_wu [H, Ms], shared_wd [Ms, H] when n_shared_experts > 0.
     */
    public Map<String, HostArray> load(HfMoeCheckpoint ck, String prefix) {
        String p = prefix + "mlp.";
        int e = config.nRoutedExperts();
        long h = config.hiddenSize(), ms = (long) config.moeIntermediateSize() * routing.nSharedExperts();
        Map<String, HostArray> w = HfMoeCheckpoint.routed(ck, p + "gate.weight", p + "experts.%d.", "gate_proj", "up_proj", "down_proj",
                e, h, config.moeIntermediateSize());
        w.put("bias", ck.get(p + "gate.e_score_correction_bias", e));
        if (ms > 0) {
            w.put("shared_wi", ck.kernel(p + "shared_experts.gate_proj.weight", h, ms));
            w.put("shared_wu", ck.kernel(p + "shared_experts.up_proj.weight", h, ms));
            w.put("shared_wd", ck.kernel(p + "shared_experts.down_proj.weight", ms, h));
        }
        return w;
    }

    public MoeOutput call(Tensor x, Map<String, Tensor> w, boolean outputMetrics) {
        Tensor bias = ModelWeights.need(w, "bias");
        MoeFusedHooks<Tensor> hooks = userHooks;
        if (!hooks.isSet(HookPoint.NORMALIZE_GATE_LOGITS)) hooks = hooks.withNormalizeGateLogits(l -> Ops.sigmoid(l.astype(DType.F32)));
        if (!hooks.isSet(HookPoint.SELECT_HOOK)) {
            hooks = hooks.withSelectHook((scores, pre, k) -> groupedTopK(scores, bias, k, routing.nGroup(), routing.topkGroup()));
        }
        if (!hooks.isSet(HookPoint.REFINE_WEIGHTS_HOOK)) hooks = hooks.withRefineWeightsHook(this::refine);
        MoeOutput routed = new BaseMoeModule(config, hooks).moeCall(x, f32Gate(ModelWeights.need(w, "gate")),
                ExpertWeights.of(ModelWeights.need(w, "wi"), ModelWeights.need(w, "wu"), ModelWeights.need(w, "wd")), outputMetrics);
        if (routing.nSharedExperts() == 0) return routed;
        Tensor y = routed.output();
        long b = x.dim(0), s = x.dim(1), h = x.dim(2);
        Tensor shared = new SharedExpertMlp(ModelWeights.need(w, "shared_wi"), ModelWeights.need(w, "shared_wu"), ModelWeights.need(w, "shared_wd"))
                .apply(x.astype(y.dtype()).reshape(b * s, h), BaseMoeModule.activation(config, null, null));
        return new MoeOutput(Ops.add(y, shared.reshape(b, s, h)), routed.routerLogits(), routed.metrics());
    }

    /**
     * DeepSeek's router multiplies in f32 whatever the model's dtype (Hugging Face and EasyDeL:
     * {@code float32(x) @ float32(K)}), so its logits are f32 even in a bf16 layer; x is the layer's compute-dtype
     * cast of the hidden state. An f64 layer keeps f64.
     */
    private UnaryOperator<Tensor> f32Gate(Tensor kernel) {
        DType d = MoeRouter.accumDtype(config);
        return x -> Linalg.matmul(x.astype(d), kernel.astype(d));
    }

    private Tensor refine(Tensor wt) {
        Tensor w = wt;
        if (routing.normTopkProb()) {
            Tensor sum = Ops.add(Reductions.keepDims(Reductions.sum(w, 1), w, 1), 1e-20);
            w = Ops.div(w, sum.broadcastTo(w.dims()));
        }
        return Ops.mul(w, routing.routedScalingFactor());
    }

    /** The grouped selection on scores [N, E] with the choice-only bias [E]: (weights = unbiased scores, experts) [N, k]. */
    static MoeFusedHooks.Selection<Tensor> groupedTopK(Tensor scores, Tensor bias, int k, int nGroup, int topkGroup) {
        long n = scores.dim(0), e = scores.dim(1), per = e / nGroup;
        Tensor choice = Ops.add(scores, bias.astype(scores.dtype()).reshape(1, e).broadcastTo(n, e));
        Tensor grouped = choice.reshape(n, nGroup, per);
        Tensor desc = Indexing.takeAlongAxisInBounds(grouped, Indexing.argsortTotalOrder(Ops.neg(grouped), 2), 2);
        Tensor groupScores = Reductions.sum(Ops.slice(desc, new long[]{0, 0, 0}, new long[]{n, nGroup, 2}), 2);   // [N, G]
        Tensor bestGroups = Ops.slice(Indexing.argsortTotalOrder(Ops.neg(groupScores), 1), new long[]{0, 0}, new long[]{n, topkGroup}).astype(DType.I32);
        Tensor hits = Ops.eq(bestGroups.reshape(n, topkGroup, 1).broadcastTo(n, topkGroup, nGroup),
                Ops.iota(DType.I32, Shape.of(n, topkGroup, nGroup), 2));
        Tensor groupKept = Ops.gt(Reductions.sum(hits.astype(DType.F32), 1), Ops.full(Shape.of(n, nGroup), 0.5, DType.F32));  // [N, G]
        Tensor kept = groupKept.reshape(n, nGroup, 1).broadcastTo(n, nGroup, per).reshape(n, e);
        Tensor masked = Ops.where(kept, choice, 0.0);
        Tensor experts = Ops.slice(Indexing.argsortTotalOrder(Ops.neg(masked), 1), new long[]{0, 0}, new long[]{n, k}).astype(DType.I32);
        return new MoeFusedHooks.Selection<>(Indexing.takeAlongAxisInBounds(scores, experts, 1), experts);
    }
}
