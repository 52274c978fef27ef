package com.example;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.nn.Init;
import io.hlo4j.dsl.optim.Optimizer;
import io.hlo4j.dsl.optim.Sgd;
import io.hlo4j.examples.Example;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A user's model with its own train step: the gradients clipped to a global norm of 0.1 before SGD's update. */
public final class ClippedRegression implements Example {
    static final double MAX_NORM = 0.1;

    @Override public String name() { return "clipped-regression"; }

    @Override public String description() { return "y = tanh(x w + b) trained by SGD on gradients clipped by global norm"; }

    @Override public Object params() {
        return Map.of("w", Init.normal(1.0).create(0, "w", Shape.of(4, 8), DType.F32),
                "b", Init.zeros().create(0, "b", Shape.of(8), DType.F32));
    }

    @Override public List<Object> batch() {
        return List.of(Init.normal(1.0).create(1, "x", Shape.of(16, 4), DType.F32),
                Init.normal(0.5).create(2, "y", Shape.of(16, 8), DType.F32));
    }

    @SuppressWarnings("unchecked")
    @Override public TracedFunction loss() {
        return a -> {
            Map<String, Tensor> p = (Map<String, Tensor>) a[0];
            Tensor prediction = Ops.tanh(Ops.add(Linalg.matmul((Tensor) a[1], p.get("w")), p.get("b")));
            return Reductions.mean(Ops.square(Ops.sub(prediction, (Tensor) a[2])));
        };
    }

    @Override public Optimizer optimizer() { return Sgd.of(0.5, 0.9); }

    /** (params, opt_state, x, y) -> [loss, params', opt_state']: optax's clip_by_global_norm, then the optimiser. */
    @SuppressWarnings("unchecked")
    @Override public TracedFunction trainStep() {
        TracedFunction valueAndGrad = Grad.valueAndGrad(loss(), 0);
        Optimizer sgd = optimizer();
        return a -> {
            List<?> lg = (List<?>) valueAndGrad.apply(a[0], a[2], a[3]);
            Map<String, Tensor> grads = (Map<String, Tensor>) lg.get(1);
            Tensor sumOfSquares = null;
            for (Tensor g : grads.values()) {
                Tensor s = Reductions.sum(Ops.square(g));
                sumOfSquares = sumOfSquares == null ? s : Ops.add(sumOfSquares, s);
            }
            Tensor norm = Ops.sqrt(sumOfSquares);
            Tensor scale = Ops.div(MAX_NORM, Ops.maximum(norm, MAX_NORM)); // 1 when the norm is within bounds
            Map<String, Tensor> clipped = new TreeMap<>();
            grads.forEach((k, g) -> clipped.put(k, Ops.mul(g, scale)));
            Optimizer.Step step = sgd.update(a[0], clipped, a[1]);
            return List.of((Tensor) lg.get(0), step.params(), step.state());
        };
    }
}
