package io.hlo4j.examples;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.nn.Init;
import io.hlo4j.dsl.nn.Mlp;
import io.hlo4j.dsl.nn.ParamScope;
import io.hlo4j.dsl.nn.Params;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.runtime.array.HostArray;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * A two-layer MLP regressing {@code y = sin(x0) + x1^2 / 2} on 64 points: the loss is traced with jit, printed as
 * StableHLO and run on the interpreter, then the model trains with AdamW ({@link TrainStep}), one jitted step per
 * iteration (loss, gradient and update in one program).
 */
public final class MlpRegression implements BundledModel {
    static final int N = 64, IN = 2, HIDDEN = 16;

    @Override public String name() { return "mlp-regression"; }

    @Override public String description() { return "two-layer MLP regression trained with AdamW on the interpreter"; }

    public static Mlp model() { return Mlp.of(DType.F32, IN, HIDDEN, 1); }

    /** Inputs (deterministic) and targets. */
    public static HostArray[] data() {
        HostArray x = Init.normal(1).create(0, "data.x", Shape.of(N, IN), DType.F32);
        double[] xv = x.toDoubleArray(), yv = new double[N];
        for (int i = 0; i < N; i++) yv[i] = Math.sin(xv[2 * i]) + xv[2 * i + 1] * xv[2 * i + 1] / 2;
        return new HostArray[]{x, HostArray.fromDoubles(x.type().withShape(N, 1), yv)};
    }

    /** Mean squared error of the model's prediction. */
    public static Tensor loss(Mlp mlp, Map<String, ?> params, Tensor x, Tensor y) {
        Tensor err = Ops.sub(mlp.apply(Params.of(params), x), y);
        return Reductions.mean(Ops.square(err));
    }

    @Override public int defaultSteps() { return 200; }

    /** The seed-0 parameters of {@link #model()}. */
    @Override public Object params() { return ParamScope.init(model(), 0); }

    /** {@code [x, y]}: {@link #data()}. */
    @Override public List<Object> batch() { return List.of((Object[]) data()); }

    @SuppressWarnings("unchecked")
    @Override public TracedFunction loss() {
        Mlp mlp = model();
        return a -> loss(mlp, (Map<String, ?>) a[0], (Tensor) a[1], (Tensor) a[2]);
    }

    @Override public AdamW optimizer() { return new AdamW(0.02, 0.9, 0.999, 1e-8, 0.0); }

    /** The loss at the initial parameters (forward pass only). */
    public static double initialLoss(PrintStream out) {
        Mlp mlp = model();
        Map<String, HostArray> params = ParamScope.init(mlp, 0);
        HostArray[] d = data();
        @SuppressWarnings("unchecked")
        Jit j = Jit.jit("loss", a -> loss(mlp, (Map<String, ?>) a[0], (Tensor) a[1], (Tensor) a[2]));
        Compiled c = j.compile(params, d[0], d[1]);
        out.println(c.lowered().asText());
        double l = ((HostArray) c.callTree(params, d[0], d[1])).getDouble(0);
        out.printf("initial loss %.6f%n", l);
        return l;
    }

    @Override public double run(PrintStream out, int steps) {
        double l0 = initialLoss(out);
        if (steps == 0) return l0;
        TrainStep.Runner r = new TrainStep.Runner("train_step", loss(), optimizer(), params());
        Training.loop(out, r, steps, batch().toArray());
        // the loss at the trained parameters, as MoeRegression and Training.run print it
        List<Object> args = new java.util.ArrayList<>(List.of(r.params()));
        args.addAll(batch());
        double l = ((HostArray) Jit.jit("loss", loss()).call1(args.toArray())).getDouble(0);
        out.printf("final loss %.6f (initial %.6f)%n", l, l0);
        return l;
    }

    public static void main(String[] args) { new MlpRegression().run(System.out); }
}
