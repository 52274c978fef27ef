package io.hlo4j.cli;

import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.examples.Example;
import io.hlo4j.examples.Training;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/examples/SharedExpertMoe.java, the user's DeepSeek-V2-style block of docs/moe.md (routed top-2 experts + a
 * shared expert, softmax or sigmoid scores, an after_gate router bias, both auxiliary losses), compiled as a user
 * compiles it: one forward of each of its three execution methods against a plain-Java per-token oracle, the
 * expert-mesh variant against one device, and five AdamW steps that lower the loss.
 */
class SharedExpertMoeTest {
    static final String FQCN = "com.example.SharedExpertMoe";
    /** f32 unit roundoff. */
    static final double U = 0x1p-24;

    @TempDir static Path dir;
    static Class<?> model;

    @BeforeAll
    static void compile() throws Exception {
        Path root = Path.of(System.getProperty("hlo4j.root", "..")).toAbsolutePath().normalize();
        Path classes = UserModels.compile(dir.resolve("classes"), root.resolve("docs/examples/SharedExpertMoe.java"));
        model = new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()}, Example.class.getClassLoader()).loadClass(FQCN);
    }

    static Example instance(MoEMethods method, boolean sigmoid) throws Exception {
        Constructor<?> c = model.getConstructor(MoEMethods.class, boolean.class);
        return (Example) c.newInstance(method, sigmoid);
    }

    static int constant(String name) throws Exception { return model.getField(name).getInt(null); }

    /** The block's forward through jit: [output, router logits, load-balancing loss, z-loss, selected experts]. */
    static List<HostArray> forward(Example e) throws Exception {
        Method fwd = model.getMethod("forward", Map.class, Tensor.class);
        TracedFunction f = a -> {
            try {
                MoeOutput o = (MoeOutput) fwd.invoke(e, a[0], a[1]);
                MoeMetrics<Tensor> m = o.metrics().orElseThrow();
                return List.of(o.output(), o.routerLogits(), m.loadBalancingLoss().orElseThrow(), m.routerZLoss().orElseThrow(),
                        m.selectedExperts());
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        };
        @SuppressWarnings("unchecked")
        List<HostArray> r = (List<HostArray>) Jit.jit("shared_expert_moe", f).call(e.params(), e.batch().get(0));
        return r;
    }

    /**
     * The oracle's results: output [N*H], each element's first-order f32 error bound in units of u (see
     * {@link #tolerance}), lbl, z-loss, experts [N*K].
     */
    record Oracle(double[] out, double[] err, double lbl, double zloss, long[] experts, double minMargin) {}

    /** silu'(v) = sigma(v) (1 + v (1 - sigma(v))). */
    static double siluPrime(double v) {
        double sg = 1 / (1 + Math.exp(-v));
        return sg * (1 + v * (1 - sg));
    }

    static double silu(double v) { return v / (1 + Math.exp(-v)); }

    /**
     * A plain-Java loop over tokens and experts, in f64, from moe.md's formulas (not the DSL). Beside each value it
     * carries a first-order bound on the error of the same value computed in f32, in units of u (a value v rounded
     * once errs by |v|; a sum of n terms computed in any order by at most n times the sum of their magnitudes, plus
     * the terms' own errors; a product a b by |a| e(b) + |b| e(a) + |a b|; a function f by |f'| e(arg) + c |f|, c a
     * few roundings): the running magnitudes (e.g. sum |x_i wi_i| for act_m, not |act_m|) are what bound a
     * cancelling sum.
     */
    static Oracle oracle(Example e, boolean sigmoid) throws Exception { return oracle(e, sigmoid, false); }

    static Oracle oracle(Example e, boolean sigmoid, boolean withoutBias) throws Exception {
        int b = constant("B"), s = constant("S"), h = constant("H"), ne = constant("E"), k = constant("K"), mm = constant("M"),
                ms = constant("SHARED_M");
        double lblCoef = model.getField("LBL_COEF").getDouble(null), rzlCoef = model.getField("RZL_COEF").getDouble(null);
        @SuppressWarnings("unchecked")
        Map<String, HostArray> p = (Map<String, HostArray>) e.params();
        double[] x = ((HostArray) e.batch().get(0)).toDoubleArray(), gate = p.get("gate").toDoubleArray(), bias = withoutBias ? new double[ne] : (double[]) model.getField("ROUTER_BIAS").get(null),
                wi = p.get("wi").toDoubleArray(), wu = p.get("wu").toDoubleArray(), wd = p.get("wd").toDoubleArray(),
                swi = p.get("shared_wi").toDoubleArray(), swu = p.get("shared_wu").toDoubleArray(), swd = p.get("shared_wd").toDoubleArray();
        int n = b * s;
        double[] out = new double[n * h], err = new double[n * h], pbar = new double[ne];
        double[] loads = new double[ne];
        long[] experts = new long[n * k];
        double z = 0, minMargin = Double.MAX_VALUE;
        for (int t = 0; t < n; t++) {
            double[] logits = new double[ne];
            double logitErr = 0;   // the largest logit's error: H products and the bias (itself rounded to f32) summed
            for (int j = 0; j < ne; j++) {
                logits[j] = bias[j];
                double abs = Math.abs(bias[j]);
                for (int i = 0; i < h; i++) {
                    logits[j] += x[t * h + i] * gate[i * ne + j];
                    abs += Math.abs(x[t * h + i] * gate[i * ne + j]);
                }
                logitErr = Math.max(logitErr, (h + 2) * abs);
            }
            double mx = Double.NEGATIVE_INFINITY, se = 0, spread = 0;
            for (double l : logits) mx = Math.max(mx, l);
            for (double l : logits) spread = Math.max(spread, mx - l);
            for (double l : logits) se += Math.exp(l - mx);
            double lse = mx + Math.log(se);
            z += lse * lse;
            double[] probs = new double[ne], scores = new double[ne];
            for (int j = 0; j < ne; j++) {
                probs[j] = Math.exp(logits[j] - lse);
                pbar[j] += probs[j] / n;
                scores[j] = sigmoid ? 1 / (1 + Math.exp(-logits[j])) : probs[j];
            }
            // top-k, ties to the lower index
            boolean[] taken = new boolean[ne];
            int[] chosen = new int[k];
            double sum = 0;
            for (int slot = 0; slot < k; slot++) {
                int best = -1;
                for (int j = 0; j < ne; j++) if (!taken[j] && (best < 0 || scores[j] > scores[best])) best = j;
                taken[best] = true;
                chosen[slot] = best;
                experts[t * k + slot] = best;
                loads[best]++;
                sum += scores[best];
            }
            // relative errors of the scores and of the renormalised weights w = s / sum of the top-k s: exp(l - max)
            // errs by the two logits' errors and the subtraction's rounding (|l - max|), the softmax's sum over E and
            // its division add E + 1; the sigmoid 1 / (1 + exp(-l)) carries the logit's error times (1 - sigma) <= 1
            double relScore = sigmoid ? logitErr + 4 : 2 * (2 * logitErr + spread + 2) + ne + 1;
            double relW = 2 * relScore + k + 1;
            double nextBest = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < ne; j++) if (!taken[j]) nextBest = Math.max(nextBest, scores[j]);
            minMargin = Math.min(minMargin, scores[chosen[k - 1]] - nextBest);
            for (int slot = 0; slot < k; slot++) {
                int ex = chosen[slot];
                double w = scores[ex] / Math.max(sum, 1e-8);
                double[] act = new double[mm], actErr = new double[mm];
                for (int m = 0; m < mm; m++) {
                    double a = 0, u = 0, aAbs = 0, uAbs = 0;
                    for (int i = 0; i < h; i++) {
                        a += x[t * h + i] * wi[(ex * h + i) * mm + m];
                        u += x[t * h + i] * wu[(ex * h + i) * mm + m];
                        aAbs += Math.abs(x[t * h + i] * wi[(ex * h + i) * mm + m]);
                        uAbs += Math.abs(x[t * h + i] * wu[(ex * h + i) * mm + m]);
                    }
                    act[m] = silu(a) * u;
                    actErr[m] = glu(a, u, h * aAbs, h * uAbs);
                }
                for (int j = 0; j < h; j++) {
                    double y = 0, ya = 0, yErr = 0;
                    for (int m = 0; m < mm; m++) {
                        y += act[m] * wd[(ex * mm + m) * h + j];
                        ya += Math.abs(act[m] * wd[(ex * mm + m) * h + j]);
                        yErr += Math.abs(wd[(ex * mm + m) * h + j]) * actErr[m];
                    }
                    yErr += mm * ya;
                    out[t * h + j] += w * y;
                    // w y: |w| e(y) + |y| e(w) + |w y|, then one of the K + 1 (E + 1 when DENSE sums every expert) terms of the combine
                    err[t * h + j] += Math.abs(w) * (yErr + relW * ya + ya) + (ne + 1) * Math.abs(w) * ya;
                }
            }
            double[] shared = new double[ms], sharedErr = new double[ms];
            for (int m = 0; m < ms; m++) {
                double a = 0, u = 0, aAbs = 0, uAbs = 0;
                for (int i = 0; i < h; i++) {
                    a += x[t * h + i] * swi[i * ms + m];
                    u += x[t * h + i] * swu[i * ms + m];
                    aAbs += Math.abs(x[t * h + i] * swi[i * ms + m]);
                    uAbs += Math.abs(x[t * h + i] * swu[i * ms + m]);
                }
                shared[m] = silu(a) * u;
                sharedErr[m] = glu(a, u, h * aAbs, h * uAbs);
            }
            for (int j = 0; j < h; j++) {
                double ya = 0;
                for (int m = 0; m < ms; m++) {
                    out[t * h + j] += shared[m] * swd[m * h + j];
                    ya += Math.abs(shared[m] * swd[m * h + j]);
                    err[t * h + j] += Math.abs(swd[m * h + j]) * sharedErr[m];
                }
                err[t * h + j] += ms * ya + (ne + 1) * ya;
            }
        }
        double lbl = 0;
        for (int j = 0; j < ne; j++) lbl += loads[j] / ((double) n * k) * pbar[j];
        return new Oracle(out, err, lblCoef * ne * lbl, rzlCoef * z / n, experts, minMargin);
    }

    /**
     * silu(a) u's first-order error in units of u, given a's and u's (their dot products' n times sum |x w|):
     * |silu'(a)| e(a) |u| + |silu(a)| e(u), silu's own few roundings (4 |silu(a)| |u|) and the product's (|silu(a) u|).
     */
    static double glu(double a, double u, double aErr, double uErr) {
        return Math.abs(siluPrime(a)) * aErr * Math.abs(u) + Math.abs(silu(a)) * uErr + 5 * Math.abs(silu(a) * u);
    }

    /**
     * The tolerance of the f32 program against the f64 oracle: the oracle's first-order error bound (u times its
     * {@code err}), doubled for the orders of evaluation the bound's counts may miss by a rounding or two (a
     * weight folded into the rows before the down projection, a fused or pairwise sum), plus 1e-9 for second-order
     * terms (u² times the same magnitudes, far below it).
     */
    static double tolerance(double err) { return 2 * U * err + 1e-9; }

    /**
     * One forward of each execution method (softmax and sigmoid scores) against the oracle directly: the same experts,
     * every output element within {@link #tolerance}, both losses within 1e-6; the three methods' router logits and
     * losses are the same values (they share the router).
     */
    @ParameterizedTest(name = "sigmoid={0}")
    @ValueSource(booleans = {false, true})
    void oneForwardOfEachMethodMatchesThePlainJavaOracle(boolean sigmoid) throws Exception {
        Oracle o = oracle(instance(MoEMethods.FUSED_MOE, sigmoid), sigmoid);
        // a selection within f32 noise of a tie would make the comparison ill-posed: the seeds must leave a margin
        assertThat(o.minMargin()).as("smallest gap between the k-th and the next score").isGreaterThan(1e-4);
        // the bound binds: far below the outputs' O(1) and below what a wrong weight or a dropped term would move
        assertThat(java.util.Arrays.stream(o.err()).map(SharedExpertMoeTest::tolerance).max().orElseThrow()).as("largest tolerance").isLessThan(1e-3);
        List<HostArray> fused = null;
        for (MoEMethods m : List.of(MoEMethods.FUSED_MOE, MoEMethods.STANDARD_MOE, MoEMethods.DENSE_MOE)) {
            List<HostArray> r = forward(instance(m, sigmoid));
            assertThat(r.get(4).toLongArray()).as(m + " experts").containsExactly(o.experts());
            double[] got = r.get(0).toDoubleArray();
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                assertThat(Math.abs(got[i] - o.out()[i])).as(m + " output[%d]", i).isLessThanOrEqualTo(tolerance(o.err()[i]));
                worst = Math.max(worst, Math.abs(got[i] - o.out()[i]));
            }
            assertThat(worst).as(m + ": f32 against f64 differs somewhere, so the comparison is live").isGreaterThan(0.0);
            assertThat(r.get(2).getDouble(0)).as(m + " lbl").isCloseTo(o.lbl(), org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, o.lbl())));
            assertThat(r.get(3).getDouble(0)).as(m + " z-loss").isCloseTo(o.zloss(), org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, o.zloss())));
            if (fused == null) {
                fused = r;
            } else {
                assertThat(r.get(1).toDoubleArray()).as(m + " router logits").containsExactly(fused.get(1).toDoubleArray());
                assertThat(r.get(2).getDouble(0)).as(m + " lbl").isEqualTo(fused.get(2).getDouble(0));
                assertThat(r.get(3).getDouble(0)).as(m + " z-loss").isEqualTo(fused.get(3).getDouble(0));
            }
        }
        // the after_gate bias is live: without it the oracle routes some token elsewhere
        assertThat(oracle(instance(MoEMethods.FUSED_MOE, sigmoid), sigmoid, true).experts()).isNotEqualTo(o.experts());
    }

    /**
     * The block with its routed experts expert parallel on the expert view of the 5D mesh dp=2, ep=2, tp=2 (8 simulated
     * devices), parameters sharded as the class says on the model mesh, the partitioner resharding to the expert layout:
     * the objective (with both aux losses) and every parameter's gradient equal the one-device FUSED block's.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = EpMode.class, names = {"REPLICATED", "TOKEN_SHARDED"})
    void onTheExpertMeshTheObjectiveAndGradientsAreOneDevices(EpMode mode) throws Exception {
        Example e = instance(MoEMethods.FUSED_MOE, false);
        Mesh mesh = ExpertMeshView.modelMesh(2, 1, 2, 2, 1);
        Method fwd = model.getMethod("forwardExpertParallel", Map.class, Tensor.class, Mesh.class, EpMode.class);
        TracedFunction objective = a -> {
            try {
                MoeOutput o = (MoeOutput) fwd.invoke(e, a[0], a[1], mesh, mode);
                MoeMetrics<Tensor> m = o.metrics().orElseThrow();
                return o.output().sub((Tensor) a[2]).square().mean().add(m.loadBalancingLoss().orElseThrow()).add(m.routerZLoss().orElseThrow());
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        };
        List<NamedSharding> in = new ArrayList<>(ShardedJit.flat(e.paramShardings(mesh)));
        in.addAll(e.batchShardings(mesh));
        Object[] args = {e.params(), e.batch().get(0), e.batch().get(1)};
        SimulatedRun run = ShardedJit.jit("block_ep", Grad.valueAndGrad(objective, 0), in).callSimulated(args);
        List<Object> got = Pytree.leaves(run.results()), want = Pytree.leaves(Jit.jit("block", Grad.valueAndGrad(e.loss(), 0)).call(args));
        assertThat(got).hasSameSizeAs(want).hasSize(8);   // the objective, then the gradient of each of the 7 parameters
        for (int i = 0; i < want.size(); i++) {
            double[] g = ((HostArray) got.get(i)).toDoubleArray(), w = ((HostArray) want.get(i)).toDoubleArray();
            double scale = 1e-6;
            for (double v : w) scale = Math.max(scale, Math.abs(v));
            for (int j = 0; j < w.length; j++) assertThat(Math.abs(g[j] - w[j]) / scale).as(mode + " leaf " + i + "[" + j + "]").isLessThan(1e-5);
        }
        // the expert-parallel body's own collectives, as they ran: REPLICATED sums the experts' partial outputs over
        // ep (all_reduce), TOKEN_SHARDED sends each token's rows to its experts' devices (all_to_all over ep)
        String kind = mode == EpMode.REPLICATED ? "all_reduce" : "all_to_all";
        assertThat(run.run().log()).as(mode + ": a " + kind + " over ep, in " + run.run().log())
                .anySatisfy(c -> {
                    assertThat(c.op()).contains(kind);
                    assertThat(c.axes()).contains("ep");
                });
    }

    @Test
    void fiveAdamWStepsLowerTheLossInEachMethod() throws Exception {
        for (MoEMethods m : MoEMethods.values()) {
            Example e = instance(m, false);
            TrainStep.Runner r = new TrainStep.Runner(Training.trainStepName(e), e.loss(), e.optimizer(), e.params());
            List<Double> losses = new ArrayList<>();
            for (int i = 0; i < 5; i++) losses.add(r.step(e.batch().toArray()));
            Object[] after = {r.params(), e.batch().get(0), e.batch().get(1)};
            losses.add(((HostArray) Jit.jit("loss", e.loss()).call1(after)).getDouble(0));
            for (int i = 1; i < losses.size(); i++) assertThat(losses.get(i)).as(m + " loss after step " + i + " " + losses).isLessThan(losses.get(i - 1));
            assertThat(losses.get(5)).as(m + " " + losses).isLessThan(0.75 * losses.get(0));
        }
    }
}
