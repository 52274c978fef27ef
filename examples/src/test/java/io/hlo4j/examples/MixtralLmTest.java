package io.hlo4j.examples;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.nn.Init;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static io.hlo4j.examples.MixtralLm.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The mixtral-lm example against independent oracles: its first loss by hand (log VOCAB, and the load-balancing loss
 * recomputed in plain Java from the router's logits), its gradient against f64 central differences, and its sharded
 * training (8 simulated devices) against the one-device run.
 */
class MixtralLmTest {
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @SuppressWarnings("unchecked")
    static final Jit PARTS = Jit.jit("mixtral_lm", a -> forward((Map<String, Tensor>) a[0], (Tensor) a[1], (Tensor) a[2]));

    @Test
    void firstLossIsLogVocabPlusTheLoadBalancingLossByHand() {
        HostArray[] d = batch(1);
        Map<String, HostArray> r = PARTS.callMap(initParams(0, DType.F32), d[0], d[1]);
        // the LM head is zero: every logit is 0, so every token's cross-entropy is log(VOCAB)
        assertThat(r.get("logits").toDoubleArray()).containsOnly(0.0);
        assertThat(r.get("cross_entropy").getDouble(0)).isCloseTo(Math.log(VOCAB), within(3e-6)); // f32: a few ulps of 2.77 (2.4e-7 each)

        // standard load-balancing loss: coef * E * sum_e (loads_e / (N k)) * mean_t P[t, e], top-2 of the softmax
        double[] logits = r.get("router_logits").toDoubleArray();
        int n = B * S;
        double[] loads = new double[E], pMean = new double[E];
        for (int t = 0; t < n; t++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int e = 0; e < E; e++) max = Math.max(max, logits[t * E + e]);
            double[] p = new double[E];
            for (int e = 0; e < E; e++) sum += p[e] = Math.exp(logits[t * E + e] - max);
            int first = 0;
            for (int e = 0; e < E; e++) {
                p[e] /= sum;
                pMean[e] += p[e] / n;
                if (p[e] > p[first]) first = e;
            }
            int second = first == 0 ? 1 : 0;
            for (int e = 0; e < E; e++) if (e != first && p[e] > p[second]) second = e;
            loads[first]++;
            loads[second]++;
        }
        double aux = 0;
        for (int e = 0; e < E; e++) aux += loads[e] / (n * K) * pMean[e];
        aux *= AUX_COEF * E;
        assertThat(r.get("aux_loss").getDouble(0)).isCloseTo(aux, within(1e-6));
        assertThat(aux).as("not perfectly balanced (coef %s would be)", AUX_COEF).isNotCloseTo(AUX_COEF, within(1e-4));
        assertThat(r.get("loss").getDouble(0)).isCloseTo(Math.log(VOCAB) + aux, within(4e-6));
    }

    /** d loss / d params in f64 (a non-zero LM head, so every parameter gets a gradient) against central differences. */
    @Test
    @SuppressWarnings("unchecked")
    void gradientMatchesCentralDifferencesInF64() {
        Map<String, HostArray> p = new TreeMap<>(initParams(3, DType.F64));
        p.put("lm_head", Init.normal(0.5).create(3, "lm_head", io.hlo4j.dsl.Shape.of(D, VOCAB), DType.F64));
        HostArray[] d = batch(2);
        Map<String, HostArray> g = Jit.jit("grad", Grad.grad(LOSS, 0)).callMap(p, d[0], d[1]);
        Jit loss = Jit.jit("loss", LOSS);
        SplittableRandom rng = new SplittableRandom(5);
        double h = 1e-5;
        for (String name : p.keySet()) {
            double[] w = p.get(name).toDoubleArray(), u = new double[w.length], gv = g.get(name).toDoubleArray();
            double analytic = 0;
            for (int i = 0; i < w.length; i++) {
                u[i] = rng.nextGaussian();
                analytic += gv[i] * u[i];
            }
            double[] plus = w.clone(), minus = w.clone();
            for (int i = 0; i < w.length; i++) {
                plus[i] += h * u[i];
                minus[i] -= h * u[i];
            }
            Map<String, HostArray> pp = new TreeMap<>(p), pm = new TreeMap<>(p);
            pp.put(name, HostArray.fromDoubles(p.get(name).type(), plus));
            pm.put(name, HostArray.fromDoubles(p.get(name).type(), minus));
            double numeric = (loss.call1(pp, d[0], d[1]).getDouble(0) - loss.call1(pm, d[0], d[1]).getDouble(0)) / (2 * h);
            assertThat(Math.abs(analytic)).as("d loss / d %s along a random direction is not zero", name).isGreaterThan(1e-6);
            // relative: measured 4.5e-11 (wu) .. 2.2e-9 (gate) with h = 1e-5 in f64
            assertThat(Math.abs(analytic - numeric) / Math.abs(numeric)).as("relative error of d loss / d %s (analytic %s, numeric %s)",
                    name, analytic, numeric).isLessThan(1e-8);
        }
    }

    /**
     * Causality through the whole model (a non-zero LM head): changing token j of sequence 0 leaves every logit at
     * positions before j bit-identical, changes those at j and after, and leaves the other sequences bit-identical.
     */
    @Test
    void changingTokenJChangesOnlyTheLogitsFromJOn() {
        Map<String, HostArray> p = new TreeMap<>(initParams(0, DType.F32));
        p.put("lm_head", Init.normal(0.5).create(1, "lm_head", io.hlo4j.dsl.Shape.of(D, VOCAB), DType.F32));
        HostArray[] d = batch(1);
        double[] before = PARTS.callMap(p, d[0], d[1]).get("logits").toDoubleArray();
        int j = 4;
        long[] tokens = d[0].toLongArray();
        tokens[j] = (tokens[j] + 5) % VOCAB;
        double[] after = PARTS.callMap(p, HostArray.fromLongs(d[0].type(), tokens), d[1]).get("logits").toDoubleArray();
        for (int b = 0; b < B; b++) {
            for (int s = 0; s < S; s++) {
                double diff = 0;
                for (int v = 0; v < VOCAB; v++) {
                    int i = (b * S + s) * VOCAB + v;
                    if (b != 0 || s < j) assertThat(after[i]).as("logit [%d, %d, %d]", b, s, v).isEqualTo(before[i]);
                    diff = Math.max(diff, Math.abs(after[i] - before[i]));
                }
                if (b == 0 && s >= j) assertThat(diff).as("position %d sees token %d", s, j).isGreaterThan(1e-4);
            }
        }
    }

    /**
     * The attention sub-block in f64 against a plain-Java reference: q, k, v projections, HF rotary embeddings
     * (angle {@code position / THETA^(2i/HD)}, {@code x cos + rotate_half(x) sin}), causal softmax, output projection.
     * The same reference without the rotation differs by far more than the tolerance, so the rotary part is checked.
     */
    @Test
    @SuppressWarnings("unchecked")
    void attentionMatchesAPlainJavaReferenceWithRotaryByPosition() {
        Map<String, HostArray> p = initParams(3, DType.F64);
        SplittableRandom rng = new SplittableRandom(11);
        double[] h = new double[B * S * D];
        for (int i = 0; i < h.length; i++) h[i] = rng.nextGaussian();
        HostArray hx = HostArray.fromDoubles(io.hlo4j.dsl.Spec.of(DType.F64, B, S, D).tensorType(), h);
        double[] got = Jit.jit("attention", a -> attention((Map<String, Tensor>) a[0], (Tensor) a[1])).call1(p, hx).toDoubleArray();
        double[] want = referenceAttention(p, h, true), unrotated = referenceAttention(p, h, false);
        double rotaryEffect = 0;
        for (int i = 0; i < got.length; i++) {
            assertThat(got[i]).as("attention output %d", i).isCloseTo(want[i], within(1e-12));
            rotaryEffect = Math.max(rotaryEffect, Math.abs(want[i] - unrotated[i]));
        }
        assertThat(rotaryEffect).as("the rotation changes the output").isGreaterThan(1e-2);
    }

    /** Plain-Java attention of {@link MixtralLm#attention}, with or without the rotary rotation. */
    static double[] referenceAttention(Map<String, HostArray> p, double[] h, boolean rotary) {
        double[] wq = p.get("wq").toDoubleArray(), wk = p.get("wk").toDoubleArray(), wv = p.get("wv").toDoubleArray(), wo = p.get("wo").toDoubleArray();
        int e = HEADS * HD, half = HD / 2;
        double[][] proj = new double[3][B * S * e];
        double[][] w = {wq, wk, wv};
        for (int m = 0; m < 3; m++)
            for (int bs = 0; bs < B * S; bs++)
                for (int c = 0; c < e; c++) {
                    double acc = 0;
                    for (int dd = 0; dd < D; dd++) acc += h[bs * D + dd] * w[m][dd * e + c];
                    proj[m][bs * e + c] = acc;
                }
        for (int m = 0; rotary && m < 2; m++) { // rotate q and k: pair (j, j + HD/2) by angle pos * THETA^(-2 (j mod HD/2) / HD)
            double[] x = proj[m].clone();
            for (int bs = 0; bs < B * S; bs++) {
                int pos = bs % S;
                for (int hh = 0; hh < HEADS; hh++)
                    for (int j = 0; j < HD; j++) {
                        double ang = pos / Math.pow(THETA, 2.0 * (j % half) / HD);
                        int at = bs * e + hh * HD;
                        double rot = j < half ? -x[at + j + half] : x[at + j - half];
                        proj[m][at + j] = x[at + j] * Math.cos(ang) + rot * Math.sin(ang);
                    }
            }
        }
        double[] a = new double[B * S * e];
        for (int b = 0; b < B; b++)
            for (int hh = 0; hh < HEADS; hh++)
                for (int t = 0; t < S; t++) {
                    double[] sc = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int s = 0; s <= t; s++) { // causal: keys up to t
                        for (int j = 0; j < HD; j++) sc[s] += proj[0][(b * S + t) * e + hh * HD + j] * proj[1][(b * S + s) * e + hh * HD + j];
                        sc[s] /= Math.sqrt(HD);
                        max = Math.max(max, sc[s]);
                    }
                    for (int s = 0; s <= t; s++) sum += sc[s] = Math.exp(sc[s] - max);
                    for (int s = 0; s <= t; s++)
                        for (int j = 0; j < HD; j++) a[(b * S + t) * e + hh * HD + j] += sc[s] / sum * proj[2][(b * S + s) * e + hh * HD + j];
                }
        double[] out = new double[B * S * D];
        for (int bs = 0; bs < B * S; bs++)
            for (int dd = 0; dd < D; dd++) {
                double acc = 0;
                for (int c = 0; c < e; c++) acc += a[bs * e + c] * wo[c * D + dd];
                out[bs * D + dd] = acc;
            }
        return out;
    }

    /** The first AdamW step moves every parameter with a gradient by lr (|m^ / sqrt(v^)| = 1) plus decay: checked on the LM head. */
    @Test
    void firstAdamwStepOfTheLmHeadIsMinusLrTimesTheGradientsSign() {
        HostArray[] d = batch(1);
        Map<String, HostArray> p0 = initParams(0, DType.F32);
        Map<String, HostArray> g = Jit.jit("grad", Grad.grad(LOSS, 0)).callMap(p0, d[0], d[1]);
        TrainStep.Runner run = new TrainStep.Runner("step", LOSS, new MixtralLm().optimizer(), p0);
        run.step(d[0], d[1]);
        double[] head = run.paramsMap().get("lm_head").toDoubleArray(), gh = g.get("lm_head").toDoubleArray();
        for (int i = 0; i < head.length; i++) {
            // p = 0 - lr * (g / (|g| + eps) + wd * 0)
            double want = -LR * gh[i] / (Math.abs(gh[i]) + 1e-8);
            assertThat(head[i]).as("lm_head[%d] (gradient %s)", i, gh[i]).isCloseTo(want, within(1e-6));
        }
    }

    /** Three steps on the 8 simulated devices of dp=1, fsdp=2, ep=2, tp=2, sp=1 equal the one-device run, and the loss falls. */
    @Test
    void shardedTrainingEqualsOneDeviceAndTheLossFalls() {
        int steps = 3;
        double[] one = trainOneDevice(steps, QUIET);
        double[] sharded = trainSharded(mesh(MESH), steps, one, QUIET);
        for (int i = 0; i < steps; i++) assertThat(sharded[i]).as("step %d", i).isCloseTo(one[i], within(1e-5 * one[i]));
        HostArray[] b = batch(1);
        assertThat(one[0]).as("the first step's loss is the forward's").isCloseTo(PARTS.callMap(initParams(0, DType.F32), b[0], b[1]).get("loss").getDouble(0), within(1e-6));
        assertThat(one[steps - 1]).isLessThan(one[0] - 0.2);

        // it did run split: 8 devices, weights in blocks, collectives between them
        HostArray[] d = batch(1);
        Map<String, HostArray> p = initParams(0, DType.F32);
        SimulatedRun run = shardedStep(mesh(MESH)).callSimulated(p, new MixtralLm().optimizer().init(p), d[0], d[1]);
        assertThat(run.program().devices()).isEqualTo(8);
        List<String> args = run.program().module().entryFunction().region(0).entry().arguments().stream().map(v -> v.type().toString()).toList();
        assertThat(args).contains("tensor<2x8x8xf32>", "tensor<2x8xi32>"); // wi [4, 16, 16] over (ep, fsdp, tp); tokens over fsdp
        assertThat(run.run().log()).isNotEmpty();
    }

    @Test
    void registeredAndRunsFromTheExamplesList() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        double l = Examples.byName("mixtral-lm").run(new PrintStream(buf, true, StandardCharsets.UTF_8), 0);
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("4720 parameters", "initial loss ", "log 16 = 2.772589");
        HostArray[] d = batch(1);
        assertThat(l).isEqualTo(PARTS.callMap(initParams(0, DType.F32), d[0], d[1]).get("loss").getDouble(0));
    }
}
