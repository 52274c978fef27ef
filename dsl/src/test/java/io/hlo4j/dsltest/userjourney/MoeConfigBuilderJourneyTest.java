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
                .hasMessage("capacity_factor: 0.0 must be a finite number > 0");
        assertThatThrownBy(() -> built.withRouterZLoss(Double.NaN)).isInstanceOf(MoeException.class)
                .hasMessage("rzl_coef: NaN must be a finite number");
    }
}
