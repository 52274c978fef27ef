package io.hlo4j.dsltest.vmap;

import io.hlo4j.compiler.ad.Checkpoint;
import io.hlo4j.dsl.Control;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Checkpointing;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.vmap.Vmap;
import io.hlo4j.runtime.array.HostArray;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Function;

import static io.hlo4j.dsl.vmap.Vmap.axes;
import static io.hlo4j.dsltest.vmap.VmapOracle.centralDifferences;
import static io.hlo4j.dsltest.vmap.VmapOracle.check;
import static io.hlo4j.dsltest.vmap.VmapOracle.f64;
import static io.hlo4j.runtime.testing.BatchAxis.take;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * vmap of functions that call checkpointed and custom-VJP functions, composed with grad in both orders: the custom
 * rule (deliberately not the true derivative) must be the one used, so a dropped marker fails, and a vmapped
 * checkpoint must still be recomputed. Oracles: per-example runs of the unbatched gradient (summed for a shared
 * argument, stacked for a batched one), hand-computed values and finite differences.
 */
class VmapCallsTest {
    static Tensor t(Object[] a, int i) { return (Tensor) a[i]; }

    /** f(a, b) = a * b with the rule d/da = 2 b ct, d/db = 3 a ct (the true ones are b ct and a ct). */
    static final Function<List<Tensor>, List<Tensor>> SKEWED = Checkpointing.customVjp(l -> List.of(Ops.mul(l.get(0), l.get(1))),
            (args, res, ct) -> List.of(Ops.mul(Ops.mul(args.get(1), 2.0), ct.get(0)), Ops.mul(Ops.mul(args.get(0), 3.0), ct.get(0))));

    /** loss(w, x) = sum(w * x) through the skewed rule. */
    static final TracedFunction LOSS = a -> Reductions.sum(SKEWED.apply(List.of(t(a, 0), t(a, 1))).get(0));

    /** sum over the batch of vmap(LOSS) over x (w shared). */
    static final TracedFunction TOTAL = a -> Reductions.sum((Tensor) Vmap.vmap(LOSS, axes(null, 0), axes(0)).apply(a[0], a[1]));

    @Test
    void gradOfVmapUsesTheCustomRuleSummedForASharedArgument() {
        HostArray w = f64(new long[]{3}, 1), xs = f64(new long[]{4, 3}, 2);
        @SuppressWarnings("unchecked")
        List<HostArray> g = (List<HostArray>) Jit.jit("g", Grad.grad(TOTAL, 0, 1)).call(w, xs);
        double[] wv = w.toDoubleArray(), xv = xs.toDoubleArray(), gw = g.get(0).toDoubleArray(), gx = g.get(1).toDoubleArray();
        assertThat(g.get(1).shape()).containsExactly(4, 3);
        for (int k = 0; k < 3; k++) {
            double sum = 0;
            for (int e = 0; e < 4; e++) sum += 2 * xv[e * 3 + k];            // the rule's 2 x, not the true x
            assertThat(gw[k]).as("dw[%d]", k).isCloseTo(sum, Offset.offset(1e-12));
            for (int e = 0; e < 4; e++) assertThat(gx[e * 3 + k]).as("dx[%d][%d]", e, k).isCloseTo(3 * wv[k], Offset.offset(1e-12));
        }
        // per-example runs of the unbatched gradient: w's summed over the examples, x's stacked
        Jit one = Jit.jit("one", Grad.grad(LOSS, 0, 1));
        double[] sumW = new double[3];
        for (int e = 0; e < 4; e++) {
            @SuppressWarnings("unchecked") List<HostArray> ge = (List<HostArray>) one.call(w, take(xs, 0, e));
            for (int k = 0; k < 3; k++) {
                sumW[k] += ge.get(0).getDouble(k);
                assertThat(gx[e * 3 + k]).isCloseTo(ge.get(1).getDouble(k), Offset.offset(1e-12));
            }
        }
        for (int k = 0; k < 3; k++) assertThat(gw[k]).isCloseTo(sumW[k], Offset.offset(1e-12));
    }

    @Test
    void vmapOfGradUsesTheCustomRulePerExample() {
        HostArray w = f64(new long[]{3}, 3), xs = f64(new long[]{5, 3}, 4);
        List<HostArray> got = check(Grad.grad(LOSS, 0), axes(null, 0), axes(0), w, xs);   // per-example runs, stacked
        double[] g = got.get(0).toDoubleArray(), xv = xs.toDoubleArray();
        for (int i = 0; i < g.length; i++) assertThat(g[i]).isCloseTo(2 * xv[i], Offset.offset(1e-12));
    }

