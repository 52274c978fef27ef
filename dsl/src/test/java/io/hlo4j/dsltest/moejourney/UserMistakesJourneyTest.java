package io.hlo4j.dsltest.moejourney;

import static io.hlo4j.dsltest.moejourney.MoeJourney.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeConfigJson;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.Map;

/**
 * The mistakes of the first week, each refused by name: the message names what was wrong, its values and the line of
 * the user's code (for a config file, its key instead). Also the one-map form of the layer's results.
 */
class UserMistakesJourneyTest {
    static final MoeOracle.Inputs IN = random(81, 1, 3, 4, 4, 3, false);
    static final String FILE = "UserMistakesJourneyTest.java";

    /** The line after the caller's: where the statement under test is. */
    static int nextLine() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber() + 1; }

    static String at(int line) { return "(at " + FILE + ":" + line + ":0)"; }

    @Test
    void configMistakesNameTheKeyTheValueAndTheLine() {
        int l1 = nextLine();
        assertThatThrownBy(() -> MoeConfig.of(4, 5, 4, 3))
                .isInstanceOf(MoeException.class).hasMessage("num_experts_per_tok: 5 exceeds n_routed_experts 4 " + at(l1));
        int l2 = nextLine();
        assertThatThrownBy(() -> MoeConfig.of(4, 2, 4, 3).withCapacityFactor(0))
                .isInstanceOf(MoeException.class).hasMessage("capacity_factor: 0.0 must be a finite number > 0 " + at(l2));
        int l3 = nextLine();
        assertThatThrownBy(() -> MoeFusedHooks.<Tensor>none().withAfterGate(null))
                .isInstanceOf(MoeException.class).hasMessageContaining("hook after_gate must not be null").hasMessageEndingWith(at(l3));
        // from a config document the document and the key are what matter: no Java line in the message (every
        // MoeConfigJson message starts with the document's name: "moe config" for a string, the path for a file)
        assertThatThrownBy(() -> MoeConfigJson.parse("{\"n_routed_experts\": 4, \"num_experts_per_tok\": 5, \"hidden_size\": 4, \"moe_intermediate_size\": 3}"))
                .isInstanceOf(MoeException.class).hasMessage("moe config: num_experts_per_tok: 5 exceeds n_routed_experts 4");
    }

    @Test
    void hookMistakesAreRefusedAtTheCallersLine() {
        Object[] a = args(IN, DType.F32).toArray();
        MoeConfig cfg = MoeConfig.of(4, 2, 4, 3);
        // a select hook returning the top-k values where the indices belong: float ids were silently truncated to experts
        MoeFusedHooks<Tensor> valuesAsIds = MoeFusedHooks.<Tensor>none().withSelectHook((s, p, k) -> {
            Tensor v = Indexing.topK(s, k).get(0);
            return new MoeFusedHooks.Selection<>(v, v);
        });
        int[] line = new int[1];
        assertThatThrownBy(() -> Jit.jit("m", x -> {
            line[0] = nextLine();
            return new BaseMoeModule(cfg, valuesAsIds).moeCall((Tensor) x[0], BaseMoeModule.linearGate((Tensor) x[1]), experts(x), false).output();
        }).call(a)).isInstanceOf(MoeException.class)
                .hasMessageContaining("select_hook returned expert ids f32[3, 2]").hasMessageContaining("integers in [0, 4)").hasMessageEndingWith(at(line[0]));

        MoeFusedHooks<Tensor> widened = MoeFusedHooks.<Tensor>none().withAfterGate(l -> Ops.concat(1, l, l));
        assertThatThrownBy(() -> Jit.jit("m", x -> {
            line[0] = nextLine();
            return new BaseMoeModule(cfg, widened).moeCall((Tensor) x[0], BaseMoeModule.linearGate((Tensor) x[1]), experts(x), false).output();
        }).call(a)).isInstanceOf(MoeException.class)
                .hasMessage("MoeFusedHooks: after_gate returned f32[3, 8] for f32[3, 4]; a hook must return the shape it is given " + at(line[0]));

        assertThatThrownBy(() -> Jit.jit("m", x -> {
            line[0] = nextLine();
            return new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) x[0], BaseMoeModule.linearGate((Tensor) x[1]), ExpertWeights.of((Tensor) x[2], (Tensor) x[3], (Tensor) x[2]), false).output();
        }).call(a)).isInstanceOf(MoeException.class)
                .hasMessage("ExpertWeights: wd f32[4, 4, 3] must be [4, 3, 4] to match wi f32[4, 4, 3] " + at(line[0]));

        // a parameter map without "wu" (a missing or misspelt key reads as null): the message says which kernel
        Map<String, HostArray> noWu = Map.of("gate", (HostArray) a[1], "wi", (HostArray) a[2], "w_u", (HostArray) a[3], "wd", (HostArray) a[4]);
        assertThatThrownBy(() -> Jit.jit("m", x -> {
            @SuppressWarnings("unchecked") Map<String, Tensor> p = (Map<String, Tensor>) x[0];
            line[0] = nextLine();
            return new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) x[1], BaseMoeModule.linearGate(p.get("gate")), ExpertWeights.of(p.get("wi"), p.get("wu"), p.get("wd")), false).output();
        }).call(noWu, a[0])).isInstanceOf(MoeException.class)
                .hasMessage("ExpertWeights: wu is null; wi, wu and wd are required (wi f32[4, 4, 3], wu null, wd f32[4, 3, 4]) " + at(line[0]));
        assertThatThrownBy(() -> Jit.jit("m", x -> {
            line[0] = nextLine();
            return ExpertWeights.of(null, (Tensor) x[0], null).wu();
        }).call(a[3])).isInstanceOf(MoeException.class)
                .hasMessage("ExpertWeights: wi and wd are null; wi, wu and wd are required (wi null, wu f32[4, 4, 3], wd null) " + at(line[0]));
        // all three missing: a list, not "wi and wu and wd"
        assertThatThrownBy(() -> Jit.jit("m", x -> {
            line[0] = nextLine();
            return ExpertWeights.of(null, null, null).wu();
        }).call(a[3])).isInstanceOf(MoeException.class)
                .hasMessage("ExpertWeights: wi, wu and wd are null; wi, wu and wd are required (wi null, wu null, wd null) " + at(line[0]));
    }

    /** MoeOutput.asMap: one pytree by the CLI's names; the losses only when computed. */
    @Test
    void resultsAsOneMap() {
        Object[] a = args(IN, DType.F32).toArray();
        MoeConfig plain = MoeConfig.of(4, 2, 4, 3);
        Map<String, HostArray> m = Jit.jit("m", x -> call(plain, MoeFusedHooks.none(), x, true).asMap()).callMap(a);
        assertThat(m.keySet()).containsExactlyInAnyOrder("output", "router_logits", "expert_loads", "router_probs", "selected_experts",
                "selected_weights", "expert_utilization", "routing_entropy");
        MoeConfig losses = plain.withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 1).withRouterZLoss(1);
        Map<String, HostArray> l = Jit.jit("m", x -> call(losses, MoeFusedHooks.none(), x, true).asMap()).callMap(a);
        assertThat(l).containsKeys("load_balancing_loss", "router_z_loss");
        assertMatches("asMap", l, MoeOracle.run(losses, IN, null), 2e-6);
        Map<String, HostArray> bare = Jit.jit("m", x -> call(plain, MoeFusedHooks.none(), x, false).asMap()).callMap(a);
        assertThat(bare.keySet()).containsExactlyInAnyOrder("output", "router_logits");
        assertThat(bare.get("output").firstBitDifference(m.get("output"))).isEqualTo(-1);
    }
}
