package io.hlo4j.dsltest.optim;

import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.Optimizer;
import io.hlo4j.dsl.optim.Sgd;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Optimiser steps against the same arithmetic done by hand in doubles. */
class OptimizerTest {
    static HostArray f32(double... v) { return HostArray.fromDoubles(TensorType.of(FloatType.F32, v.length), v); }

    /** Runs {@code steps} updates with fixed gradients; returns [params, state]. */
    @SuppressWarnings("unchecked")
    static List<Object> run(Optimizer opt, Map<String, HostArray> params, Map<String, HostArray> grads, int steps) {
        Jit j = Jit.jit("upd", a -> {
            Optimizer.Step s = opt.update(a[0], a[1], a[2]);
            return List.of(s.params(), s.state());
        });
        Object p = params, st = opt.init(params);
        for (int i = 0; i < steps; i++) {
            List<Object> r = (List<Object>) j.call(p, grads, st);
            p = r.get(0);
            st = r.get(1);
        }
        return List.of(p, st);
    }

    static void assertClose(HostArray got, double[] want, double tol) {
        double[] g = got.toDoubleArray();
        assertThat(g).hasSize(want.length);
        for (int i = 0; i < want.length; i++) assertThat(g[i]).as("element %d", i).isCloseTo(want[i], within(tol * Math.max(1, Math.abs(want[i]))));
    }

    @Test
    @SuppressWarnings("unchecked")
    void sgdMomentumTwoStepsByHand() {
        double lr = 0.1, mu = 0.9, wd = 0.01;
        double[] p = {1.0, -2.0, 0.5}, g = {0.3, -0.1, 2.0};
        List<Object> r = run(new Sgd(lr, mu, wd), Map.of("w", f32(p)), Map.of("w", f32(g)), 2);
        double[] v = new double[3], q = p.clone();
        for (int s = 0; s < 2; s++) {
            for (int i = 0; i < 3; i++) {
                v[i] = mu * v[i] + g[i] + wd * q[i];
                q[i] -= lr * v[i];
            }
        }
        assertClose(((Map<String, HostArray>) r.get(0)).get("w"), q, 1e-6);
        assertClose(((Map<String, HostArray>) ((Sgd.State) r.get(1)).velocity()).get("w"), v, 1e-6);
    }

    @Test
    @SuppressWarnings("unchecked")
    void adamWThreeStepsByHand() {
        double lr = 0.01, b1 = 0.9, b2 = 0.99, eps = 1e-6, wd = 0.1;
        double[] p = {1.0, -2.0, 0.5, 0.0}, g = {0.3, -0.1, 2.0, -1e-3};
        List<Object> r = run(new AdamW(lr, b1, b2, eps, wd), Map.of("w", f32(p)), Map.of("w", f32(g)), 3);
        double[] m = new double[4], v = new double[4], q = p.clone();
        for (int t = 1; t <= 3; t++) {
            for (int i = 0; i < 4; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mh = m[i] / (1 - Math.pow(b1, t)), vh = v[i] / (1 - Math.pow(b2, t));
                q[i] -= lr * (mh / (Math.sqrt(vh) + eps) + wd * q[i]);
            }
        }
        assertClose(((Map<String, HostArray>) r.get(0)).get("w"), q, 2e-6);
        AdamW.State s = (AdamW.State) r.get(1);
        assertThat(((HostArray) s.count()).getLong(0)).isEqualTo(3);
        assertClose((HostArray) ((List<?>) s.mu()).get(0), m, 1e-6);
        assertClose((HostArray) ((List<?>) s.nu()).get(0), v, 1e-6);
    }

