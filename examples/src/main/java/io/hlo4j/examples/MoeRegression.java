package io.hlo4j.examples;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.nn.Init;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.runtime.array.HostArray;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small mixture-of-experts regressor written with the DSL ops: a linear router, softmax, top-2 routing, four
 * two-layer expert FFNs computed densely (every expert on every token, as an einsum over the expert axis), and a
 * combine weighted by the renormalised top-2 gates. The target switches function with the sign of {@code x0}, so
 * routing pays off. Trained with AdamW on 128 fixed points (seeded), on the interpreter.
 */
public final class MoeRegression implements BundledModel {
    static final int N = 128, IN = 4, EXPERTS = 4, HIDDEN = 16, TOP_K = 2;

    @Override public String name() { return "moe-regression"; }

    @Override public String description() { return "mixture-of-experts regressor (router softmax, top-2, 4 expert FFNs) trained with AdamW"; }

    @Override public int defaultSteps() { return 300; }

    /** The seed-0 parameters. */
    @Override public Object params() { return initParams(0); }

    /** {@code [x, y]}: {@link #data}(7), the points it trains on. */
    @Override public List<Object> batch() { return List.of((Object[]) data(7)); }

    @SuppressWarnings("unchecked")
    @Override public TracedFunction loss() { return a -> loss((Map<String, ?>) a[0], (Tensor) a[1], (Tensor) a[2]); }

    @Override public AdamW optimizer() { return new AdamW(0.01, 0.9, 0.999, 1e-8, 0.0); }

    public static Map<String, HostArray> initParams(long seed) {
        Map<String, HostArray> p = new LinkedHashMap<>();
        p.put("router", Init.normal(0.5).create(seed, "router", Shape.of(IN, EXPERTS), DType.F32));
        p.put("w1", Init.normal(Math.sqrt(2.0 / IN)).create(seed, "w1", Shape.of(EXPERTS, IN, HIDDEN), DType.F32));
        p.put("b1", Init.zeros().create(seed, "b1", Shape.of(EXPERTS, HIDDEN), DType.F32));
        p.put("w2", Init.normal(Math.sqrt(1.0 / HIDDEN)).create(seed, "w2", Shape.of(EXPERTS, HIDDEN), DType.F32));
        return p;
    }

    /** Inputs (seeded normal) and targets {@code x0 > 0 ? sin(2 x1) + x2 : x2 * x3 - x1 / 2}. */
    public static HostArray[] data(long seed) {
        HostArray x = Init.normal(1).create(seed, "data.x", Shape.of(N, IN), DType.F32);
        double[] xv = x.toDoubleArray(), yv = new double[N];
        for (int n = 0; n < N; n++) {
            double x0 = xv[n * IN], x1 = xv[n * IN + 1], x2 = xv[n * IN + 2], x3 = xv[n * IN + 3];
            yv[n] = x0 > 0 ? Math.sin(2 * x1) + x2 : x2 * x3 - x1 / 2;
        }
        return new HostArray[]{x, HostArray.fromDoubles(x.type().withShape(N), yv)};
    }

    /** The MoE forward pass: [N, IN] -> [N]. */
    public static Tensor forward(Map<String, ?> p, Tensor x) {
        Tensor gates = Reductions.softmax(Linalg.matmul(x, (Tensor) p.get("router")), 1);            // [N, E]
        Tensor chosen = Indexing.topK(gates, TOP_K).get(1);                                           // [N, 2] i32
        Tensor mask = Reductions.sum(Nn.oneHot(chosen, EXPERTS, DType.F32), 1);                       // [N, E] 0/1
        Tensor kept = Ops.mul(gates, mask);
        Tensor weights = Ops.div(kept, Ops.broadcastTo(Reductions.keepDims(Reductions.sum(kept, 1), kept, 1), N, EXPERTS));
        Tensor b1 = Ops.broadcastTo(Ops.reshape((Tensor) p.get("b1"), EXPERTS, 1, HIDDEN), EXPERTS, N, HIDDEN);
        Tensor h = Nn.relu(Ops.add(Linalg.einsum("nd,edh->enh", x, (Tensor) p.get("w1")), b1));       // [E, N, H]
        Tensor out = Linalg.einsum("enh,eh->ne", h, (Tensor) p.get("w2"));                           // [N, E]
        return Reductions.sum(Ops.mul(weights, out), 1);                                              // [N]
    }

