package io.hlo4j.examples;

import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.optim.Optimizer;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * How an {@link Example} is traced and trained, shared by {@code hlo4j dump} (which writes these programs) and
 * {@code hlo4j examples run} (which runs them), so that what is dumped is what trains: the loss, the train step
 * {@code (params, opt_state, batch...) -> [loss, params', opt_state']} ({@link TrainStep#of}, or the model's own
 * {@link Example#trainStep()}), and both sharded on a mesh (parameters as {@link Example#paramShardings}, the
 * optimiser state like its parameter by {@link Optimizer#stateShardings}, a step count replicated, the batch as
 * {@link Example#batchShardings}).
 */
public final class Training {
    private Training() {}

    /** The optimiser, or why the example has no train step. */
    public static Optimizer optimizer(Example e) {
        Optimizer o = e.optimizer();
        if (o == null) throw new IllegalArgumentException(e.name() + " has no optimizer() (its loss() is not trained), so it has no train step");
        return o;
    }

    /** {@code (params, batch...)}: the loss's arguments. */
    public static Object[] lossArgs(Example e) {
        List<Object> a = new ArrayList<>();
        a.add(e.params());
        a.addAll(e.batch());
        return a.toArray();
    }

    /** {@code (params, optimizer().init(params), batch...)}: the train step's first arguments. */
    public static Object[] trainStepArgs(Example e) {
        List<Object> a = new ArrayList<>();
        Object p = e.params();
        a.add(p);
        a.add(optimizer(e).init(p));
        a.addAll(e.batch());
        return a.toArray();
    }

    /**
     * The train step as one traced function: the example's own {@link Example#trainStep()}, its results checked
     * ({@link StepShapeException}), or else {@code TrainStep.of(loss(), optimizer())}.
     */
    public static TracedFunction trainStep(Example e) {
        Optimizer o = optimizer(e);
        TracedFunction own = e.trainStep();
        if (own == null) return TrainStep.of(e.loss(), o);
        String who = e.getClass().getName() + ".trainStep()";
        return args -> {
            Object out = own.apply(args);
            checkStep(who, args[0], args[1], out);
            return out;
        };
    }

    /** A model's own train step returned something other than {@code [loss, params', opt_state']} shaped like its arguments. */
    public static final class StepShapeException extends IllegalArgumentException {
        StepShapeException(String message) { super(message); }
    }

    /** {@code out} must be {@code [float scalar, a tree like params, a tree like state]}, leaf by leaf (shape and dtype). */
    static void checkStep(String who, Object params, Object state, Object out) {
        String want = who + " must return List.of(loss, params', opt_state') shaped like (params, opt_state): ";
        if (!(out instanceof List<?> l) || l.size() != 3) {
            throw new StepShapeException(want + "got " + (out instanceof List<?> l ? "a list of " + l.size() : out == null ? "null" : "a " + out.getClass().getSimpleName()));
        }
        if (!(l.get(0) instanceof Tensor loss) || loss.rank() != 0 || !loss.dtype().isFloat()) {
            throw new StepShapeException(want + "the loss (result 0) is " + (l.get(0) instanceof Tensor t ? t.describe() : String.valueOf(l.get(0)))
                    + ", expected a float scalar");
        }
        sameTree(want, "params'", params, l.get(1));
        sameTree(want, "opt_state'", state, l.get(2));
    }

    private static void sameTree(String want, String name, Object in, Object out) {
        List<Object> a = new ArrayList<>(), b = new ArrayList<>();
        Pytree.Def da = Pytree.flatten(in, a), db;
        try {
            db = Pytree.flatten(out, b);
        } catch (IllegalArgumentException x) {
            throw new StepShapeException(want + name + " is not a pytree of tensors: " + x.getMessage());
        }
        String diff = Pytree.firstDifference(da, db, name);
        if (diff != null) throw new StepShapeException(want + diff);
        List<String> paths = Pytree.paths(da);
        for (int i = 0; i < a.size(); i++) {
            Tensor t = (Tensor) a.get(i);
            String at = paths.get(i).isEmpty() ? name : name + "." + paths.get(i);
            if (!(b.get(i) instanceof Tensor u)) throw new StepShapeException(want + at + " is " + b.get(i) + ", expected a tensor " + t.describe());
            if (!u.type().equals(t.type())) throw new StepShapeException(want + at + " is " + u.describe() + ", expected " + t.describe());
        }
    }

    public static String trainStepName(Example e) { return Example.symbol(e) + "_train_step"; }

    /** The loss with its arguments annotated for {@code mesh}; results left to propagation. */
    public static ShardedJit shardedLoss(Example e, Mesh mesh) {
        List<NamedSharding> in = new ArrayList<>(ShardedJit.flat(Example.paramShardingTree(e, mesh)));
        in.addAll(e.batchShardings(mesh));
        return ShardedJit.jit(Example.symbol(e), e.loss(), in, null);
    }

    /** The train step sharded on {@code mesh}: parameters and their optimiser state alike in and out, the loss replicated. */
    public static ShardedJit shardedTrainStep(Example e, Mesh mesh) {
        Object ps = Example.paramShardingTree(e, mesh);
        Object state = optimizer(e).stateShardings(e.params(), ps, NamedSharding.of(mesh));
        List<NamedSharding> in = new ArrayList<>(ShardedJit.flat(ps, state));
        in.addAll(e.batchShardings(mesh));
        return ShardedJit.jit(trainStepName(e), trainStep(e), in, ShardedJit.flat(NamedSharding.of(mesh), ps, state));
    }

    /**
     * The default {@link Example#run}: the initial loss, then {@code steps} jitted train steps on the example's batch
     * ({@code step N loss L}, the loss before that step's update), then the final loss.
     */
    public static double run(Example e, PrintStream out, int steps) {
        double l0 = ((HostArray) Jit.jit(Example.symbol(e), e.loss()).call1(lossArgs(e))).getDouble(0);
        out.printf("initial loss %.6f%n", l0);
        if (steps == 0) return l0;
        double[] losses = loop(StepLine.to(out), e, steps);
        double l = losses[steps - 1];
        out.printf("final loss %.6f (initial %.6f)%n", l, l0);
        return l;
    }

    /** What a training loop prints after each step. */
    @FunctionalInterface
    public interface StepLine {
        void print(int step, double loss);

        /** {@code step N loss L}, the line every loop prints by default. */
        static StepLine to(PrintStream out) { return (i, loss) -> out.printf("step %d loss %.6f%n", i, loss); }
    }

    /**
     * {@code steps} train steps sharded on {@code mesh}'s simulated devices ({@link #shardedTrainStep}, run with
     * {@link ShardedJit#callSimulated}: hlo4j's partitioner, one interpreter per device), printing {@code step N loss L};
     * returns the losses and leaves the last parameters in {@code lastParams[0]} when it is given.
     */
    public static double[] runSharded(Example e, Mesh mesh, int steps, PrintStream out, Object[] lastParams) {
        return runSharded(e, mesh, steps, StepLine.to(out), lastParams);
    }

    /** As {@link #runSharded(Example, Mesh, int, PrintStream, Object[])}, each step's line printed by {@code line}. */
    public static double[] runSharded(Example e, Mesh mesh, int steps, StepLine line, Object[] lastParams) {
        ShardedJit step = shardedTrainStep(e, mesh);
        Object[] args = trainStepArgs(e);
        double[] losses = new double[steps];
        for (int i = 0; i < steps; i++) {
            List<?> r = (List<?>) step.callSimulated(args).results();
            losses[i] = finite(((HostArray) r.get(0)).getDouble(0), i);
            line.print(i, losses[i]);
            args[0] = r.get(1);
            args[1] = r.get(2);
        }
        if (lastParams != null && lastParams.length > 0) lastParams[0] = args[0];
        return losses;
    }

    /**
     * {@code steps} jitted train steps ({@link #trainStep}: the example's own or the default) on the example's batch, on
     * one device, each step's line printed by {@code line}; returns each step's loss (before that step's update).
     */
    public static double[] loop(StepLine line, Example e, int steps) {
        Jit step = Jit.jit(trainStepName(e), trainStep(e));
        Object[] args = trainStepArgs(e);
        double[] losses = new double[steps];
        for (int i = 0; i < steps; i++) {
            List<?> r = (List<?>) step.call(args);
            losses[i] = finite(((HostArray) r.get(0)).getDouble(0), i);
            line.print(i, losses[i]);
            args[0] = r.get(1);
            args[1] = r.get(2);
        }
        return losses;
    }

    /** Runs {@code steps} steps on a fixed batch; prints {@code step N loss L}; returns the last step's loss (computed before that step's update). */
    static double loop(PrintStream out, TrainStep.Runner runner, int steps, Object... batch) {
        double[] losses = loop(StepLine.to(out), runner, steps, batch);
        return steps == 0 ? Double.NaN : losses[steps - 1];
    }

    /** Runs {@code steps} steps on a fixed batch, each step's line printed by {@code line}; returns each step's loss. */
    static double[] loop(StepLine line, TrainStep.Runner runner, int steps, Object... batch) {
        double[] losses = new double[steps];
        for (int i = 0; i < steps; i++) {
            losses[i] = finite(runner.step(batch), i);
            line.print(i, losses[i]);
        }
        return losses;
    }

    /** A loss that is not a number stops training at once, by step, rather than printing NaN for every step after. */
    private static double finite(double loss, int step) {
        if (!Double.isFinite(loss)) throw new IllegalStateException("loss diverged at step " + step + ": " + loss);
        return loss;
    }
}