    @Test
    void adamWKeepsAnF32MasterForBf16Parameters() {
        double lr = 1e-3, wd = 0.01;
        TensorType bf = TensorType.of(FloatType.BF16, 2);
        HostArray p = HostArray.fromDoubles(bf, 1.0, -1.0), g = HostArray.fromDoubles(bf, 0.5, -0.25);
        AdamW opt = new AdamW(lr, 0.9, 0.999, 1e-8, wd);
        for (int steps : new int[]{1, 10}) {
            List<Object> r = run(opt, Map.of("w", p), Map.of("w", g), steps);
            // With a constant gradient every Adam step moves by ~lr*sign(g) (mhat/sqrt(vhat) = sign(g)), plus decay.
            double[] master = {1.0, -1.0}, sign = {1, -1};
            for (int t = 0; t < steps; t++) for (int i = 0; i < 2; i++) master[i] -= lr * (sign[i] + wd * master[i]);
            AdamW.State s = (AdamW.State) r.get(1);
            HostArray m = (HostArray) ((List<?>) s.master()).get(0);
            assertThat(m.type().elementType()).isEqualTo(FloatType.F32);
            assertClose(m, master, 1e-6);
            @SuppressWarnings("unchecked") HostArray np = ((Map<String, HostArray>) r.get(0)).get("w");
            assertThat(np.type()).isEqualTo(bf);
            // the parameter is the master rounded to bf16 (one step is below bf16's resolution at 1.0: it stays 1.0)
            assertThat(np.toDoubleArray()).containsExactly(HostArray.fromDoubles(bf, m.toDoubleArray()).toDoubleArray());
            if (steps == 1) assertThat(np.toDoubleArray()).containsExactly(1.0, -1.0);
            else assertThat(np.getDouble(0)).isLessThan(1.0);
        }
    }

