package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.Indexing;
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
 * Hooks whose values depend on the layout of the tokens they are given (a per-sequence mean, a mean over all tokens,
 * a token's global position) see under expert parallelism what EasyDeL's hook points give, so the EP layer equals the
 * one-device layer with the same hook (f32, relative error <= 1e-5; selections exact):
 * <ul>
 *   <li>before_gate sees x [B, S, H], after_gate, normalize_gate_logits and before_topk all N tokens' [N, E] (global
 *       view, outside EasyDeL's shard_map);</li>
 *   <li>select_hook, refine_weights_hook, refine_inputs_hook (told [B/D, S, H]), output_weights_hook and
 *       scale_replicated_inputs the dp share, whole sequences (EasyDeL's shard_map block), on one device all N;</li>
 *   <li>finalize_output the global [B, S, H].</li>
 * </ul>
 * The meshes split the tokens every way: (dp, fsdp, ep, tp, sp) = (2, 2, 2, 1, 1) gives D = 2 dp shares of 2
 * sequences and, in RING and TOKEN_SHARDED, 2 tokens (half a sequence) per device; (1, 1, 4, 2, 1) one share over 4
 * expert shards and tp = 2. Each hook changes the one-device output ({@link #eachHookChangesTheOutput}), and each is
 * layout-dependent: on the device's own tokens it would give other numbers ({@link #theHooksAreLayoutDependent}).
 */
class EpHookViewsTest {
    static final long B = 4, S = 4, H = 8, N = B * S;
    static final MoeConfig CFG = MoeConfig.of(8, 2, (int) H, 8);
    static final EpCase CASE = EpCase.random(CFG, B, S, false, 91);
    static final HostArray CT = EpCase.f32(new Random(92), 1.0, N, H);
    static final int[] DP2 = {2, 2, 2, 1, 1}, TP2 = {1, 1, 4, 2, 1};

    /** Rows [R, ...] (R a multiple of S rows per sequence) seen per sequence: [R / per, per, ...]. */
    static Tensor perSeq(Tensor t, long per) {
        long[] d = new long[t.rank() + 1];
        d[0] = t.dim(0) / per;
        d[1] = per;
        for (int i = 1; i < t.rank(); i++) d[i + 1] = t.dim(i);
        return t.reshape(d);
    }

    /** t + c * (the mean over each sequence of its rows), rows per sequence {@code per}: changes with how the rows are split. */
    static Tensor plusSeqMean(Tensor t, long per, double c) {
        Tensor s = perSeq(t, per);
        return s.add(Reductions.mean(s, true, 1).broadcastTo(s.dims()).mul(c)).reshape(t.dims());
    }

    /** A top-k on the scores plus a per-sequence mean (whole sequences, so any whole-sequence view gives the same). */
    static MoeFusedHooks.Selection<Tensor> seqSelect(Tensor s, int k) {
        Tensor biased = plusSeqMean(s, S, -0.8);
        Tensor ids = Ops.slice(Indexing.argsort(Ops.neg(biased), 1), new long[] {0, 0}, new long[] {s.dim(0), k});
        return new MoeFusedHooks.Selection<>(Indexing.takeAlongAxis(s, ids, 1), ids);
    }

    /** One layout-dependent hook at {@code p}. */
    static MoeFusedHooks<Tensor> hook(HookPoint p) {
        MoeFusedHooks<Tensor> h = MoeFusedHooks.none();
        return switch (p) {
            // needs x as [B, S, H]: on [N, H] the mean would run over H
            case BEFORE_GATE -> h.withBeforeGate(x -> x.add(Reductions.mean(x, true, 1).broadcastTo(x.dims()).mul(-0.9)));
            // the mean over all N tokens
            case AFTER_GATE -> h.withAfterGate(l -> l.add(Reductions.mean(l, true, 0).broadcastTo(l.dims()).mul(-3.0)));
            // each token's global position
            case NORMALIZE_GATE_LOGITS -> h.withNormalizeGateLogits(l -> Reductions.softmax(l, 1)
                    .add(Ops.iota(l.dtype(), Shape.of(l.dims()), 0).mul(Ops.iota(l.dtype(), Shape.of(l.dims()), 1)).mul(0.004)));
            case BEFORE_TOPK -> h.withBeforeTopk(s -> s.add(Reductions.mean(s, true, 0).broadcastTo(s.dims()).mul(-1.5)));
            case SELECT_HOOK -> h.withSelectHook((s, pre, k) -> seqSelect(s, k));
            case REFINE_WEIGHTS_HOOK -> h.withRefineWeightsHook(w -> plusSeqMean(w, S, 2.0));
            // reshapes to the shape it is told and subtracts each sequence's mean token
            case REFINE_INPUTS_HOOK -> h.withRefineInputsHook((t, w, shape) -> {
                Tensor x = t.reshape(shape);
                return x.add(Reductions.mean(x, true, 1).broadcastTo(x.dims()).mul(-0.9)).reshape(t.dims());
            });
            case OUTPUT_WEIGHTS_HOOK -> h.withOutputWeightsHook(w -> plusSeqMean(w, S, 2.0));
            // rows token-major, S k rows per sequence
            case SCALE_REPLICATED_INPUTS -> h.withScaleReplicatedInputs((r, w) -> r.mul(plusSeqMean(w, S * 2, 3.0).add(1.0)
                    .reshape(w.dim(0), 1).broadcastTo(r.dims())));
            case FINALIZE_OUTPUT -> h.withFinalizeOutput(y -> y.add(Reductions.mean(y, true, 1).broadcastTo(y.dims()).mul(2.0)));
            default -> throw new IllegalArgumentException(p.toString());
        };
    }

    static final List<HookPoint> POINTS = List.of(HookPoint.BEFORE_GATE, HookPoint.AFTER_GATE, HookPoint.NORMALIZE_GATE_LOGITS,
            HookPoint.BEFORE_TOPK, HookPoint.SELECT_HOOK, HookPoint.REFINE_WEIGHTS_HOOK, HookPoint.REFINE_INPUTS_HOOK,
            HookPoint.OUTPUT_WEIGHTS_HOOK, HookPoint.SCALE_REPLICATED_INPUTS, HookPoint.FINALIZE_OUTPUT);

    /** Every hook of {@link #POINTS} at once. */
    static MoeFusedHooks<Tensor> all() {
        MoeFusedHooks<Tensor> h = hook(HookPoint.BEFORE_GATE);
        return h.withAfterGate(hook(HookPoint.AFTER_GATE).afterGate()).withBeforeTopk(hook(HookPoint.BEFORE_TOPK).beforeTopk())
                .withSelectHook(hook(HookPoint.SELECT_HOOK).selectHook()).withRefineWeightsHook(hook(HookPoint.REFINE_WEIGHTS_HOOK).refineWeightsHook())
                .withRefineInputsHook(hook(HookPoint.REFINE_INPUTS_HOOK).refineInputsHook())
                .withOutputWeightsHook(hook(HookPoint.OUTPUT_WEIGHTS_HOOK).outputWeightsHook())
                .withScaleReplicatedInputs(hook(HookPoint.SCALE_REPLICATED_INPUTS).scaleReplicatedInputs())
                .withFinalizeOutput(hook(HookPoint.FINALIZE_OUTPUT).finalizeOutput());
    }

    static HostArray[] args() { return new HostArray[] {CASE.x(), CASE.gate(), CASE.wi(), CASE.wu(), CASE.wd()}; }

    static MoeOutput oneDevice(MoeFusedHooks<Tensor> hooks, Object[] a) {
        return new BaseMoeModule(CFG, hooks).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), true);
    }

    /** output [N, H], router logits, loads, selected experts and weights of the one-device layer with these hooks. */
    static List<HostArray> oracle(MoeFusedHooks<Tensor> hooks) {
        return Jit.jit("oracle", a -> {
            MoeOutput o = oneDevice(hooks, a);
            MoeMetrics<Tensor> m = o.metrics().orElseThrow();
            return List.of(o.output().reshape(N, H), o.routerLogits(), m.expertLoads(), m.selectedExperts(), m.selectedWeights());
        }).lower((Object[]) args()).compile().call(args());
    }

    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (HookPoint p : POINTS) for (int[] f : List.of(DP2, TP2)) for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {p, f, m});
        return out.stream();
    }

    static void assertRun(String what, MoeFusedHooks<Tensor> hooks, int[] f, EpMode mode) {
        List<HostArray> want = oracle(hooks);
        ExpertParallelMoe ep = new ExpertParallelMoe(CFG, EpEquivalence.view(f), mode).withHooks(hooks);
        ExpertParallelMoe.Result r = ep.run(CASE.x(), null, S, CASE.gate(), CASE.wi(), CASE.wu(), CASE.wd(), null, null, null);
        assertThat(r.mode()).isEqualTo(mode);
        EpCase.assertRelClose(what + " output", r.output(), want.get(0), EpCase.TOL);
        EpCase.assertRelClose(what + " router logits", r.routerLogits(), want.get(1), EpCase.TOL);
        assertThat(r.expertLoads().toLongArray()).as(what + " loads").containsExactly(want.get(2).toLongArray());
        MoeMetrics<HostArray> m = ep.metrics(r, null, S);
        assertThat(m.selectedExperts().toLongArray()).as(what + " selected experts").containsExactly(want.get(3).toLongArray());
        EpCase.assertRelClose(what + " selected weights", m.selectedWeights(), want.get(4), EpCase.TOL);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void aLayoutDependentHookGivesTheOneDeviceLayersNumbers(HookPoint p, int[] f, EpMode mode) {
        assertRun(p + " " + Arrays.toString(f) + " " + mode, hook(p), f, mode);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = EpMode.class, names = {"REPLICATED", "RING", "TOKEN_SHARDED"})
    void allOfThemAtOnceAndTheirGradients(EpMode mode) {
        MoeFusedHooks<Tensor> hooks = all();
        assertRun("all " + mode, hooks, DP2, mode);
        Object[] argv = Arrays.copyOf(args(), 6, Object[].class);
        argv[5] = CT;
        Object g = Jit.jit("oracle_grad", Grad.grad(a -> Reductions.sum(Ops.mul(oneDevice(hooks, a).output().reshape(N, H), (Tensor) a[5]), 0, 1),
                0, 1, 2, 3, 4)).call(argv);
        List<HostArray> want = ((List<?>) g).stream().map(HostArray.class::cast).toList();
        List<HostArray> got = new ExpertParallelMoe(CFG, EpEquivalence.view(DP2), mode).withHooks(hooks)
                .gradients(CASE.x(), null, S, CASE.gate(), CASE.wi(), CASE.wu(), CASE.wd(), null, null, null, CT);
        String[] names = {"x", "gate", "wi", "wu", "wd"};
        for (int i = 0; i < names.length; i++) {
            EpCase.assertRelClose("all " + mode + " d/d" + names[i], got.get(i), want.get(i).reshape(got.get(i).shape()), 1e-4);
        }
    }

    /**
     * On a mesh whose device list is a permutation, the views gather and slice by the devices' positions in the mesh
     * (not their ids): every hook at once still gives the one-device layer's numbers.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = EpMode.class, names = {"REPLICATED", "RING", "TOKEN_SHARDED"})
    void aPermutedDeviceOrder(EpMode mode) {
        io.hlo4j.dsl.shard.Mesh mesh = io.hlo4j.dsl.shard.Mesh.withDeviceIds(io.hlo4j.dsl.shard.ExpertMeshView.MODEL_AXES, DP2,
                new int[] {3, 6, 1, 4, 7, 0, 5, 2});
        MoeFusedHooks<Tensor> hooks = all();
        List<HostArray> want = oracle(hooks);
        ExpertParallelMoe ep = new ExpertParallelMoe(CFG, io.hlo4j.dsl.shard.ExpertMeshView.of(mesh), mode).withHooks(hooks);
        ExpertParallelMoe.Result r = ep.run(CASE.x(), null, S, CASE.gate(), CASE.wi(), CASE.wu(), CASE.wd(), null, null, null);
        EpCase.assertRelClose("permuted " + mode + " output", r.output(), want.get(0), EpCase.TOL);
        EpCase.assertRelClose("permuted " + mode + " router logits", r.routerLogits(), want.get(1), EpCase.TOL);
    }

    /**
     * TOKEN_SHARDED with scale_replicated_inputs sends one scaled row per (token, slot): a capacity counts those rows,
     * an overflow is refused naming them and their worst case (T X k = 2 x 4 x 2 = 16 on DP2), and that capacity runs.
     */
    @Test
    void aCapacityCountsSlotRowsWhenScaleReplicatedInputsIsSet() {
        MoeFusedHooks<Tensor> hooks = hook(HookPoint.SCALE_REPLICATED_INPUTS);
        ExpertParallelMoe small = new ExpertParallelMoe(CFG, EpEquivalence.view(DP2), EpMode.TOKEN_SHARDED).withHooks(hooks).withCapacity(1);
        assertThatThrownBy(() -> small.run(CASE.x(), null, S, CASE.gate(), CASE.wi(), CASE.wu(), CASE.wd(), null, null, null))
                .isInstanceOf(MoeException.class).hasMessageContaining("(token, slot) rows").hasMessageContaining("worst case 16");
        ExpertParallelMoe.Result r = new ExpertParallelMoe(CFG, EpEquivalence.view(DP2), EpMode.TOKEN_SHARDED).withHooks(hooks).withCapacity(16)
                .run(CASE.x(), null, S, CASE.gate(), CASE.wi(), CASE.wu(), CASE.wd(), null, null, null);
        EpCase.assertRelClose("capacity 16 output", r.output(), oracle(hooks).get(0), EpCase.TOL);
    }

    /** Each hook changes the one-device output, so an EP path that skipped it would fail. */
    @Test
    void eachHookChangesTheOutput() {
        double[] none = oracle(MoeFusedHooks.none()).get(0).toDoubleArray();
        for (HookPoint p : POINTS) {
            double[] with = oracle(hook(p)).get(0).toDoubleArray();
            double diff = 0;
            for (int i = 0; i < none.length; i++) diff = Math.max(diff, Math.abs(none[i] - with[i]));
            assertThat(diff).as("%s changes the output", p).isGreaterThan(1e-3);
        }
    }

    /**
     * Each hook depends on the layout it is given: applied to the device's tokens of RING and TOKEN_SHARDED on DP2 (2
     * tokens of a sequence of 4) instead of the view EasyDeL gives, it computes other values (for refine_inputs_hook,
     * told [T, H], the mean runs over H), so the equalities above would fail if the EP layer handed it the device's rows.
     */
    @Test
    void theHooksAreLayoutDependent() {
        HostArray t = EpCase.f32(new Random(5), 1.0, N, H);
        double[] whole = Jit.jit("whole", a -> perSeqChunks((Tensor) a[0], N)).call1(t).toDoubleArray();
        double[] device = Jit.jit("device", a -> perSeqChunks((Tensor) a[0], 2)).call1(t).toDoubleArray();
        assertThat(device).isNotEqualTo(whole);
    }

    /** plusSeqMean on chunks of {@code rows} rows, as a hook would compute it on views of that many rows. */
    private static Tensor perSeqChunks(Tensor t, long rows) {
        List<Tensor> parts = new ArrayList<>();
        for (long i = 0; i < t.dim(0); i += rows) {
            Tensor c = Ops.slice(t, new long[] {i, 0}, new long[] {i + rows, t.dim(1)});
            parts.add(rows >= S ? plusSeqMean(c, S, 1.0) : plusSeqMean(c, rows, 1.0));
        }
        return Ops.concat(0, parts);
    }

    /** A dp share that is not whole sequences has no [B/D, S, H]: refine_inputs_hook is refused there by name. */
    @Test
    void refineInputsNeedsWholeSequencesPerDpShare() {
        EpCase odd = EpCase.random(CFG, 2, 8, false, 93);                       // B = 2 over D = 4
        ExpertParallelMoe ep = new ExpertParallelMoe(CFG, EpEquivalence.view(new int[] {4, 1, 2, 1, 1}), EpMode.REPLICATED)
                .withHooks(hook(HookPoint.REFINE_INPUTS_HOOK));
        assertThatThrownBy(() -> ep.run(odd.x(), null, 8, odd.gate(), odd.wi(), odd.wu(), odd.wd(), null, null, null))
                .isInstanceOf(MoeException.class).hasMessageContaining("refine_inputs_hook").hasMessageContaining("[2, 8, 8]")
                .hasMessageContaining("4 shards of the dp axes");
    }
}
