package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.SourceLoc;

import java.util.OptionalDouble;

/**
 * The configuration of a MoE layer (issue 5's fields; JSON keys in snake_case, see {@link MoeConfigJson}).
 *
 * @param lblCoef load-balancing coefficient; empty means no load-balancing loss is computed
 * @param rzlCoef router z-loss coefficient; empty means no z-loss is computed
 * @param capacityFactor expert-choice capacity factor (c = min(N, ceil(cf * N * k / E)))
 * @param useExpertTensorMode shard the expert axis of weights on tp instead of ep
 * @param fsdpIsEpBound fold the fsdp mesh axis into the expert axis (else into dp)
 * @param spIsEpBound fold the sp mesh axis into the expert axis (else into dp)
 */
public record MoeConfig(
        int nRoutedExperts,
        int numExpertsPerTok,
        int hiddenSize,
        int moeIntermediateSize,
        MoeRoutingStrategy routingStrategy,
        MoeLoadBalancingStrategy loadBalancingStrategy,
        OptionalDouble lblCoef,
        OptionalDouble rzlCoef,
        double capacityFactor,
        MoEMethods moeMethod,
        MoeDtype dtype,
        HiddenAct hiddenAct,
        boolean useExpertTensorMode,
        boolean fsdpIsEpBound,
        boolean spIsEpBound) {

    public static final double DEFAULT_CAPACITY_FACTOR = 1.0;

    public MoeConfig {
        positive("n_routed_experts", nRoutedExperts);
        positive("num_experts_per_tok", numExpertsPerTok);
        positive("hidden_size", hiddenSize);
        positive("moe_intermediate_size", moeIntermediateSize);
        if (numExpertsPerTok > nRoutedExperts) {
            throw new MoeException("num_experts_per_tok: " + numExpertsPerTok + " exceeds n_routed_experts "
                    + nRoutedExperts, SourceLoc.here());
        }
        require("routing_strategy", routingStrategy);
        require("load_balancing_strategy", loadBalancingStrategy);
        require("lbl_coef", lblCoef);
        require("rzl_coef", rzlCoef);
        require("moe_method", moeMethod);
        require("dtype", dtype);
        require("hidden_act", hiddenAct);
        finite("lbl_coef", lblCoef);
        finite("rzl_coef", rzlCoef);
        if (!(capacityFactor > 0) || Double.isInfinite(capacityFactor)) {
            throw new MoeException("capacity_factor: " + capacityFactor + " must be a finite number > 0", SourceLoc.here());
        }
    }

    /** The four sizes with every other field at its default (TOP_K, STANDARD without coefficients, fused, f32, silu). */
    public static MoeConfig of(int nRoutedExperts, int numExpertsPerTok, int hiddenSize, int moeIntermediateSize) {
        return new MoeConfig(nRoutedExperts, numExpertsPerTok, hiddenSize, moeIntermediateSize,
                MoeRoutingStrategy.TOP_K, MoeLoadBalancingStrategy.STANDARD, OptionalDouble.empty(),
                OptionalDouble.empty(), DEFAULT_CAPACITY_FACTOR, MoEMethods.FUSED_MOE, MoeDtype.FLOAT32,
                HiddenAct.SILU, false, true, true);
    }

    /** The slots a token uses: 1 for SWITCH whatever num_experts_per_tok says, else num_experts_per_tok. */
    public int slotsPerToken() {
        return routingStrategy == MoeRoutingStrategy.SWITCH ? 1 : numExpertsPerTok;
    }

    /** Whether a load-balancing loss is computed: a strategy other than NONE and a coefficient. */
    public boolean computesLoadBalancingLoss() {
        return loadBalancingStrategy != MoeLoadBalancingStrategy.NONE && lblCoef.isPresent();
    }

    /** Expert-choice capacity per expert for {@code tokens} routed tokens. */
    public int expertCapacity(int tokens) {
        double c = Math.ceil(capacityFactor * tokens * (double) numExpertsPerTok / nRoutedExperts);
        return (int) Math.min(tokens, c);
    }

    public MoeConfig withRoutingStrategy(MoeRoutingStrategy s) {
        return new MoeConfig(nRoutedExperts, numExpertsPerTok, hiddenSize, moeIntermediateSize, s,
                loadBalancingStrategy, lblCoef, rzlCoef, capacityFactor, moeMethod, dtype, hiddenAct,
                useExpertTensorMode, fsdpIsEpBound, spIsEpBound);
    }

    public MoeConfig withMoeMethod(MoEMethods m) {
        return new MoeConfig(nRoutedExperts, numExpertsPerTok, hiddenSize, moeIntermediateSize, routingStrategy,
                loadBalancingStrategy, lblCoef, rzlCoef, capacityFactor, m, dtype, hiddenAct,
                useExpertTensorMode, fsdpIsEpBound, spIsEpBound);
    }

    public MoeConfig withDtype(MoeDtype d) {
        return new MoeConfig(nRoutedExperts, numExpertsPerTok, hiddenSize, moeIntermediateSize, routingStrategy,
                loadBalancingStrategy, lblCoef, rzlCoef, capacityFactor, moeMethod, d, hiddenAct,
                useExpertTensorMode, fsdpIsEpBound, spIsEpBound);
    }

    /** The load-balancing loss: {@code strategy} with coefficient {@code coef} (the loss is computed only with both). */
    public MoeConfig withLoadBalancing(MoeLoadBalancingStrategy strategy, double coef) {
        return with(routingStrategy, strategy, OptionalDouble.of(coef), rzlCoef, capacityFactor, hiddenAct);
    }

    /** The router z-loss with coefficient {@code coef}. */
    public MoeConfig withRouterZLoss(double coef) {
        return with(routingStrategy, loadBalancingStrategy, lblCoef, OptionalDouble.of(coef), capacityFactor, hiddenAct);
    }

    public MoeConfig withCapacityFactor(double cf) {
        return with(routingStrategy, loadBalancingStrategy, lblCoef, rzlCoef, cf, hiddenAct);
    }

    public MoeConfig withHiddenAct(HiddenAct act) {
        return with(routingStrategy, loadBalancingStrategy, lblCoef, rzlCoef, capacityFactor, act);
    }

    /** Shard the weights' expert axis on tp instead of ep (JSON {@code use_expert_tensor_mode}). */
    public MoeConfig withUseExpertTensorMode(boolean on) { return withMesh(on, fsdpIsEpBound, spIsEpBound); }

    /** Fold the fsdp mesh axis into the expert axis ({@code true}, the default) or into dp (JSON {@code fsdp_is_ep_bound}). */
    public MoeConfig withFsdpIsEpBound(boolean on) { return withMesh(useExpertTensorMode, on, spIsEpBound); }

    /** Fold the sp mesh axis into the expert axis ({@code true}, the default) or into dp (JSON {@code sp_is_ep_bound}). */
    public MoeConfig withSpIsEpBound(boolean on) { return withMesh(useExpertTensorMode, fsdpIsEpBound, on); }

    private MoeConfig withMesh(boolean tensorMode, boolean fsdpEp, boolean spEp) {
        return new MoeConfig(nRoutedExperts, numExpertsPerTok, hiddenSize, moeIntermediateSize, routingStrategy, loadBalancingStrategy,
                lblCoef, rzlCoef, capacityFactor, moeMethod, dtype, hiddenAct, tensorMode, fsdpEp, spEp);
    }

    /** A copy with the routing, loss and activation fields given (sizes, method, dtype and mesh flags kept). */
    private MoeConfig with(MoeRoutingStrategy rs, MoeLoadBalancingStrategy lb, OptionalDouble lbl, OptionalDouble rzl, double cf, HiddenAct act) {
        return new MoeConfig(nRoutedExperts, numExpertsPerTok, hiddenSize, moeIntermediateSize, rs, lb, lbl, rzl, cf, moeMethod, dtype, act,
                useExpertTensorMode, fsdpIsEpBound, spIsEpBound);
    }

    private static void positive(String key, int v) {
        if (v <= 0) throw new MoeException(key + ": " + v + " must be a positive integer", SourceLoc.here());
    }

    private static void require(String key, Object v) {
        if (v == null) throw new MoeException(key + ": must not be null", SourceLoc.here());
    }

    private static void finite(String key, OptionalDouble v) {
        if (v.isPresent() && !Double.isFinite(v.getAsDouble())) {
            throw new MoeException(key + ": " + v.getAsDouble() + " must be a finite number", SourceLoc.here());
        }
    }
}
