package io.hlo4j.dsl.moe;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a MoE layer reports besides its output (moe-semantics.md, Losses and metrics), over the array type
 * {@code T} of the caller (DSL tensors while tracing, host arrays after a run).
 *
 * @param expertLoads assignment counts per expert [E]
 * @param routerProbs pre-selection probabilities [N, E]
 * @param selectedExperts expert ids as used in the combine [N, slots]; for EXPERT_CHOICE the token-major view
 *        of the chosen pairs (slots = E), unused slots marked -1
 * @param selectedWeights the matching combine weights (0 in unused slots)
 * @param loadBalancingLoss empty when the strategy is NONE or lbl_coef is unset
 * @param routerZLoss empty when rzl_coef is unset
 * @param expertUtilization fraction of experts with at least one assignment
 * @param routingEntropy mean over tokens of -sum_e p log(p + 1e-8)
 */
public record MoeMetrics<T>(
        T expertLoads,
        T routerProbs,
        T selectedExperts,
        T selectedWeights,
        Optional<T> loadBalancingLoss,
        Optional<T> routerZLoss,
        T expertUtilization,
        T routingEntropy) {

    /** The marker of an unused slot in the expert-choice token-major view. */
    public static final int UNUSED_SLOT = -1;

    /** The epsilon inside the entropy's logarithm. */
    public static final double ENTROPY_EPS = 1e-8;

    /**
     * The metrics by the names {@code hlo4j moe run} writes (expert_loads, router_probs, selected_experts,
     * selected_weights, load_balancing_loss and router_z_loss when computed, expert_utilization, routing_entropy), so
     * a traced function can return them as one map (a pytree) without unpacking the optional losses.
     */
    public Map<String, T> asMap() {
        Map<String, T> m = new LinkedHashMap<>();
        m.put("expert_loads", expertLoads);
        m.put("router_probs", routerProbs);
        m.put("selected_experts", selectedExperts);
        m.put("selected_weights", selectedWeights);
        loadBalancingLoss.ifPresent(v -> m.put("load_balancing_loss", v));
        routerZLoss.ifPresent(v -> m.put("router_z_loss", v));
        m.put("expert_utilization", expertUtilization);
        m.put("routing_entropy", routingEntropy);
        return m;
    }

    public MoeMetrics {
        if (expertLoads == null || routerProbs == null || selectedExperts == null || selectedWeights == null
                || loadBalancingLoss == null || routerZLoss == null || expertUtilization == null
                || routingEntropy == null) {
            throw new MoeException("MoeMetrics: no field may be null (use Optional.empty() for an absent loss)");
        }
    }
}
