package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.HookPoint;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The expert-parallel layer runs the user's hooks with the one-device layer's semantics per device: on 8 simulated
 * devices, in every mode, the EP run with hooks equals the one-device FUSED layer ({@code moeCall}) with the same
 * hooks (output, router logits, loads; f32, relative error <= 1e-5), and so do the gradients with respect to x, the
 * gate, the kernels and the biases. {@link #ALL} sets every hook point but select_hook and normalize_gate_logits,
 * {@link #SELECTING} those two with a refine_weights_hook; every hook is per token or per row, as EP (and EasyDeL's
 * shard_map) requires. {@link #eachHookChangesTheOutput} makes sure no hook is a no-op on these inputs, so an EP path
 * that skipped one would fail the equality.
 */
class EpHooksTest {
    static final MoeConfig CFG = MoeConfig.of(8, 2, 8, 8);
    static final EpCase CASE = EpCase.random(CFG, 2, 8, true, 71);
    static final HostArray CT = EpCase.f32(new Random(72), 1.0, 16, 8);

    /** tp = 1: dp 2 x expert 4 (fsdp and ep folded); and tp = 2 with 4 expert shards. */
    static final int[] TP1 = {2, 2, 2, 1, 1}, TP2 = {1, 1, 4, 2, 1};

    /** 8 expert shards of one expert each: TOKEN_SHARDED's one-assignment-per-pair path. */
    static final int[] ONE_EXPERT_PER_SHARD = {1, 2, 4, 1, 1};

    static final MoeFusedHooks<Tensor> ALL = MoeFusedHooks.<Tensor>none()
            .withBeforeGate(t -> t.mul(1.3))
            .withAfterGate(l -> l.add(Ops.iota(l.dtype(), Shape.of(l.dims()), 1).mul(0.05)))
            .withBeforeTopk(s -> s.mul(s))
            .withRefineWeightsHook(w -> w.mul(0.8))
            .withRefineInputsHook((t, w, shape) -> t.mul(Reductions.sum(w, true, 1).add(0.5).broadcastTo(t.dims())))
            .withScaleReplicatedInputs((r, w) -> r.mul(w.add(1.0).reshape(w.dim(0), 1).broadcastTo(r.dims())))
            .withAfterEpReceive(r -> r.mul(0.9))
            .withAfterWiwu(Ops::tanh)
            .withBeforeWo(h -> h.mul(1.5))
            .withAfterWo(y -> y.add(0.05))
            .withOutputWeightsHook(w -> w.mul(0.5).add(0.1))
            .withBeforeCombine((y, w) -> new MoeFusedHooks.CombineInputs<>(y.mul(1.1), w.mul(2.0)))
            .withFinalizeOutput(y -> Ops.tanh(y).mul(3.0));

    /** What a mesh with tp > 1 allows: every hook but those on h and y (a device holds a slice or a partial sum). */
    static final MoeFusedHooks<Tensor> ALL_TP = ALL.without(HookPoint.AFTER_WIWU).without(HookPoint.BEFORE_WO)
            .without(HookPoint.AFTER_WO).without(HookPoint.BEFORE_COMBINE);

    /** DeepSeek-style: sigmoid scores, selection on scores plus a per-expert bias, weights the unbiased scores, renormalized. */
    static final MoeFusedHooks<Tensor> SELECTING = MoeFusedHooks.<Tensor>none()
            .withNormalizeGateLogits(Nn::sigmoid)
            .withSelectHook((s, pre, k) -> {
                Tensor biased = s.add(Ops.iota(s.dtype(), Shape.of(s.dims()), 1).mul(0.03));
                Tensor ids = Ops.slice(Indexing.argsort(Ops.neg(biased), 1), new long[] {0, 0}, new long[] {s.dim(0), k});
                return new MoeFusedHooks.Selection<>(Indexing.takeAlongAxis(s, ids, 1), ids);
            })
            .withRefineWeightsHook(w -> w.div(Reductions.sum(w, true, 1).broadcastTo(w.dims())));

    static ExpertWeights weights(Object[] a) {
        return new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], (Tensor) a[5], (Tensor) a[6], (Tensor) a[7]);
    }

    static MoeOutput oneDevice(MoeFusedHooks<Tensor> hooks, Object[] a) {
        return new BaseMoeModule(CASE.cfg(), hooks).moeCall(((Tensor) a[0]).reshape(2, 8, 8), BaseMoeModule.linearGate((Tensor) a[1]), weights(a), true);
    }

    static HostArray[] args() { return new HostArray[] {CASE.x(), CASE.gate(), CASE.wi(), CASE.wu(), CASE.wd(), CASE.wiB(), CASE.wuB(), CASE.wdB()}; }

    /** output [N, H], router logits, loads, selected experts and weights of the one-device layer with these hooks. */
    static List<HostArray> oracle(MoeFusedHooks<Tensor> hooks) {
        return Jit.jit("oracle", a -> {
            MoeOutput o = oneDevice(hooks, a);
            MoeMetrics<Tensor> m = o.metrics().orElseThrow();
            return List.of(o.output().reshape(16, 8), o.routerLogits(), m.expertLoads(), m.selectedExperts(), m.selectedWeights());
        }).lower((Object[]) args()).compile().call(args());
    }

    static List<HostArray> oracleGradients(MoeFusedHooks<Tensor> hooks) {
        HostArray[] a0 = args();
        Object[] argv = Arrays.copyOf(a0, 9, Object[].class);
        argv[8] = CT;
        Object g = Jit.jit("oracle_grad", Grad.grad(a -> Reductions.sum(Ops.mul(oneDevice(hooks, a).output().reshape(16, 8), (Tensor) a[8]), 0, 1),
                0, 1, 2, 3, 4, 5, 6, 7)).call(argv);
        return ((List<?>) g).stream().map(HostArray.class::cast).toList();
    }

    static ExpertParallelMoe ep(int[] f, EpMode mode, MoeFusedHooks<Tensor> hooks) {
        return new ExpertParallelMoe(CASE.cfg(), EpEquivalence.view(f), mode).withHooks(hooks);
    }

    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (EpMode m : EpEquivalence.modes()) {
            out.add(new Object[] {"all hooks", TP1, m});
            out.add(new Object[] {"all hooks tp = 2", TP2, m});
            out.add(new Object[] {"select hook", TP1, m});
            out.add(new Object[] {"all hooks", ONE_EXPERT_PER_SHARD, m});
        }
        return out.stream();
    }

    static MoeFusedHooks<Tensor> hooksOf(String name) {
        return switch (name) {
            case "all hooks" -> ALL;
            case "all hooks tp = 2" -> ALL_TP;
            default -> SELECTING;
        };
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void theRunWithHooksEqualsTheOneDeviceLayerWithTheSameHooks(String name, int[] f, EpMode mode) {
        MoeFusedHooks<Tensor> hooks = hooksOf(name);
        List<HostArray> want = oracle(hooks);
        ExpertParallelMoe ep = ep(f, mode, hooks);
        ExpertParallelMoe.Result r = ep.run(CASE.x(), null, 8, CASE.gate(), CASE.wi(), CASE.wu(), CASE.wd(), CASE.wiB(), CASE.wuB(), CASE.wdB());
        String what = name + " " + Arrays.toString(f) + " " + mode;
        assertThat(r.mode()).isEqualTo(mode);
        EpCase.assertRelClose(what + " output", r.output(), want.get(0), EpCase.TOL);
        EpCase.assertRelClose(what + " router logits", r.routerLogits(), want.get(1), EpCase.TOL);
        assertThat(r.expertLoads().toLongArray()).as(what + " loads").containsExactly(want.get(2).toLongArray());
        MoeMetrics<HostArray> m = ep.metrics(r, null, 8);
        assertThat(m.selectedExperts().toLongArray()).as(what + " selected experts").containsExactly(want.get(3).toLongArray());
        EpCase.assertRelClose(what + " selected weights", m.selectedWeights(), want.get(4), EpCase.TOL);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void theGradientsWithHooksEqualTheOneDeviceLayersWithTheSameHooks(String name, int[] f, EpMode mode) {
        MoeFusedHooks<Tensor> hooks = hooksOf(name);
        List<HostArray> want = oracleGradients(hooks);
        List<HostArray> g = ep(f, mode, hooks).gradients(CASE.x(), null, 8, CASE.gate(), CASE.wi(), CASE.wu(), CASE.wd(), CASE.wiB(), CASE.wuB(),
                CASE.wdB(), CT);
        String[] names = {"x", "gate", "wi", "wu", "wd", "wi_bias", "wu_bias", "wd_bias"};
        for (int i = 0; i < names.length; i++) {
            EpCase.assertRelClose(name + " " + Arrays.toString(f) + " " + mode + " d/d" + names[i], g.get(i), want.get(i).reshape(g.get(i).shape()), 1e-4);
        }
    }

    /** Every hook of ALL and SELECTING changes the one-device output on these inputs: none can be skipped unnoticed. */
    @Test
    void eachHookChangesTheOutput() {
        for (MoeFusedHooks<Tensor> set : List.of(ALL, SELECTING)) {
            double[] full = oracle(set).get(0).toDoubleArray();
            for (HookPoint p : HookPoint.values()) {
                if (!set.isSet(p)) continue;
                double[] without = oracle(set.without(p)).get(0).toDoubleArray();
                double diff = 0;
                for (int i = 0; i < full.length; i++) diff = Math.max(diff, Math.abs(full[i] - without[i]));
                assertThat(diff).as("dropping %s changes the output", p).isGreaterThan(1e-3);
            }
        }
    }

    /**
     * apply, inside the caller's ShardedJit and under Grad there: the output with every hook (finalize_output on the
     * global output) and the gradients with respect to x, the gate and wi equal the one-device layer's.
     */
    @ParameterizedTest
    @EnumSource(value = EpMode.class, names = {"REPLICATED", "RING", "TOKEN_SHARDED"})
    @SuppressWarnings("unchecked")
    void applyRunsTheHooksInsideTheCallersProgramAndUnderGrad(EpMode mode) {
        ExpertParallelMoe ep = ep(TP1, mode, ALL);
        io.hlo4j.dsl.jit.TracedFunction layer = a -> {
            Tensor y = ep.apply(((Tensor) a[0]).reshape(2, 8, 8), null, 8, (Tensor) a[1], weights(a)).output().reshape(16, 8);
            return Reductions.sum(Ops.mul(y, (Tensor) a[8]), 0, 1);
        };
        Object[] argv = Arrays.copyOf(args(), 9, Object[].class);
        argv[8] = CT;
        List<NamedSharding> in = java.util.Collections.nCopies(9, NamedSharding.of(EpEquivalence.view(TP1).model()));
        List<Object> got = (List<Object>) ShardedJit.jit("apply_hooks", Grad.valueAndGrad(layer, 0, 1, 2), in).callSimulated(argv).results();
        List<HostArray> want = oracleGradients(ALL);
        double value = 0;
        double[] y = oracle(ALL).get(0).toDoubleArray(), ct = CT.toDoubleArray();
        for (int i = 0; i < y.length; i++) value += y[i] * ct[i];
        assertThat(((HostArray) got.get(0)).getDouble(0)).as(mode + " value").isCloseTo(value, org.assertj.core.data.Offset.offset(1e-4 * Math.abs(value) + 1e-5));
        List<HostArray> g = (List<HostArray>) got.get(1);
        String[] names = {"x", "gate", "wi"};
        for (int i = 0; i < 3; i++) EpCase.assertRelClose(mode + " apply d/d" + names[i], g.get(i), want.get(i), 1e-4);
    }

    /**
     * A bf16 layer whose refine_inputs_hook and scale_replicated_inputs return f32 runs in every mode (the rows are
     * cast back after scale_replicated_inputs, which runs on the dp share's rows before they move) and equals the
     * one-device bf16 layer with the same hooks bit for bit, with tp = 1 and tp = 2 (EpDtypeTest says why).
     */
    @ParameterizedTest
    @EnumSource(value = EpMode.class, names = {"REPLICATED", "RING", "TOKEN_SHARDED"})
    void bf16RowsReturnedAsF32AreCastBackOnEveryDevice(EpMode mode) {
        MoeConfig bf16 = CASE.cfg().withDtype(io.hlo4j.dsl.moe.MoeDtype.BFLOAT16);
        MoeFusedHooks<Tensor> hooks = MoeFusedHooks.<Tensor>none()
                .withRefineInputsHook((t, w, shape) -> t.astype(DType.F32).mul(1.37).add(0.01))
                .withScaleReplicatedInputs((r, w) -> r.astype(DType.F32).mul(w.astype(DType.F32).add(1.0).reshape(w.dim(0), 1).broadcastTo(r.dims())));
        HostArray want = Jit.jit("one_bf16", a -> new BaseMoeModule(bf16, hooks).moeCall(((Tensor) a[0]).reshape(2, 8, 8),
                BaseMoeModule.linearGate((Tensor) a[1]), weights(a), false).output().reshape(16, 8)).call1((Object[]) args());
        for (int[] f : List.of(TP1, TP2)) {
            ExpertParallelMoe.Result r = new ExpertParallelMoe(bf16, EpEquivalence.view(f), mode).withHooks(hooks)
                    .run(CASE.x(), null, 8, CASE.gate(), CASE.wi(), CASE.wu(), CASE.wd(), CASE.wiB(), CASE.wuB(), CASE.wdB());
            assertThat(r.output().type().toString()).isEqualTo("tensor<16x8xbf16>");
            assertThat(r.output().toDoubleArray()).as("bf16 %s %s", Arrays.toString(f), mode).containsExactly(want.toDoubleArray());
        }
    }

    /** With tp > 1 the hooks on h and y are refused by name when set; finalize_output has no [B, S, H] in the annotated module. */
    @Test
    void hooksNoDeviceCanRunAreRefusedByName() {
        for (HookPoint p : List.of(HookPoint.AFTER_WIWU, HookPoint.BEFORE_WO, HookPoint.AFTER_WO, HookPoint.BEFORE_COMBINE)) {
            MoeFusedHooks<Tensor> one = switch (p) {
                case AFTER_WIWU -> MoeFusedHooks.<Tensor>none().withAfterWiwu(h -> h);
                case BEFORE_WO -> MoeFusedHooks.<Tensor>none().withBeforeWo(h -> h);
                case AFTER_WO -> MoeFusedHooks.<Tensor>none().withAfterWo(y -> y);
                default -> MoeFusedHooks.<Tensor>none().withBeforeCombine((y, w) -> new MoeFusedHooks.CombineInputs<>(y, w));
            };
            assertThatThrownBy(() -> ep(TP2, EpMode.TOKEN_SHARDED, one)).isInstanceOf(MoeException.class)
                    .satisfies(e -> assertThat(((MoeException) e).format()).contains(p.value() + " cannot run per device with tp = 2")
                            .contains("EpHooksTest.java:"));
            // the same hook runs with tp = 1
            ep(TP1, EpMode.TOKEN_SHARDED, one);
        }
        assertThatThrownBy(() -> ep(TP1, EpMode.RING, ALL).lowerAnnotated(16, 8, DType.F32, true)).isInstanceOf(MoeException.class)
                .satisfies(e -> assertThat(((MoeException) e).format()).contains("finalize_output").contains("lowerAnnotated"));
    }
}
