package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hooks on the rows of a device's buffer that are not its own (other shards' rows in REPLICATED and RING, padding
 * rows in TOKEN_SHARDED: exactly zero after the FFN): on 8 simulated devices, in every mode, a row-normalising
 * before_combine or after_wo ({@code y / |y|}: 0/0 on a zero row) gives the one-device layer's output and gradients
 * with no NaN, and a before_combine that makes zero weights nonzero still combines each pair once. The oracle is the
 * one-device FUSED layer with the same hooks ({@link EpHooksTest#oracle}).
 */
class EpRowHooksTest {
    static Tensor normalise(Tensor y) {
        return y.div(Ops.sqrt(Reductions.sum(y.mul(y), true, 1)).broadcastTo(y.dims()));
    }

    static final MoeFusedHooks<Tensor> NORM_COMBINE = MoeFusedHooks.<Tensor>none()
            .withBeforeCombine((y, w) -> new MoeFusedHooks.CombineInputs<>(normalise(y), w));
    static final MoeFusedHooks<Tensor> NORM_AFTER_WO = MoeFusedHooks.<Tensor>none().withAfterWo(EpRowHooksTest::normalise);
    /** Every weight, the zero weights of other shards' rows too, made nonzero: only a mask after the hook keeps those rows out. */
    static final MoeFusedHooks<Tensor> LIFT_WEIGHTS = MoeFusedHooks.<Tensor>none()
            .withBeforeCombine((y, w) -> new MoeFusedHooks.CombineInputs<>(y.add(0.3), w.add(0.2)));

    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (EpMode m : EpEquivalence.modes()) {
            out.add(new Object[] {"normalising before_combine", EpHooksTest.TP1, m});
            out.add(new Object[] {"normalising after_wo", EpHooksTest.TP1, m});
            out.add(new Object[] {"lifted weights", EpHooksTest.TP1, m});
            out.add(new Object[] {"normalising before_combine", EpHooksTest.ONE_EXPERT_PER_SHARD, m});
        }
        return out.stream();
    }

    static MoeFusedHooks<Tensor> hooksOf(String name) {
        return switch (name) {
            case "normalising before_combine" -> NORM_COMBINE;
            case "normalising after_wo" -> NORM_AFTER_WO;
            default -> LIFT_WEIGHTS;
        };
    }

    static void assertFinite(String what, HostArray a) {
        for (double v : a.toDoubleArray()) assertThat(Double.isFinite(v)).as(what + " has no NaN or infinity").isTrue();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void valuesAndGradientsEqualTheOneDeviceLayer(String name, int[] f, EpMode mode) {
        MoeFusedHooks<Tensor> hooks = hooksOf(name);
        String what = name + " " + Arrays.toString(f) + " " + mode;
        List<HostArray> want = EpHooksTest.oracle(hooks);
        assertFinite(what + " oracle", want.get(0));
        ExpertParallelMoe ep = EpHooksTest.ep(f, mode, hooks);
        EpCase c = EpHooksTest.CASE;
        ExpertParallelMoe.Result r = ep.run(c.x(), null, 8, c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB());
        assertThat(r.mode()).isEqualTo(mode);
        assertFinite(what + " output", r.output());
        EpCase.assertRelClose(what + " output", r.output(), want.get(0), EpCase.TOL);

        List<HostArray> wantG = EpHooksTest.oracleGradients(hooks);
        List<HostArray> g = ep.gradients(c.x(), null, 8, c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB(), EpHooksTest.CT);
        String[] names = {"x", "gate", "wi", "wu", "wd", "wi_bias", "wu_bias", "wd_bias"};
        for (int i = 0; i < names.length; i++) {
            assertFinite(what + " d/d" + names[i], g.get(i));
            EpCase.assertRelClose(what + " d/d" + names[i], g.get(i), wantG.get(i).reshape(g.get(i).shape()), 1e-4);
        }
    }

    /** The lifted weights change the one-device output (so an EP path that let other shards' rows in would differ). */
    @Test
    void theHooksChangeTheOutput() {
        double[] plain = EpHooksTest.oracle(MoeFusedHooks.none()).get(0).toDoubleArray();
        for (MoeFusedHooks<Tensor> h : List.of(NORM_COMBINE, NORM_AFTER_WO, LIFT_WEIGHTS)) {
            double[] with = EpHooksTest.oracle(h).get(0).toDoubleArray();
            double diff = 0;
            for (int i = 0; i < plain.length; i++) diff = Math.max(diff, Math.abs(plain[i] - with[i]));
            assertThat(diff).as(h.toString()).isGreaterThan(1e-2);
        }
    }

    /**
     * A bf16 layer given f32 x, with scale_replicated_inputs and no refine_inputs_hook: the hook sees bf16 rows on
     * every device, as on one device (RING gathered the f32 tokens and handed them on uncast). Top-1 routing and
     * tp = 1, so each token's output is one expert row summed with zeros: bit-identical to the one-device layer.
     */
    @Test
    void scaleReplicatedInputsSeesComputeDtypeRowsInEveryMode() {
        MoeConfig bf16 = MoeConfig.of(8, 1, 8, 8).withDtype(MoeDtype.BFLOAT16);
        EpCase c = EpCase.random(bf16, 2, 8, true, 91);
        MoeFusedHooks<Tensor> hooks = MoeFusedHooks.<Tensor>none()
                .withScaleReplicatedInputs((r, w) -> r.mul(w.add(1.0).reshape(w.dim(0), 1).broadcastTo(r.dims())));
        HostArray[] args = {c.x(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB()};
        HostArray want = Jit.jit("one_bf16", a -> new BaseMoeModule(bf16, hooks).moeCall(((Tensor) a[0]).reshape(2, 8, 8),
                BaseMoeModule.linearGate((Tensor) a[1]), EpHooksTest.weights(a), false).output().reshape(16, 8)).call1((Object[]) args);
        for (EpMode mode : EpEquivalence.modes()) {
            ExpertParallelMoe.Result r = new ExpertParallelMoe(bf16, EpEquivalence.view(EpHooksTest.TP1), mode).withHooks(hooks)
                    .run(c.x(), null, 8, c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB());
            assertThat(r.output().type().toString()).as(mode.toString()).isEqualTo("tensor<16x8xbf16>");
            assertThat(r.output().toDoubleArray()).as(mode + " bit for bit").containsExactly(want.toDoubleArray());
        }
    }

    /**
     * A bf16 layer whose after_gate returns f32 logits selects from them; metrics redoes the selection from the run's
     * logits in their own dtype, so its selections and weights are the one-device layer's bit for bit (redone from
     * logits rounded to bf16, the near-equal scores below rank and weigh differently).
     */
    @Test
    void metricsSelectFromTheRunsLogitsInTheirDtype() {
        MoeConfig bf16 = EpHooksTest.CFG.withDtype(MoeDtype.BFLOAT16);
        EpCase c = EpHooksTest.CASE;
        MoeFusedHooks<Tensor> hooks = MoeFusedHooks.<Tensor>none()
                .withAfterGate(l -> l.astype(DType.F32).mul(4.0).add(Ops.iota(DType.F32, Shape.of(l.dims()), 1).mul(0.013)));
        HostArray[] args = {c.x(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB()};
        List<HostArray> want = Jit.jit("one_bf16_metrics", a -> {
            MoeMetrics<Tensor> m = new BaseMoeModule(bf16, hooks).moeCall(((Tensor) a[0]).reshape(2, 8, 8),
                    BaseMoeModule.linearGate((Tensor) a[1]), EpHooksTest.weights(a), true).metrics().orElseThrow();
            return List.of(m.selectedExperts(), m.selectedWeights());
        }).lower((Object[]) args).compile().call(args);
        ExpertParallelMoe ep = new ExpertParallelMoe(bf16, EpEquivalence.view(EpHooksTest.TP1), EpMode.RING).withHooks(hooks);
        ExpertParallelMoe.Result r = ep.run(c.x(), null, 8, c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB());
        assertThat(r.routerLogits().type().toString()).isEqualTo("tensor<16x8xf32>");
        MoeMetrics<HostArray> m = ep.metrics(r, null, 8);
        assertThat(m.selectedExperts().toLongArray()).as("selected experts").containsExactly(want.get(0).toLongArray());
        assertThat(m.selectedWeights().toDoubleArray()).as("selected weights").containsExactly(want.get(1).toDoubleArray());
    }

    /** trace returns the body without finalize_output: with that hook set it is refused by name, not silently skipped. */
    @Test
    void traceRefusesFinalizeOutput() {
        ExpertParallelMoe ep = EpHooksTest.ep(EpHooksTest.TP1, EpMode.RING, MoeFusedHooks.<Tensor>none().withFinalizeOutput(y -> y.mul(2.0)));
        assertThatThrownBy(() -> ep.trace(16, 8, DType.F32, true)).isInstanceOf(MoeException.class)
                .satisfies(e -> assertThat(((MoeException) e).format()).contains("ExpertParallelMoe.trace").contains("finalize_output"));
    }
}