    /**
     * The same layer with sparse dispatch: the (token, slot) pairs sorted by expert, each expert's rows multiplied
     * by its weights with {@code raggedDot} (grouped matmul), the outputs scattered back to their tokens weighted by
     * the renormalised top-2 gates. Equal to {@link #forward} up to rounding.
     */
    public static Tensor forwardRagged(Map<String, ?> p, Tensor x) {
        Tensor gates = Reductions.softmax(Linalg.matmul(x, (Tensor) p.get("router")), 1);            // [N, E]
        Tensor chosen = Indexing.topK(gates, TOP_K).get(1);                                           // [N, 2] i32
        Tensor top = Indexing.takeAlongAxisInBounds(gates, chosen, 1);                                // [N, 2]
        Tensor topW = Ops.div(top, Ops.broadcastTo(Reductions.keepDims(Reductions.sum(top, 1), top, 1), N, TOP_K));
        Tensor experts = Ops.reshape(chosen, (long) N * TOP_K);                                       // expert of each pair
        Tensor order = Indexing.argsort(experts, 0);
        Tensor tokenOf = Ops.div(order, Ops.scalar(TOP_K, DType.I32));
        Tensor rows = Indexing.takeInBounds(x, tokenOf, 0);                                                   // [2N, IN] by expert
        Tensor groupSizes = Indexing.bincount(experts, EXPERTS);
        Tensor sortedExperts = Indexing.takeInBounds(experts, order, 0);
        Tensor h = Nn.relu(Ops.add(Linalg.raggedDot(rows, (Tensor) p.get("w1"), groupSizes, DType.F32),
                Indexing.takeInBounds((Tensor) p.get("b1"), sortedExperts, 0)));                              // [2N, H]
        Tensor w2 = Ops.reshape((Tensor) p.get("w2"), EXPERTS, HIDDEN, 1);
        Tensor out = Linalg.raggedDot(h, w2, groupSizes, DType.F32);                                  // [2N, 1]
        Tensor weight = Ops.reshape(Indexing.takeInBounds(Ops.reshape(topW, (long) N * TOP_K), order, 0), (long) N * TOP_K, 1);
        Tensor routed = Indexing.scatterAdd(Ops.zeros(Shape.of(N, 1), DType.F32), tokenOf, Ops.mul(out, weight), 0);
        return Ops.reshape(routed, N);
    }

    public static Tensor loss(Map<String, ?> p, Tensor x, Tensor y) {
        return Reductions.mean(Ops.square(Ops.sub(forward(p, x), y)));
    }

    @Override public double run(PrintStream out, int steps) {
        HostArray[] d = data(7);
        Map<String, HostArray> params = initParams(0);
        Jit lossJit = Jit.jit("moe_loss", loss());
        double l0 = lossJit.call1(params, d[0], d[1]).getDouble(0);
        out.printf("initial loss %.6f%n", l0);
        if (steps == 0) return l0;
        TrainStep.Runner r = new TrainStep.Runner("moe_train_step", loss(), optimizer(), params);
        Training.loop(out, r, steps, d[0], d[1]);
        @SuppressWarnings("unchecked")
        double l = lossJit.call1((Map<String, HostArray>) r.params(), d[0], d[1]).getDouble(0);
        out.printf("final loss %.6f (initial %.6f)%n", l, l0);
        return l;
    }

    public static void main(String[] args) { new MoeRegression().run(System.out); }
}
