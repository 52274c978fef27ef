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
            assertThat(analytic).as("d loss / d %s along a random direction", name)
                    .isCloseTo(numeric, within(1e-6 * Math.max(1, Math.abs(numeric))));
        }
    }

    /** The first AdamW step moves every parameter with a gradient by lr (|m^ / sqrt(v^)| = 1) plus decay: checked on the LM head. */
    @Test
    void firstAdamwStepOfTheLmHeadIsMinusLrTimesTheGradientsSign() {
        HostArray[] d = batch(1);
        Map<String, HostArray> p0 = initParams(0, DType.F32);
        Map<String, HostArray> g = Jit.jit("grad", Grad.grad(LOSS, 0)).callMap(p0, d[0], d[1]);
        TrainStep.Runner run = new TrainStep.Runner("step", LOSS, optimizer(), p0);
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
        SimulatedRun run = shardedStep(mesh(MESH)).callSimulated(p, optimizer().init(p), d[0], d[1]);
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
