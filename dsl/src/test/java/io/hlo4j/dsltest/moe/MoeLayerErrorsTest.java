package io.hlo4j.dsltest.moe;

import static io.hlo4j.dsltest.moe.WorkedExampleTest.GATE;
import static io.hlo4j.dsltest.moe.WorkedExampleTest.WD;
import static io.hlo4j.dsltest.moe.WorkedExampleTest.WI;
import static io.hlo4j.dsltest.moe.WorkedExampleTest.WU;
import static io.hlo4j.dsltest.moe.WorkedExampleTest.X;
import static io.hlo4j.dsltest.moe.WorkedExampleTest.arr;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

/** Wrong shapes are refused while tracing, by name, with the values involved. */
class MoeLayerErrorsTest {
    static final MoeConfig CFG = WorkedExampleTest.config(MoeRoutingStrategy.TOP_K, MoeLoadBalancingStrategy.STANDARD, MoEMethods.FUSED_MOE);

    static void trace(MoeConfig cfg, HostArray... args) {
        Jit.jit(a -> new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), true).output()).lower((Object[]) args);
    }

    @Test
    void expertCountMustMatchTheConfig() {
        HostArray wi8 = arr(new long[]{8, 4, 2}, i -> 0), wd8 = arr(new long[]{8, 2, 4}, i -> 0);
        assertThatThrownBy(() -> trace(CFG, X, GATE, wi8, wi8, wd8)).isInstanceOf(MoeException.class)
                .hasMessageContaining("layer 0").hasMessageContaining("hold 8 experts, n_routed_experts is 4")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((MoeException) e).format()).as("names the caller's line")
                        .contains("MoeLayerErrorsTest.java"));
    }

    @Test
    void gateWidthMustBeTheExpertCount() {
        HostArray gate5 = arr(new long[]{4, 5}, i -> 0);
        assertThatThrownBy(() -> trace(CFG, X, gate5, WI, WU, WD)).isInstanceOf(MoeException.class)
                .hasMessageContaining("gate logits").hasMessageContaining("must be [3, 4]");
    }

    @Test
    void hiddenSizeMustMatch() {
        HostArray x5 = arr(new long[]{1, 3, 5}, i -> 0);
        assertThatThrownBy(() -> trace(CFG, x5, GATE, WI, WU, WD)).isInstanceOf(MoeException.class)
                .hasMessageContaining("hidden size 5").hasMessageContaining("hidden_size 4");
    }

    @Test
    void kernelsMustBeConsistent() {
        HostArray wdBad = arr(new long[]{4, 3, 4}, i -> 0);
        assertThatThrownBy(() -> trace(CFG, X, GATE, WI, WU, wdBad)).isInstanceOf(MoeException.class)
                .hasMessageContaining("wd").hasMessageContaining("must be [4, 2, 4]");
    }

    /** Token ids steer only HASH routing: with any other strategy they are refused at the caller's line, not dropped. */
    @Test
    void tokenIdsAreRefusedUnlessHashRouting() {
        HostArray ids = HostArray.fromLongs(io.hlo4j.dsl.Spec.of(io.hlo4j.dsl.DType.I32, 1, 3).tensorType(), new long[] {5, 1, 2});
        for (MoeRoutingStrategy r : MoeRoutingStrategy.values()) {
            MoeConfig cfg = WorkedExampleTest.config(r, MoeLoadBalancingStrategy.STANDARD, MoEMethods.FUSED_MOE);
            int[] line = new int[1];
            var f = Jit.jit(a -> {
                line[0] = StackWalker.getInstance().walk(s -> s.findFirst()).orElseThrow().getLineNumber() + 1;
                return new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                        ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), (Tensor) a[5], true).output();
            });
            if (r == MoeRoutingStrategy.HASH) {
                // ids 5, 1, 2 with E = 4, k = 2: experts {1, 2}, {1, 2}, {2, 3}; the hash row is read, not positions 0, 1, 2
                HostArray out = f.call1(X, GATE, WI, WU, WD, ids);
                HostArray byPosition = Jit.jit(a -> new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0],
                        BaseMoeModule.linearGate((Tensor) a[1]), ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), true).output())
                        .call1(X, GATE, WI, WU, WD);
                org.assertj.core.api.Assertions.assertThat(out.toDoubleArray()).as("hash routing reads the ids").isNotEqualTo(byPosition.toDoubleArray());
                continue;
            }
            assertThatThrownBy(() -> f.call(X, GATE, WI, WU, WD, ids)).as(r.value()).isInstanceOf(MoeException.class)
                    .hasMessageContaining("moeCall (layer 0, " + MoEMethods.FUSED_MOE + "): token ids ")
                    .hasMessageContaining("given, but routing_strategy is " + r.value() + "; only hash routing reads token ids")
                    .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((MoeException) e).format()).as("names the caller's line")
                            .contains("MoeLayerErrorsTest.java:" + line[0]));
        }
    }
}
