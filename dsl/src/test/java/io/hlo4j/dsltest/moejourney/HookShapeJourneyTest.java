package io.hlo4j.dsltest.moejourney;

import static io.hlo4j.dsltest.moejourney.MoeJourney.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.HookPoint;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A hook that returns the wrong shape, at every hook point and in every method: the layer refuses it while tracing,
 * naming the hook point, the shape it was given and the shape it returned, and the user's line. Every hook here
 * drops the last entry of its value's first axis (a classic off-by-one slice); the hooks record what they were
 * given, so the expected shapes come from the call itself.
 */
class HookShapeJourneyTest {
    static final MoeOracle.Inputs IN = random(21, 2, 3, 4, 4, 3, false);

    /** The first axis one shorter. */
    static Tensor dropLast(Tensor t) {
        long[] hi = t.dims().clone();
        hi[0] -= 1;
        return Ops.slice(t, new long[t.rank()], hi);
    }

    /** Hooks with {@code u} at {@code p} (its value, for the points that take more than one), {@code select} at select_hook. */
    static MoeFusedHooks<Tensor> at(HookPoint p, UnaryOperator<Tensor> u, MoeFusedHooks.SelectHook<Tensor> select) {
        MoeFusedHooks<Tensor> h = MoeFusedHooks.none();
        return switch (p) {
            case BEFORE_GATE -> h.withBeforeGate(u);
            case AFTER_GATE -> h.withAfterGate(u);
            case NORMALIZE_GATE_LOGITS -> h.withNormalizeGateLogits(u);
            case BEFORE_TOPK -> h.withBeforeTopk(u);
            case SELECT_HOOK -> h.withSelectHook(select);
            case REFINE_WEIGHTS_HOOK -> h.withRefineWeightsHook(u);
            case REFINE_INPUTS_HOOK -> h.withRefineInputsHook((tokens, w, shape) -> u.apply(tokens));
            case SCALE_REPLICATED_INPUTS -> h.withScaleReplicatedInputs((rows, w) -> u.apply(rows));
            case AFTER_EP_RECEIVE -> h.withAfterEpReceive(u);
            case AFTER_WIWU -> h.withAfterWiwu(u);
            case BEFORE_WO -> h.withBeforeWo(u);
            case AFTER_WO -> h.withAfterWo(u);
            case OUTPUT_WEIGHTS_HOOK -> h.withOutputWeightsHook(u);
            case BEFORE_COMBINE -> h.withBeforeCombine((outputs, w) -> new MoeFusedHooks.CombineInputs<>(u.apply(outputs), w));
            case FINALIZE_OUTPUT -> h.withFinalizeOutput(u);
        };
    }

    static MoeFusedHooks<Tensor> wrong(HookPoint p, List<long[]> given) {
        UnaryOperator<Tensor> u = t -> {
            given.add(t.dims().clone());
            return dropLast(t);
        };
        return at(p, u, (scores, pre, k) -> {
            given.add(new long[] {scores.dim(0), k});
            Tensor ids = Ops.iota(DType.I32, io.hlo4j.dsl.Shape.of(scores.dim(0) - 1, k), 1);
            return new MoeFusedHooks.Selection<>(Ops.full(ids.shape(), 0.5, scores.dtype()), ids);
        });
    }