    @Test
    void aSharedArgumentsUnbatchedCotangentIsCountedOncePerExample() {
        // d/da is 1 whatever the example: the batch's gradient of the shared a is B, as B per-example runs sum to
        Function<List<Tensor>, List<Tensor>> f = Checkpointing.customVjp(l -> List.of(Ops.mul(l.get(0), l.get(1))),
                (args, res, ct) -> List.of(Ops.add(Ops.mul(args.get(0), 0.0), 1.0), Ops.mul(args.get(0), ct.get(0))));
        TracedFunction loss = a -> Reductions.sum(f.apply(List.of(t(a, 0), t(a, 1))).get(0));
        TracedFunction total = a -> Reductions.sum((Tensor) Vmap.vmap(loss, axes(null, 0), axes(0)).apply(a[0], a[1]));
        HostArray w = f64(new long[]{3}, 5), xs = f64(new long[]{6, 3}, 6);
        double[] g = Jit.jit("g", Grad.grad(total, 0)).call1(w, xs).toDoubleArray();
        for (double v : g) assertThat(v).isEqualTo(6.0);
    }

    @Test
    void aCustomVjpResultNoBatchedOperandReachesGetsEachExamplesCotangent() {
        // results (a b, sin a) with a shared: the rule reads both cotangents, d/da = 2 b ct0 + 5 ct1
        Function<List<Tensor>, List<Tensor>> f = Checkpointing.customVjp(
                l -> List.of(Ops.mul(l.get(0), l.get(1)), Ops.sin(l.get(0))),
                (args, res, ct) -> List.of(Ops.add(Ops.mul(Ops.mul(args.get(1), 2.0), ct.get(0)), Ops.mul(ct.get(1), 5.0)),
                        Ops.mul(args.get(0), ct.get(0))));
        TracedFunction loss = a -> {
            List<Tensor> r = f.apply(List.of(t(a, 0), t(a, 1)));
            return Ops.add(Reductions.sum(Ops.square(r.get(0))), Reductions.sum(Ops.mul(r.get(1), t(a, 1))));
        };
        TracedFunction total = a -> Reductions.sum((Tensor) Vmap.vmap(loss, axes(null, 0), axes(0)).apply(a[0], a[1]));
        HostArray w = f64(new long[]{3}, 7), xs = f64(new long[]{4, 3}, 8);
        @SuppressWarnings("unchecked") List<HostArray> g = (List<HostArray>) Jit.jit("g", Grad.grad(total, 0, 1)).call(w, xs);
        Jit one = Jit.jit("one", Grad.grad(loss, 0, 1));
        double[] sumW = new double[3], wv = w.toDoubleArray(), xv = xs.toDoubleArray();
        for (int e = 0; e < 4; e++) {
            @SuppressWarnings("unchecked") List<HostArray> ge = (List<HostArray>) one.call(w, take(xs, 0, e));
            for (int k = 0; k < 3; k++) {
                sumW[k] += ge.get(0).getDouble(k);
                assertThat(g.get(1).getDouble(e * 3 + k)).isCloseTo(ge.get(1).getDouble(k), Offset.offset(1e-12));
            }
        }
        for (int k = 0; k < 3; k++) {
            // by hand: ct0 = 2 w x, ct1 = x per example
            double hand = 0;
            for (int e = 0; e < 4; e++) { double x = xv[e * 3 + k]; hand += 2 * x * (2 * wv[k] * x) + 5 * x; }
            assertThat(g.get(0).getDouble(k)).isCloseTo(sumW[k], Offset.offset(1e-12)).isCloseTo(hand, Offset.offset(1e-12));
        }
    }

    /** f(a, b) = (a b, sin a) with the true derivative as its rule: d/da = b ct0 + cos(a) ct1, d/db = a ct0. */
    static final Function<List<Tensor>, List<Tensor>> SHARED = Checkpointing.customVjp(
            l -> List.of(Ops.mul(l.get(0), l.get(1)), Ops.sin(l.get(0))),
            (args, res, ct) -> List.of(Ops.add(Ops.mul(args.get(1), ct.get(0)), Ops.mul(Ops.cos(args.get(0)), ct.get(1))),
                    Ops.mul(args.get(0), ct.get(0))));

