package io.hlo4j.dsltest.userjourney;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.nn.Mlp;
import io.hlo4j.dsl.nn.ParamScope;
import io.hlo4j.dsl.nn.Params;
import io.hlo4j.dsl.nn.StateDicts;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A user's first training loop, written from docs/dsl.md ("Layers, parameters and state dicts", "Optimisers and
 * training steps"): a 2-layer MLP (3 -> 16 -> 1, ReLU) regressing a fixed nonlinear teacher on synthetic data, trained
 * with AdamW for 50 steps through {@link TrainStep.Runner}. Oracles: the f64 gradient of the first step against
 * central finite differences of the f64 loss, the f32 gradient against the f64 one, the first AdamW update against
 * the update written out by hand, and the loss falling below a stated fraction of its start.
 */
class MlpTrainingJourneyTest {
    static final int N = 32, IN = 3, HIDDEN = 16;
    static final double LR = 0.02, WEIGHT_DECAY = 0.01;
    static final Mlp MLP = Mlp.of(DType.F32, IN, HIDDEN, 1);

    /** Mean squared error of the MLP on (x, y); the same function serves f32 and f64 parameters. */
    static final TracedFunction LOSS = a -> {
        Tensor pred = MLP.apply(Params.of(a[0]), (Tensor) a[1]);
        return Ops.square(pred.sub((Tensor) a[2])).mean();
    };