    @Test
    void aHookReturningTheWrongShapeIsRefusedByNameAtEveryPointInEveryMethod() {
        HostArray[] args = args(IN, DType.F32).toArray(HostArray[]::new);
        List<String> failures = new ArrayList<>();
        for (MoEMethods m : MoEMethods.values()) {
            MoeConfig cfg = MoeConfig.of(4, 2, 4, 3).withMoeMethod(m);
            for (HookPoint p : HookPoint.values()) {
                List<long[]> given = new ArrayList<>();
                MoeFusedHooks<Tensor> hooks = wrong(p, given);
                int[] line = new int[1];
                Jit jit = Jit.jit("moe", a -> {
                    line[0] = StackWalker.getInstance().walk(s -> s.findFirst()).orElseThrow().getLineNumber() + 1;
                    return new BaseMoeModule(cfg, hooks).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]), experts(a), true).asMap();
                });
                try {
                    assertThatThrownBy(() -> jit.lower((Object[]) args)).as("%s %s", m, p).isInstanceOf(MoeException.class)
                            .satisfies(e -> {
                                String msg = ((MoeException) e).format();
                                assertThat(given).as("%s %s: the hook ran", m, p).isNotEmpty();
                                long[] in = given.get(0), out = in.clone();
                                out[0] -= 1;
                                assertThat(msg).as("%s %s", m, p).contains(p.value()).contains(Arrays.toString(in)).contains(Arrays.toString(out))
                                        .contains("HookShapeJourneyTest.java:" + line[0]);
                            });
                } catch (AssertionError e) {
                    failures.add(m + " " + p + ": " + e.getMessage().lines().limit(6).reduce("", (a, b) -> a + "\n" + b));
                }
            }
        }
        assertThat(failures).as(failures.size() + " of 45").isEmpty();
    }

    /** The hook at {@code p} returning its value cast to f32 (select_hook: f32 weights; before_combine: f32 outputs). */
    static MoeFusedHooks<Tensor> toF32(HookPoint p, List<DType> given) {
        UnaryOperator<Tensor> u = t -> {
            given.add(t.dtype());
            return t.astype(DType.F32);
        };
        return at(p, u, (scores, pre, k) -> {
            given.add(scores.dtype());
            Tensor ids = Ops.iota(DType.I32, io.hlo4j.dsl.Shape.of(scores.dim(0), k), 1);
            return new MoeFusedHooks.Selection<>(Ops.full(ids.shape(), 0.5, DType.F32), ids);
        });
    }

    /**
     * A bf16 layer whose hook returns f32: at the three points that feed an expert matmul with no cast after them
     * (after_ep_receive, after_wiwu, before_wo) the layer refuses it by name (before the fix these failed later, at
     * "raggedDot: dtypes differ: f32[12,4] and bf16[4,4,3]"); at every other point the layer runs and its output
     * stays bf16 (but for finalize_output, whose result is the output): refine_inputs_hook's and
     * scale_replicated_inputs' rows are cast back as EasyDeL does (HookCastBackJourneyTest checks the numbers).
     */
    @Test
    void aHookChangingTheDtypeIsRefusedByNameWhereNothingCastsItBackAndRunsElsewhere() {
        HostArray[] args = args(IN, DType.F32).toArray(HostArray[]::new);
        List<String> failures = new ArrayList<>();
        for (MoEMethods m : MoEMethods.values()) {
            MoeConfig cfg = MoeConfig.of(4, 2, 4, 3).withMoeMethod(m).withDtype(io.hlo4j.dsl.moe.MoeDtype.BFLOAT16);
            for (HookPoint p : HookPoint.values()) {
                List<DType> given = new ArrayList<>();
                MoeFusedHooks<Tensor> hooks = toF32(p, given);
                Jit jit = Jit.jit("moe", a -> new BaseMoeModule(cfg, hooks).moeCall((Tensor) a[0],
                        BaseMoeModule.linearGate((Tensor) a[1]), experts(a), true).asMap());
                try {
                    if (MoeFusedHooks.KEEPS_DTYPE.contains(p)) {
                        assertThatThrownBy(() -> jit.lower((Object[]) args)).as("%s %s", m, p).isInstanceOf(MoeException.class)
                                .satisfies(e -> {
                                    assertThat(given).as("%s %s: the hook ran on bf16", m, p).containsExactly(DType.BF16);
                                    assertThat(((MoeException) e).format()).as("%s %s", m, p).contains(p.value() + " returned ")
                                            .contains("f32[").contains("for ").contains("bf16[").contains("must return the dtype it is given")
                                            .contains("HookShapeJourneyTest.java:");
                                });
                    } else {
                        // finalize_output's result is the layer's output, so its dtype is the hook's
                        assertThat(jit.callMap((Object[]) args).get("output").type().toString()).as("%s %s", m, p)
                                .isEqualTo(p == HookPoint.FINALIZE_OUTPUT ? "tensor<2x3x4xf32>" : "tensor<2x3x4xbf16>");
                        assertThat(given).as("%s %s: the hook ran", m, p).isNotEmpty();
                    }
                } catch (AssertionError | RuntimeException e) {
                    failures.add(m + " " + p + ": " + String.valueOf(e.getMessage()).lines().limit(6).reduce("", (a, b) -> a + "\n" + b));
                }
            }
        }
        assertThat(failures).as(failures.size() + " of 45").isEmpty();
    }

    /** A select_hook or before_combine hook that returns null is refused by name, not a NullPointerException. */
    @Test
    void aHookReturningNullIsRefusedByName() {
        HostArray[] args = args(IN, DType.F32).toArray(HostArray[]::new);
        for (MoEMethods m : MoEMethods.values()) {
            MoeConfig cfg = MoeConfig.of(4, 2, 4, 3).withMoeMethod(m);
            List<MoeFusedHooks<Tensor>> hooks = List.of(MoeFusedHooks.<Tensor>none().withSelectHook((scores, pre, k) -> null),
                    MoeFusedHooks.<Tensor>none().withBeforeCombine((outputs, w) -> null));
            List<String> names = List.of("select_hook returned null", "before_combine returned null");
            for (int i = 0; i < 2; i++) {
                MoeFusedHooks<Tensor> h = hooks.get(i);
                String name = names.get(i);
                Jit jit = Jit.jit("moe", a -> new BaseMoeModule(cfg, h).moeCall((Tensor) a[0],
                        BaseMoeModule.linearGate((Tensor) a[1]), experts(a), true).asMap());
                assertThatThrownBy(() -> jit.lower((Object[]) args)).as("%s %s", m, name).isInstanceOf(MoeException.class)
                        .satisfies(e -> assertThat(((MoeException) e).format()).contains(name).contains("HookShapeJourneyTest.java:"));
            }
        }
    }
}
