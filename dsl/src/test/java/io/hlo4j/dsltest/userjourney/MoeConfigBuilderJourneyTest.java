package io.hlo4j.dsltest.userjourney;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.moe.HiddenAct;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeConfigJson;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import org.junit.jupiter.api.Test;

import java.util.List;

/** The config a user builds in Java with the with... methods equals the one MoeConfigJson reads from the same keys. */
class MoeConfigBuilderJourneyTest {
    @Test
    void withersMatchTheJsonConfig() {
        MoeConfig built = MoeConfig.of(8, 2, 16, 32)
                .withRoutingStrategy(MoeRoutingStrategy.EXPERT_CHOICE)
                .withLoadBalancing(MoeLoadBalancingStrategy.SWITCH_TRANSFORMER, 0.01)
                .withRouterZLoss(0.001)
                .withCapacityFactor(1.5)
                .withHiddenAct(HiddenAct.GELU);
        MoeConfig read = MoeConfigJson.parse("""
                {"n_routed_experts": 8, "num_experts_per_tok": 2, "hidden_size": 16, "moe_intermediate_size": 32,
                 "routing_strategy": "expert_choice", "load_balancing_strategy": "switch_transformer",
                 "lbl_coef": 0.01, "rzl_coef": 0.001, "capacity_factor": 1.5, "hidden_act": "gelu"}""");
        assertThat(built).isEqualTo(read);
        assertThat(built.computesLoadBalancingLoss()).isTrue();
        assertThat(built.expertCapacity(10)).as("min(10, ceil(1.5 * 10 * 2 / 8))").isEqualTo(4);
        assertThat(built.withLoadBalancing(MoeLoadBalancingStrategy.NONE, 0.01).computesLoadBalancingLoss()).isFalse();
        assertThatThrownBy(() -> built.withCapacityFactor(0)).isInstanceOf(MoeException.class)
                .hasMessageStartingWith("capacity_factor: 0.0 must be a finite number > 0 (at MoeConfigBuilderJourneyTest.java:");
        assertThatThrownBy(() -> built.withRouterZLoss(Double.NaN)).isInstanceOf(MoeException.class)
                .hasMessageStartingWith("rzl_coef: NaN must be a finite number (at MoeConfigBuilderJourneyTest.java:");
    }

    @Test
    void meshFlagWithersMatchTheJsonConfigAndChangeOnlyTheirFlag() {
        MoeConfig base = MoeConfig.of(8, 2, 16, 32);
        assertThat(base.useExpertTensorMode()).isFalse();
        assertThat(base.fsdpIsEpBound()).isTrue();
        assertThat(base.spIsEpBound()).isTrue();
        MoeConfig built = base.withUseExpertTensorMode(true).withFsdpIsEpBound(false).withSpIsEpBound(false);
        MoeConfig read = MoeConfigJson.parse("""
                {"n_routed_experts": 8, "num_experts_per_tok": 2, "hidden_size": 16, "moe_intermediate_size": 32,
                 "use_expert_tensor_mode": true, "fsdp_is_ep_bound": false, "sp_is_ep_bound": false}""");
        assertThat(built).isEqualTo(read);
        MoeConfig tensorOnly = base.withUseExpertTensorMode(true);
        assertThat(List.of(tensorOnly.useExpertTensorMode(), tensorOnly.fsdpIsEpBound(), tensorOnly.spIsEpBound())).containsExactly(true, true, true);
        MoeConfig fsdpOnly = base.withFsdpIsEpBound(false);
        assertThat(List.of(fsdpOnly.useExpertTensorMode(), fsdpOnly.fsdpIsEpBound(), fsdpOnly.spIsEpBound())).containsExactly(false, false, true);
        MoeConfig spOnly = base.withSpIsEpBound(false);
        assertThat(List.of(spOnly.useExpertTensorMode(), spOnly.fsdpIsEpBound(), spOnly.spIsEpBound())).containsExactly(false, true, false);
        // The other fields survive: the withers compose with the routing ones in any order.
        MoeConfig routed = base.withCapacityFactor(2.0).withSpIsEpBound(false).withHiddenAct(HiddenAct.GELU);
        assertThat(routed.capacityFactor()).isEqualTo(2.0);
        assertThat(routed.spIsEpBound()).isFalse();
        assertThat(routed.hiddenAct()).isEqualTo(HiddenAct.GELU);
    }
}