    /** sum((w x_b)^2) over the examples + sum(sin(w) w), the shared sin w taken from vmap with out_axes none. */
    static TracedFunction sharedTotal(Function<List<Tensor>, List<Tensor>> f) {
        TracedFunction fn = a -> f.apply(List.of(t(a, 0), t(a, 1)));
        TracedFunction mapped = Vmap.vmap(fn, axes(null, 0), axes(0, null));
        return a -> {
            @SuppressWarnings("unchecked") List<Tensor> r = (List<Tensor>) mapped.apply(a[0], a[1]);
            return Ops.add(Reductions.sum(Ops.square(r.get(0))), Reductions.sum(Ops.mul(r.get(1), t(a, 0))));
        };
    }

    /** The same total as a loop over the examples, each its own call; the shared result is the first example's. */
    static TracedFunction loopTotal(Function<List<Tensor>, List<Tensor>> f, int examples) {
        return a -> {
            Tensor total = null, shared = null;
            for (int e = 0; e < examples; e++) {
                Tensor x = Ops.reshape(Ops.slice(t(a, 1), new long[]{e, 0}, new long[]{e + 1, 3}), new long[]{3});
                List<Tensor> r = f.apply(List.of(t(a, 0), x));
                Tensor s = Reductions.sum(Ops.square(r.get(0)));
                total = total == null ? s : Ops.add(total, s);
                if (e == 0) shared = r.get(1);
            }
            return Ops.add(total, Reductions.sum(Ops.mul(shared, t(a, 0))));
        };
    }

    @Test
    void outAxesNoneOnACustomVjpResultNoBatchedArgumentReachesWorksUnderGrad() {
        // as JAX accepts it: sin w is the same for every example; under grad the call keeps its rule, and the gradient
        // equals finite differences (the rule is the true derivative) and the per-example loop
        HostArray w = f64(new long[]{3}, 13), xs = f64(new long[]{4, 3}, 14);
        List<HostArray> got = check(a -> SHARED.apply(List.of(t(a, 0), t(a, 1))), axes(null, 0), axes(0, null), w, xs);
        for (int k = 0; k < 3; k++) assertThat(got.get(1).getDouble(k)).isCloseTo(Math.sin(w.getDouble(k)), Offset.offset(1e-12));
        TracedFunction total = sharedTotal(SHARED);
        Jit g = Jit.jit("g", Grad.grad(total, 0, 1));
        @SuppressWarnings("unchecked") List<HostArray> grads = (List<HostArray>) g.call(w, xs);
        @SuppressWarnings("unchecked") List<HostArray> loop = (List<HostArray>) Jit.jit("loop", Grad.grad(loopTotal(SHARED, 4), 0, 1)).call(w, xs);
        Jit value = Jit.jit("v", total);
        for (int arg = 0; arg < 2; arg++) {
            HostArray at = arg == 0 ? w : xs;
            double[] v = at.toDoubleArray();
            for (int k = 0; k < v.length; k++) {
                double[] p = v.clone(), m = v.clone();
                p[k] += 1e-6;
                m[k] -= 1e-6;
                HostArray hp = HostArray.fromDoubles(at.type(), p), hm = HostArray.fromDoubles(at.type(), m);
                double fd = ((arg == 0 ? value.call1(hp, xs) : value.call1(w, hp)).getDouble(0)
                        - (arg == 0 ? value.call1(hm, xs) : value.call1(w, hm)).getDouble(0)) / 2e-6;
                assertThat(grads.get(arg).getDouble(k)).as("d arg %d [%d]", arg, k).isCloseTo(fd, Offset.offset(1e-7))
                        .isCloseTo(loop.get(arg).getDouble(k), Offset.offset(1e-12));
            }
        }
    }

    @Test
    void aSharedResultsCotangentReachesTheFirstExamplesRuleAloneAsInAPerExampleLoop() {
        // a skewed rule that mixes the shared result's cotangent with a batched argument: d/da = 2 b ct0 + 5 b ct1. The
        // shared result's cotangent goes to one call, as in the loop (JAX's rule instead hands every example's rule the
        // whole cotangent and sums what they give the shared a: there 5 b ct1 would count once per example)
        Function<List<Tensor>, List<Tensor>> skewed = Checkpointing.customVjp(
                l -> List.of(Ops.mul(l.get(0), l.get(1)), Ops.sin(l.get(0))),
                (args, res, ct) -> List.of(Ops.add(Ops.mul(Ops.mul(args.get(1), 2.0), ct.get(0)), Ops.mul(Ops.mul(args.get(1), 5.0), ct.get(1))),
                        Ops.mul(args.get(0), ct.get(0))));
        HostArray w = f64(new long[]{3}, 15), xs = f64(new long[]{4, 3}, 16);
        @SuppressWarnings("unchecked") List<HostArray> g = (List<HostArray>) Jit.jit("g", Grad.grad(sharedTotal(skewed), 0, 1)).call(w, xs);
        @SuppressWarnings("unchecked") List<HostArray> loop = (List<HostArray>) Jit.jit("loop", Grad.grad(loopTotal(skewed, 4), 0, 1)).call(w, xs);
        double[] wv = w.toDoubleArray(), xv = xs.toDoubleArray();
        for (int k = 0; k < 3; k++) {
            // by hand: ct0 = 2 w x per example, ct1 = w (the shared result's), given to example 0 alone; sin w from the
            // product sin(w) w itself
            double hand = 5 * xv[k] * wv[k] + Math.sin(wv[k]);
            for (int e = 0; e < 4; e++) { double x = xv[e * 3 + k]; hand += 2 * x * (2 * wv[k] * x); }
            assertThat(g.get(0).getDouble(k)).as("dw[%d]", k).isCloseTo(hand, Offset.offset(1e-12)).isCloseTo(loop.get(0).getDouble(k), Offset.offset(1e-12));
            for (int e = 0; e < 4; e++) {
                assertThat(g.get(1).getDouble(e * 3 + k)).as("dx[%d][%d]", e, k).isCloseTo(loop.get(1).getDouble(e * 3 + k), Offset.offset(1e-12));
            }
        }
    }