    @Test
    void sgdKeepsAnF32MasterForBf16Parameters() {
        // lr * g = 5e-4 per step: below bf16's resolution at 1.0 (2^-7), so without a master the parameter never moves.
        double lr = 1e-3;
        TensorType bf = TensorType.of(FloatType.BF16, 2);
        HostArray p = HostArray.fromDoubles(bf, 1.0, -1.0), g = HostArray.fromDoubles(bf, 0.5, -0.5);
        for (int steps : new int[]{1, 10}) {
            List<Object> r = run(new Sgd(lr, 0.5, 0), Map.of("w", p), Map.of("w", g), steps);
            double[] master = {1.0, -1.0}, v = new double[2], gd = {0.5, -0.5};
            for (int t = 0; t < steps; t++) {
                for (int i = 0; i < 2; i++) {
                    v[i] = 0.5 * v[i] + gd[i];
                    master[i] -= lr * v[i];
                }
            }
            Sgd.State s = (Sgd.State) r.get(1);
            HostArray m = (HostArray) ((List<?>) s.master()).get(0);
            assertThat(m.type().elementType()).isEqualTo(FloatType.F32);
            assertClose(m, master, 1e-6);
            @SuppressWarnings("unchecked") HostArray vel = ((Map<String, HostArray>) s.velocity()).get("w");
            assertThat(vel.type().elementType()).isEqualTo(FloatType.F32);
            assertClose(vel, v, 1e-6);
            @SuppressWarnings("unchecked") HostArray np = ((Map<String, HostArray>) r.get(0)).get("w");
            assertThat(np.type()).isEqualTo(bf);
            assertThat(np.toDoubleArray()).containsExactly(HostArray.fromDoubles(bf, m.toDoubleArray()).toDoubleArray());
            if (steps == 1) assertThat(np.toDoubleArray()).containsExactly(1.0, -1.0);
            else assertThat(np.getDouble(0)).isLessThan(1.0);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void trainStepReturnsLossAndAppliesTheGradient() {
        // loss = mean((x w - y)^2); grad_w = 2/N x^T (x w - y), one SGD step without momentum.
        double[] x = {1, 2, -1, 0.5, 3, -2}, w = {0.1, -0.3}, y = {1, 0, 2};
        HostArray xa = HostArray.fromDoubles(TensorType.of(FloatType.F32, 3, 2), x), ya = HostArray.fromDoubles(TensorType.of(FloatType.F32, 3, 1), y);
        HostArray wa = HostArray.fromDoubles(TensorType.of(FloatType.F32, 2, 1), w);
        TrainStep.Runner run = new TrainStep.Runner("step", a -> {
            Tensor err = Ops.sub(Linalg.matmul((Tensor) a[1], (Tensor) ((Map<String, ?>) a[0]).get("w")), (Tensor) a[2]);
            return Reductions.mean(Ops.square(err));
        }, new Sgd(0.05, 0, 0), Map.of("w", wa));
        double loss = run.step(xa, ya);
        double[] r = new double[3], gw = new double[2];
        double l = 0;
        for (int n = 0; n < 3; n++) {
            r[n] = x[2 * n] * w[0] + x[2 * n + 1] * w[1] - y[n];
            l += r[n] * r[n] / 3;
            for (int k = 0; k < 2; k++) gw[k] += 2.0 / 3 * x[2 * n + k] * r[n];
        }
        assertThat(loss).isCloseTo(l, within(1e-6));
        assertClose(((Map<String, HostArray>) run.params()).get("w"), new double[]{w[0] - 0.05 * gw[0], w[1] - 0.05 * gw[1]}, 1e-6);
        double loss2 = run.step(xa, ya);
        assertThat(loss2).isLessThan(loss);
        assertThat(run.jit().cacheSize()).isEqualTo(1);
    }

    @Test
    void refusesMismatchedGradientsByName() {
        assertThatThrownBy(() -> run(Sgd.of(0.1, 0.9), Map.of("w", f32(1, 2)), Map.of("w", f32(1, 2, 3)), 1))
                .hasMessageContaining("sgd").hasMessageContaining("gradient leaf #0");
    }

    @Test
    @SuppressWarnings("unchecked")
    void bf16ParametersTrainThroughTrainStepWithAnF32Master() {
        // y = x w* with w* = [0.5, -1.5]; the bf16 model starts at 0 and should approach w*.
        double[] x = {1, 2, -1, 0.5, 3, -2, 0.3, 1.1}, y = new double[4];
        for (int n = 0; n < 4; n++) y[n] = 0.5 * x[2 * n] - 1.5 * x[2 * n + 1];
        TensorType bx = TensorType.of(FloatType.BF16, 4, 2);
        HostArray xa = HostArray.fromDoubles(bx, x), ya = HostArray.fromDoubles(TensorType.of(FloatType.BF16, 4, 1), y);
        HostArray w0 = HostArray.zeros(TensorType.of(FloatType.BF16, 2, 1));
        TrainStep.Runner run = new TrainStep.Runner("bf16", a -> {
            Tensor err = Ops.astype(Ops.sub(Linalg.matmul((Tensor) a[1], (Tensor) ((Map<String, ?>) a[0]).get("w")), (Tensor) a[2]),
                    io.hlo4j.dsl.DType.F32);
            return Reductions.mean(Ops.square(err));
        }, new AdamW(0.05, 0.9, 0.999, 1e-8, 0), Map.of("w", w0));
        double first = run.step(xa, ya), last = first;
        for (int i = 0; i < 150; i++) last = run.step(xa, ya);
        assertThat(last).isLessThan(0.01 * first);
        HostArray w = ((Map<String, HostArray>) run.params()).get("w");
        assertThat(w.type().elementType()).isEqualTo(FloatType.BF16);
        HostArray master = (HostArray) ((List<?>) ((AdamW.State) run.state()).master()).get(0);
        assertThat(master.type().elementType()).isEqualTo(FloatType.F32);
        assertClose(master, new double[]{0.5, -1.5}, 0.05);
        assertThat(w.toDoubleArray()).containsExactly(HostArray.fromDoubles(w.type(), master.toDoubleArray()).toDoubleArray());
    }
}