    /** Inputs uniform in [-1, 1]; targets y = sin(2 x0) + x1 x2 - 0.5 x2, a smooth function an MLP can fit. */
    static double[][] data() {
        Random r = new Random(7);
        double[] xs = new double[N * IN], ys = new double[N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < IN; j++) xs[i * IN + j] = r.nextDouble() * 2 - 1;
            double x0 = xs[i * IN], x1 = xs[i * IN + 1], x2 = xs[i * IN + 2];
            ys[i] = Math.sin(2 * x0) + x1 * x2 - 0.5 * x2;
        }
        return new double[][] {xs, ys};
    }

    static HostArray array(DType d, double[] v, long... shape) { return HostArray.fromDoubles(Spec.of(d, shape).tensorType(), v); }

    @Test
    void adamwTrainingLowersTheLossAndTheFirstStepMatchesItsOracles() {
        double[][] d = data();
        HostArray x = array(DType.F32, d[0], N, IN), y = array(DType.F32, d[1], N, 1);
        Map<String, HostArray> p0 = ParamScope.init(MLP, 3);
        assertThat(p0.keySet()).containsExactly("layer0.b", "layer0.w", "layer1.b", "layer1.w");
        assertThat(StateDicts.parameterCount(p0)).as("3x16 + 16 + 16x1 + 1").isEqualTo(81);

        TrainStep.Runner run = new TrainStep.Runner("train", LOSS, new AdamW(LR, 0.9, 0.999, 1e-8, WEIGHT_DECAY), p0);
        List<Double> losses = new ArrayList<>();
        losses.add(run.step(x, y));
        Map<String, HostArray> p1 = run.paramsMap();
        for (int step = 1; step < 50; step++) losses.add(run.step(x, y));

        // --- step 1: the f64 gradient against central finite differences of the f64 loss
        Map<String, HostArray> p64 = StateDicts.astype(p0, DType.F64);
        for (String name : p0.keySet()) assertThat(p64.get(name).toDoubleArray()).containsExactly(p0.get(name).toDoubleArray());
        HostArray x64 = array(DType.F64, d[0], N, IN), y64 = array(DType.F64, d[1], N, 1);
        Jit loss64 = Jit.jit("loss64", LOSS);
        Map<String, HostArray> g64 = Jit.jit("grad64", Grad.grad(LOSS, 0)).callMap(p64, x64, y64);
        double l0 = loss64.call1(p64, x64, y64).getDouble(0);
        assertThat(losses.get(0)).as("the first step reports the loss before the update").isCloseTo(l0, org.assertj.core.data.Offset.offset(1e-5 * l0));

        double h = 1e-6, worst = 0;
        int checked = 0;
        for (String name : p64.keySet()) {
            double[] base = p64.get(name).toDoubleArray(), grad = g64.get(name).toDoubleArray();
            for (int i = 0; i < base.length; i++) {
                double[] plus = base.clone(), minus = base.clone();
                plus[i] += h;
                minus[i] -= h;
                double fd = (lossAt(loss64, p64, name, plus, x64, y64) - lossAt(loss64, p64, name, minus, x64, y64)) / (2 * h);
                double err = Math.abs(fd - grad[i]) / Math.max(1e-3, Math.abs(grad[i]));
                worst = Math.max(worst, err);
                assertThat(err).as("d loss / d %s[%d]: grad %s, finite difference %s", name, i, grad[i], fd).isLessThan(1e-6);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(IN * HIDDEN + HIDDEN + HIDDEN + 1);

        // --- the f32 gradient the training step used agrees with the f64 one
        Map<String, HostArray> g32 = Jit.jit("grad32", Grad.grad(LOSS, 0)).callMap(p0, x, y);
        for (String name : p64.keySet()) {
            double[] a = g32.get(name).toDoubleArray(), b = g64.get(name).toDoubleArray();
            for (int i = 0; i < a.length; i++) assertThat(a[i]).as("f32 vs f64 gradient of %s[%d]", name, i).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-5));
        }

        // --- the first AdamW update by hand: m_hat = g, v_hat = g^2, so p1 = p0 - lr (g / (|g| + eps) + wd p0)
        for (String name : p0.keySet()) {
            double[] w0 = p0.get(name).toDoubleArray(), g = g32.get(name).toDoubleArray(), w1 = p1.get(name).toDoubleArray();
            for (int i = 0; i < w0.length; i++) {
                double want = w0[i] - LR * (g[i] / (Math.abs(g[i]) + 1e-8) + WEIGHT_DECAY * w0[i]);
                // |g| below ~1e-6 makes g/(|g|+eps) sensitive to f32 rounding of g; such entries are allowed lr/10
                double tol = Math.abs(g[i]) < 1e-6 ? LR / 10 : 1e-6;
                assertThat(w1[i]).as("%s[%d] after one AdamW step (g = %s)", name, i, g[i]).isCloseTo(want, org.assertj.core.data.Offset.offset(tol));
            }
        }

        // --- training: the loss falls below 5% of its start (0.626 -> 0.011 today), and the step was compiled once
        double last = losses.get(losses.size() - 1);
        assertThat(last).as("loss after 50 AdamW steps, from %s: %s", losses.get(0), losses).isLessThan(0.05 * losses.get(0));
        assertThat(run.jit().cacheSize()).isEqualTo(1);
    }

    @Test
    void stateDictAstypeRoundsFloatsAndKeepsIntegers() {
        Map<String, HostArray> s = new TreeMap<>(Map.of(
                "w", HostArray.fromDoubles(Spec.of(DType.F32, 3).tensorType(), 1.0, 1.00390625, 1.005859375),
                "step", HostArray.fromLongs(Spec.of(DType.I32).tensorType(), 7)));
        Map<String, HostArray> b = StateDicts.astype(s, DType.BF16);
        // bf16 keeps 8 significant bits: 1 + 2^-8 is a tie and rounds to even (1.0); 1 + 1.5 * 2^-8 rounds up to 1 + 2^-7
        assertThat(b.get("w").toDoubleArray()).containsExactly(1.0, 1.0, 1.0078125);
        assertThat(b.get("w").type().toString()).isEqualTo("tensor<3xbf16>");
        assertThat(b.get("step")).isSameAs(s.get("step"));
        assertThat(StateDicts.parameterCount(b)).isEqualTo(4);
    }

    static double lossAt(Jit loss, Map<String, HostArray> params, String name, double[] values, HostArray x, HostArray y) {
        Map<String, HostArray> p = new TreeMap<>(params);
        p.put(name, HostArray.fromDoubles(params.get(name).type(), values));
        return loss.call1(p, x, y).getDouble(0);
    }
}
