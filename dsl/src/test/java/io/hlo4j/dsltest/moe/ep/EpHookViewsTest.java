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
import java.util.function.UnaryOperator;
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
 * The meshes split the sequences (B = 2 sequences of S = 8): (dp, fsdp, ep, tp, sp) = (2, 2, 2, 1, 1) gives D = 2 dp
 * shares of 1 sequence and, in RING and TOKEN_SHARDED, 2 tokens (a quarter of a sequence) per device;
 * (1, 1, 4, 2, 1) one share of both sequences over 4 expert shards and tp = 2, 4 tokens (half a sequence) per device.
 * A hook that mixes the sequences of a share (a share-wide mean) is checked on (2, 1, 2, 2, 1), dp = 2 and tp = 2,
 * against the one-device layer run on each share ({@link #aShareWideHookSeesItsWholeShare}). Each hook changes the
 * one-device output ({@link #eachHookChangesTheOutput}), and each is layout-dependent: on a device's own tokens it
 * gives other numbers or cannot run ({@link #theHooksAreLayoutDependent}).
 */
class EpHookViewsTest {
    static final long B = 2, S = 8, H = 8, N = B * S;
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
     * Each hook of {@link #POINTS} depends on the layout it is given: applied to a device's own tokens (2 rows, as in
     * RING and TOKEN_SHARDED on DP2, or 4, as on TP2) instead of the view EasyDeL gives, it computes other values or
     * cannot run (a per-sequence hook cannot split 2 rows into sequences of S = 8), so the equalities above would fail
     * if the EP layer handed it the device's rows. For refine_inputs_hook the device would tell it [T, H].
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("layoutPoints")
    void theHooksAreLayoutDependent(HookPoint p) {
        Random rnd = new Random(5);
        HostArray x = EpCase.f32(rnd, 1.0, B, S, H), l = EpCase.f32(rnd, 1.0, N, 8), w = EpCase.f32(rnd, 1.0, N, 2);
        HostArray rows = EpCase.f32(rnd, 1.0, N * 2, H), rw = EpCase.f32(rnd, 1.0, N * 2);
        double[] whole = Jit.jit("whole", a -> applyOn(p, (Tensor) a[0], (Tensor) a[1], (Tensor) a[2], (Tensor) a[3], (Tensor) a[4], N)).call1(x, l, w, rows, rw).toDoubleArray();
        for (long t : new long[] {2, 4}) {
            double[] device;
            try {
                device = Jit.jit("device", a -> applyOn(p, (Tensor) a[0], (Tensor) a[1], (Tensor) a[2], (Tensor) a[3], (Tensor) a[4], t)).call1(x, l, w, rows, rw).toDoubleArray();
            } catch (RuntimeException e) {
                continue;                                                       // cannot run on the device's rows: fails as well
            }
            assertThat(device).as("%s on %d tokens per device", p, t).isNotEqualTo(whole);
        }
    }

    static Stream<HookPoint> layoutPoints() { return POINTS.stream(); }

    /**
     * The hook at {@code p} on its input cut into views of {@code t} tokens, results concatenated ({@code t = N}: the
     * whole view): x [B, S, H] (on a device [t, H]), logits and scores [N, E], weights [N, k], rows [N k, H] with their
     * weights [N k], the output [B, S, H] (on a device [t, H]).
     */
    private static Tensor applyOn(HookPoint p, Tensor x, Tensor l, Tensor w, Tensor rows, Tensor rw, long t) {
        MoeFusedHooks<Tensor> h = hook(p);
        Tensor x2 = x.reshape(N, H);
        List<Tensor> parts = new ArrayList<>();
        for (long i = 0; i < N; i += t) {
            long e = i + t;
            Tensor xi = t == N ? x : Ops.slice(x2, new long[] {i, 0}, new long[] {e, H});
            Tensor li = Ops.slice(l, new long[] {i, 0}, new long[] {e, l.dim(1)});
            Tensor wi = Ops.slice(w, new long[] {i, 0}, new long[] {e, w.dim(1)});
            Tensor out = switch (p) {
                case BEFORE_GATE -> h.beforeGate().apply(xi);
                case AFTER_GATE -> h.afterGate().apply(li);
                case NORMALIZE_GATE_LOGITS -> h.normalizeGateLogits().apply(li);
                case BEFORE_TOPK -> h.beforeTopk().apply(li);
                case SELECT_HOOK -> h.selectHook().select(li, null, 2).weights();
                case REFINE_WEIGHTS_HOOK -> h.refineWeightsHook().apply(wi);
                case REFINE_INPUTS_HOOK -> h.refineInputsHook().refine(Ops.slice(x2, new long[] {i, 0}, new long[] {e, H}), wi,
                        t == N ? new long[] {B, S, H} : new long[] {t, H});
                case OUTPUT_WEIGHTS_HOOK -> h.outputWeightsHook().apply(wi);
                case SCALE_REPLICATED_INPUTS -> h.scaleReplicatedInputs().apply(Ops.slice(rows, new long[] {2 * i, 0}, new long[] {2 * e, H}),
                        Ops.slice(rw, new long[] {2 * i}, new long[] {2 * e}));
                case FINALIZE_OUTPUT -> h.finalizeOutput().apply(xi);
                default -> throw new IllegalArgumentException(p.toString());
            };
            parts.add(out.reshape(out.dim(0) * (out.rank() == 3 ? out.dim(1) : 1), out.dim(out.rank() - 1)));
        }
        return Ops.concat(0, parts);
    }

    /** A share-wide hook at {@code p}: it adds the mean over all the tokens (rows) it is given, mixing sequences. */
    static MoeFusedHooks<Tensor> shareHook(HookPoint p) {
        MoeFusedHooks<Tensor> h = MoeFusedHooks.none();
        UnaryOperator<Tensor> plusMean = v -> v.add(Reductions.mean(v, true, 0).broadcastTo(v.dims()).mul(2.0));
        return switch (p) {
            case SELECT_HOOK -> h.withSelectHook((sc, pre, k) -> {
                Tensor biased = sc.add(Reductions.mean(sc, true, 0).broadcastTo(sc.dims()).mul(-1.5));
                Tensor ids = Ops.slice(Indexing.argsort(Ops.neg(biased), 1), new long[] {0, 0}, new long[] {sc.dim(0), k});
                return new MoeFusedHooks.Selection<>(Indexing.takeAlongAxis(sc, ids, 1), ids);
            });
            case REFINE_WEIGHTS_HOOK -> h.withRefineWeightsHook(plusMean);
            case REFINE_INPUTS_HOOK -> h.withRefineInputsHook((tk, w, shape) -> tk.add(Reductions.mean(tk, true, 0).broadcastTo(tk.dims()).mul(-0.9)));
            case OUTPUT_WEIGHTS_HOOK -> h.withOutputWeightsHook(plusMean);
            // the rows' mean (a mean of the weights would not do: each token's k weights sum to 1, so it is 1/k on any share)
            case SCALE_REPLICATED_INPUTS -> h.withScaleReplicatedInputs((r, w) -> r.add(Reductions.mean(r, true, 0).broadcastTo(r.dims()).mul(-0.9)));
            default -> throw new IllegalArgumentException(p.toString());
        };
    }

    static Stream<Object[]> shareCases() {
        List<Object[]> out = new ArrayList<>();
        for (HookPoint p : List.of(HookPoint.SELECT_HOOK, HookPoint.REFINE_WEIGHTS_HOOK, HookPoint.REFINE_INPUTS_HOOK,
                HookPoint.OUTPUT_WEIGHTS_HOOK, HookPoint.SCALE_REPLICATED_INPUTS)) {
            for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {p, m});
        }
        return out.stream();
    }

    /**
     * On (2, 1, 2, 2, 1) with 4 sequences of 4 tokens, a dp share is 2 sequences and a device of RING and
     * TOKEN_SHARDED holds one of them: a hook at a share point that takes the mean over all its rows gives the
     * one-device layer's numbers run on each share by itself (EasyDeL's shard_map block), not on all N tokens nor on
     * a device's sequence (checked: both differ).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shareCases")
    void aShareWideHookSeesItsWholeShare(HookPoint p, EpMode mode) {
        long b = 4, s = 4, d = 2;
        EpCase c = EpCase.random(CFG, b, s, false, 94);
        MoeFusedHooks<Tensor> hooks = shareHook(p);
        HostArray[] argv = {c.x(), c.gate(), c.wi(), c.wu(), c.wd()};
        HostArray perShare = Jit.jit("per_share", a -> {
            List<Tensor> outs = new ArrayList<>();
            for (long i = 0; i < d; i++) {
                Object[] ai = a.clone();
                ai[0] = Ops.slice((Tensor) a[0], new long[] {i * b / d, 0, 0}, new long[] {(i + 1) * b / d, s, H});
                outs.add(oneDevice(hooks, ai).output().reshape(b * s / d, H));
            }
            return Ops.concat(0, outs);
        }).call1((Object[]) argv);
        HostArray perSequence = Jit.jit("per_sequence", a -> {
            List<Tensor> outs = new ArrayList<>();
            for (long i = 0; i < b; i++) {
                Object[] ai = a.clone();
                ai[0] = Ops.slice((Tensor) a[0], new long[] {i, 0, 0}, new long[] {i + 1, s, H});
                outs.add(oneDevice(hooks, ai).output().reshape(s, H));
            }
            return Ops.concat(0, outs);
        }).call1((Object[]) argv);
        HostArray all = Jit.jit("all", a -> oneDevice(hooks, a).output().reshape(b * s, H)).call1((Object[]) argv);
        assertThat(maxDiff(perShare, all)).as("%s: the share differs from all tokens", p).isGreaterThan(1e-3);
        assertThat(maxDiff(perShare, perSequence)).as("%s: the share differs from one sequence", p).isGreaterThan(1e-3);
        ExpertParallelMoe.Result r = new ExpertParallelMoe(CFG, EpEquivalence.view(new int[] {2, 1, 2, 2, 1}), mode).withHooks(hooks)
                .run(c.x(), null, s, c.gate(), c.wi(), c.wu(), c.wd(), null, null, null);
        EpCase.assertRelClose(p + " " + mode + " output", r.output(), perShare, EpCase.TOL);
    }

    private static double maxDiff(HostArray a, HostArray b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
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
