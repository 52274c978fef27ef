package io.hlo4j.dsltest.moejourney;

import static io.hlo4j.dsltest.moejourney.MoeJourney.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.function.UnaryOperator;

/**
 * A bf16 layer whose refine_inputs_hook or scale_replicated_inputs returns f32 runs, as in EasyDeL, which casts the
 * rows back to the compute dtype once, after scale_replicated_inputs ({@code xr[order].astype(dtype)}). The oracle is
 * the same bf16 layer whose hooks do that cast themselves, at that place: the outputs must be equal bit for bit in
 * every method. With both hooks set, scale_replicated_inputs must see refine_inputs_hook's f32 rows (the cast comes
 * after it): the oracle folds the refinement into the scaling hook in f32, and a variant that casts early, right
 * after refine_inputs_hook, is shown to give other numbers, so the test tells the two places apart.
 */
class HookCastBackJourneyTest {
    static final MoeOracle.Inputs IN = random(31, 2, 5, 8, 4, 6, true);

    /** A refinement that needs more than bf16's 8 bits: x * 1.37 + 0.01, in f32. */
    static Tensor refineF32(Tensor tokens) { return tokens.astype(DType.F32).mul(1.37).add(0.01); }

    /** Llama4's scaling: each row times its slot's weight, in f32. */
    static Tensor scaleF32(Tensor rows, Tensor w) {
        return rows.astype(DType.F32).mul(w.astype(DType.F32).reshape(w.dim(0), 1).broadcastTo(rows.dims()));
    }

    static double[] output(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, HostArray[] args) {
        return Jit.jit("moe", layer(cfg, hooks)).callMap((Object[]) args).get("output").toDoubleArray();
    }

    @Test
    void refineInputsAndScaleReplicatedInputsReturningF32AreCastBackAfterScalingInEveryMethod() {
        HostArray[] args = args(IN, DType.F32).toArray(HostArray[]::new);
        UnaryOperator<Tensor> bf16 = t -> t.astype(DType.BF16);
        for (MoEMethods m : MoEMethods.values()) {
            MoeConfig cfg = MoeConfig.of(4, 2, 8, 6).withMoeMethod(m).withDtype(MoeDtype.BFLOAT16);
            MoeFusedHooks<Tensor> none = MoeFusedHooks.none();

            double[] refine = output(cfg, none.withRefineInputsHook((t, w, s) -> refineF32(t)), args);
            assertThat(refine).as("%s refine_inputs_hook f32, cast back", m)
                    .containsExactly(output(cfg, none.withRefineInputsHook((t, w, s) -> bf16.apply(refineF32(t))), args));

            double[] scale = output(cfg, none.withScaleReplicatedInputs(HookCastBackJourneyTest::scaleF32), args);
            assertThat(scale).as("%s scale_replicated_inputs f32, cast back", m)
                    .containsExactly(output(cfg, none.withScaleReplicatedInputs((r, w) -> bf16.apply(scaleF32(r, w))), args));

            double[] both = output(cfg, none.withRefineInputsHook((t, w, s) -> refineF32(t)).withScaleReplicatedInputs(HookCastBackJourneyTest::scaleF32), args);
            double[] folded = output(cfg, none.withScaleReplicatedInputs((r, w) -> bf16.apply(scaleF32(refineF32(r), w))), args);
            assertThat(both).as("%s both hooks: one cast, after scale_replicated_inputs", m).containsExactly(folded);
            double[] early = output(cfg, none.withRefineInputsHook((t, w, s) -> bf16.apply(refineF32(t)))
                    .withScaleReplicatedInputs((r, w) -> bf16.apply(scaleF32(r, w))), args);
            assertThat(both).as("%s a cast right after refine_inputs_hook rounds twice and gives other numbers", m).isNotEqualTo(early);
            assertThat(refine).as("%s the refinement changes the output", m).isNotEqualTo(output(cfg, none, args));
        }
    }

    /** Integer rows are no hidden states: refused by name, not cast. after_wiwu (no cast after it) still refuses f32. */
    @Test
    void integerRowsAndADtypeChangeWhereNothingCastsBackAreRefusedByName() {
        HostArray[] args = args(IN, DType.F32).toArray(HostArray[]::new);
        MoeConfig cfg = MoeConfig.of(4, 2, 8, 6).withDtype(MoeDtype.BFLOAT16);
        assertThatThrownBy(() -> output(cfg, MoeFusedHooks.<Tensor>none().withRefineInputsHook((t, w, s) -> t.astype(DType.I32)), args))
                .isInstanceOf(MoeException.class)
                .satisfies(e -> assertThat(((MoeException) e).format()).contains("refine_inputs_hook returned tokens i32[10, 8]")
                        .contains("for tokens bf16[10, 8]").contains("must return floating-point rows").contains("MoeJourney.java:")); // the line calling moeCall
        assertThatThrownBy(() -> output(cfg, MoeFusedHooks.<Tensor>none().withScaleReplicatedInputs((r, w) -> r.astype(DType.BOOL)), args))
                .isInstanceOf(MoeException.class)
                .satisfies(e -> assertThat(((MoeException) e).format()).contains("scale_replicated_inputs returned rows i1[20, 8]")
                        .contains("must return floating-point rows"));
        assertThatThrownBy(() -> output(cfg, MoeFusedHooks.<Tensor>none().withAfterWiwu(h -> h.astype(DType.F32)), args))
                .isInstanceOf(MoeException.class)
                .satisfies(e -> assertThat(((MoeException) e).format()).contains("after_wiwu returned f32[").contains("must return the dtype it is given"));
    }
}