    @Test
    void outAxesNoneOnAResultThatDependsOnTheBatchIsRefusedUnderGradToo() {
        TracedFunction mapped = Vmap.vmap(a -> SHARED.apply(List.of(t(a, 0), t(a, 1))), axes(null, 0), axes(null, 0));
        TracedFunction total = a -> {
            @SuppressWarnings("unchecked") List<Tensor> r = (List<Tensor>) mapped.apply(a[0], a[1]);
            return Ops.add(Reductions.sum(r.get(0)), Reductions.sum(r.get(1)));
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Jit.jit("g", Grad.grad(total, 0)).call(f64(new long[]{3}, 1), f64(new long[]{4, 3}, 2)))
                .hasMessageContaining("out_axes[0] is none but result #0 depends on a batched argument");
    }

    @Test
    void vmapOfVmapUnderGradKeepsTheCustomRule() {
        TracedFunction inner = Vmap.vmap(LOSS, axes(null, 0), axes(0));                        // over x's rows
        TracedFunction total = a -> Reductions.sum((Tensor) Vmap.vmap(inner, axes(null, 1), axes(0)).apply(a[0], a[1]));
        HostArray w = f64(new long[]{3}, 9), xs = f64(new long[]{2, 5, 3}, 10);               // outer batch on axis 1
        double[] g = Jit.jit("g", Grad.grad(total, 0)).call1(w, xs).toDoubleArray(), xv = xs.toDoubleArray();
        for (int k = 0; k < 3; k++) {
            double sum = 0;
            for (int e = 0; e < 10; e++) sum += 2 * xv[e * 3 + k];
            assertThat(g[k]).isCloseTo(sum, Offset.offset(1e-12));
        }
    }

    @Test
    void callsInsideBranchesAndLoopsKeepTheirRules() {
        // a per-example predicate picks the skewed product or half of it; a loop applies a checkpointed step 3 times
        Function<List<Tensor>, List<Tensor>> step = Checkpointing.checkpoint(l -> List.of(Ops.sin(Ops.mul(l.get(0), l.get(1)))),
                Checkpoint.Policy.NOTHING);
        TracedFunction loss = a -> {
            Tensor w = t(a, 0), x = t(a, 1);
            Tensor pick = Control.cond(Ops.gt(Reductions.sum(x), 0.0),
                    () -> SKEWED.apply(List.of(w, x)), () -> List.of(Ops.mul(Ops.mul(w, x), 0.5))).get(0);
            Tensor h = Control.foriLoop(0, 3, (i, c) -> step.apply(List.of(c.get(0), x)), List.of(w)).get(0);
            return Ops.add(Reductions.sum(pick), Reductions.sum(h));
        };
        TracedFunction total = a -> Reductions.sum((Tensor) Vmap.vmap(loss, axes(null, 0), axes(0)).apply(a[0], a[1]));
        HostArray w = f64(new long[]{3}, 13), xs = f64(new long[]{6, 3}, 14);
        @SuppressWarnings("unchecked") List<HostArray> g = (List<HostArray>) Jit.jit("g", Grad.grad(total, 0, 1)).call(w, xs);
        Jit one = Jit.jit("one", Grad.grad(loss, 0, 1));
        double[] sumW = new double[3];
        boolean[] bothBranches = new boolean[2];
        for (int e = 0; e < 6; e++) {
            HostArray x = take(xs, 0, e);
            double sx = 0;
            for (double v : x.toDoubleArray()) sx += v;
            bothBranches[sx > 0 ? 0 : 1] = true;
            @SuppressWarnings("unchecked") List<HostArray> ge = (List<HostArray>) one.call(w, x);
            for (int k = 0; k < 3; k++) {
                sumW[k] += ge.get(0).getDouble(k);
                assertThat(g.get(1).getDouble(e * 3 + k)).as("dx[%d][%d]", e, k).isCloseTo(ge.get(1).getDouble(k), Offset.offset(1e-12));
            }
        }
        assertThat(bothBranches).as("the examples take both branches").containsExactly(true, true);
        for (int k = 0; k < 3; k++) assertThat(g.get(0).getDouble(k)).as("dw[%d]", k).isCloseTo(sumW[k], Offset.offset(1e-12));
    }

    static Tensor layer(List<Tensor> a) {
        Tensor h = Checkpointing.name(Linalg.matmul(a.get(0), a.get(1)), "h");      // x [3] @ w [3, 2]
        return Ops.sin(Ops.mul(h, Ops.tanh(h)));
    }

    @Test
    void aVmappedCheckpointIsStillRecomputedAndItsGradientIsRight() {
        HostArray w = f64(new long[]{3, 2}, 11), xs = f64(new long[]{4, 3}, 12);
        TracedFunction plainLoss = a -> Reductions.sum(Ops.square(layer(List.of(t(a, 1), t(a, 0)))));
        TracedFunction plain = a -> Reductions.sum((Tensor) Vmap.vmap(plainLoss, axes(null, 0), axes(0)).apply(a[0], a[1]));
        Jit plainGrad = Jit.jit("plain", Grad.grad(plain, 0));
        double[] ref = plainGrad.call1(w, xs).toDoubleArray();
        // finite differences of the unbatched sum over examples
        Jit f = Jit.jit("f", plain);
        double[] fd = centralDifferences(f, w, xs);
        for (int k = 0; k < fd.length; k++) assertThat(ref[k]).as("dw[%d]", k).isCloseTo(fd[k], Offset.offset(1e-7));
        String plainText = plainGrad.lower(w, xs).asText();
        assertThat(plainText).doesNotContain("optimization_barrier");
        assertThat(count(plainText, "stablehlo.tanh")).isEqualTo(1);
        for (Checkpoint.Policy policy : Checkpoint.Policy.values()) {
            Function<List<Tensor>, List<Tensor>> ck = Checkpointing.checkpoint(a -> List.of(layer(a)), policy, "h");
            TracedFunction loss = a -> Reductions.sum(Ops.square(ck.apply(List.of(t(a, 1), t(a, 0))).get(0)));
            TracedFunction total = a -> Reductions.sum((Tensor) Vmap.vmap(loss, axes(null, 0), axes(0)).apply(a[0], a[1]));
            Jit j = Jit.jit("ck", Grad.grad(total, 0));
            String text = j.lower(w, xs).asText();
            // the backward pass recomputes the batched body behind a barrier: tanh once forward, once recomputed
            assertThat(text).as("policy %s", policy).contains("stablehlo.optimization_barrier");
            assertThat(count(text, "stablehlo.tanh")).as("policy %s", policy).isEqualTo(2);
            // and it recomputes what the unbatched checkpoint recomputes (NOTHING the matmul too, DOTS saves it; NAMES saves
            // the named convert of it while the recomputed matmul feeding it stays in the program, batched or not)
            TracedFunction plainOne = a -> Reductions.sum(Ops.square(layer(List.of(t(a, 1), t(a, 0)))));
            String oneText = Jit.jit("one", Grad.grad(loss, 0)).lower(w, take(xs, 0, 0)).asText();
            String plainOneText = Jit.jit("plain_one", Grad.grad(plainOne, 0)).lower(w, take(xs, 0, 0)).asText();
            for (String op : List.of("stablehlo.dot_general", "stablehlo.tanh", "stablehlo.optimization_barrier")) {
                assertThat(count(text, op) - count(plainText, op)).as("policy %s: extra %s", policy, op)
                        .isEqualTo(count(oneText, op) - count(plainOneText, op));
            }
            if (policy == Checkpoint.Policy.DOTS) assertThat(count(text, "stablehlo.dot_general")).isEqualTo(count(plainText, "stablehlo.dot_general"));
            double[] g = j.call1(w, xs).toDoubleArray();
            for (int k = 0; k < g.length; k++) assertThat(g[k]).as("policy %s dw[%d]", policy, k).isCloseTo(ref[k], Offset.offset(1e-12));
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }
}
