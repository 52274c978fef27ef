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
    public static Object[] lossArgs(Example e) { return lossArgs(e.params(), e.batch()); }

    /** As {@link #lossArgs(Example)} for the model's {@code params()} and {@code batch()}, already asked. */
    public static Object[] lossArgs(Object params, List<Object> batch) {
        List<Object> a = new ArrayList<>();
        a.add(params);
        a.addAll(batch);
        return a.toArray();
    }

    /** {@code (params, optimizer().init(params), batch...)}: the train step's first arguments. */
    public static Object[] trainStepArgs(Example e) { return trainStepArgs(e, e.params(), e.batch()); }

    /** As {@link #trainStepArgs(Example)} for the model's {@code params()} and {@code batch()}, already asked. */
    public static Object[] trainStepArgs(Example e, Object params, List<Object> batch) {
        List<Object> a = new ArrayList<>();
        a.add(params);
        a.add(optimizer(e).init(params));
        a.addAll(batch);
        return a.toArray();
    }

    /**
     * The train step as one traced function: the example's own {@link Example#trainStep()}, its results checked
     * ({@link StepShapeException}), or else {@code TrainStep.of(loss(), optimizer())}.
     */
    public static TracedFunction trainStep(Example e) { return trainStep(e, null); }

    /**
     * The train step on {@code mesh} (null: one device): the example's own {@link Example#trainStep(Mesh)}, its results
     * checked, or else {@code TrainStep.of(loss(mesh), optimizer())}.
     */
    public static TracedFunction trainStep(Example e, Mesh mesh) {
        Optimizer o = optimizer(e);
        TracedFunction own = mesh == null ? e.trainStep() : e.trainStep(mesh);
        if (own == null) return TrainStep.of(mesh == null ? e.loss() : e.loss(mesh), o);
        String who = e.getClass().getName() + (mesh == null || !overridesMeshStep(e) ? ".trainStep()" : ".trainStep(mesh)");
        return args -> {
            Object out = own.apply(args);
            checkStep(who, args[0], args[1], out);
            return out;
        };
    }

    /** Whether the model wrote {@link Example#trainStep(Mesh)} itself (else its default calls trainStep()): the method errors name. */
    private static boolean overridesMeshStep(Example e) {
        try {
            return e.getClass().getMethod("trainStep", Mesh.class).getDeclaringClass() != Example.class;
        } catch (NoSuchMethodException x) {
            return false;
        }
    }

    /**
     * A value the model returned (its train step's results, its shardings) that hlo4j refuses: the model's code did not
     * throw, so the CLI reports it as the value refused, not as an exception of the model.
     */
    public static class RefusedValueException extends IllegalArgumentException {
        public RefusedValueException(String message) { super(message); }
    }

    /** A model's own train step returned something other than {@code [loss, params', opt_state']} shaped like its arguments. */
    public static final class StepShapeException extends RefusedValueException {
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

    /**
     * The loss on {@code mesh} ({@link Example#loss(Mesh)}) with its arguments annotated; results left to propagation. The
     * shardings are checked against the parameters and the batch first ({@link ShardingCheck}).
     */
    public static ShardedJit shardedLoss(Example e, Mesh mesh) { return shardedLoss(e, mesh, e.params(), e.batch()); }

    /** As {@link #shardedLoss(Example, Mesh)} for the model's {@code params()} and {@code batch()}, already asked. */
    public static ShardedJit shardedLoss(Example e, Mesh mesh, Object params, List<Object> batch) {
        List<NamedSharding> in = new ArrayList<>(ShardingCheck.params(e, mesh, params));
        in.addAll(ShardingCheck.batch(e, mesh, batch));
        return ShardedJit.jit(Example.symbol(e), e.loss(mesh), in, null);
    }

    /** The train step sharded on {@code mesh}: parameters and their optimiser state alike in and out, the loss replicated. */
    public static ShardedJit shardedTrainStep(Example e, Mesh mesh) { return shardedTrainStep(e, mesh, e.params(), e.batch()); }

    /** As {@link #shardedTrainStep(Example, Mesh)} for the model's {@code params()} and {@code batch()}, already asked. */
    public static ShardedJit shardedTrainStep(Example e, Mesh mesh, Object params, List<Object> batch) {
        List<NamedSharding> ps = ShardingCheck.params(e, mesh, params), bs = ShardingCheck.batch(e, mesh, batch);
        Object tree = ShardingCheck.paramTree(e, mesh, params);
        Object state = optimizer(e).stateShardings(params, tree, NamedSharding.of(mesh));
        List<NamedSharding> in = new ArrayList<>(ps);
        in.addAll(ShardedJit.flat(state));
        in.addAll(bs);
        return ShardedJit.jit(trainStepName(e), trainStep(e, mesh), in, ShardedJit.flat(NamedSharding.of(mesh), tree, state));
    }

    /**
     * The default {@link Example#run}: the initial loss, then {@code steps} jitted train steps on the example's batch
     * ({@code step N loss L}, the loss before that step's update), then the final loss: the loss at the parameters the
     * last step returned (as {@code loss_fn(state.params, batch)} after an optax loop), which no step line printed.
     */
    public static double run(Example e, PrintStream out, int steps) {
        Jit loss = Jit.jit(Example.symbol(e), e.loss());
        // params() and batch() once: a model's seeded data can cost more than its steps (a teacher computed in Java),
        // and host arrays are immutable, so the loss, the steps and the final loss share them.
        Object params = e.params();
        List<Object> batch = e.batch();
        double l0 = ((HostArray) loss.call1(lossArgs(params, batch))).getDouble(0);
        out.printf("initial loss %.6f%n", l0);
        if (steps == 0) return l0;
        Object[] last = new Object[1];
        Jit step = Jit.jit(trainStepName(e), trainStep(e));
        steps(a -> (List<?>) step.call(a), trainStepArgs(e, params, batch), steps, StepLine.to(out), last);
        Object[] args = lossArgs(last[0], batch);
        double l = finite(((HostArray) loss.call1(args)).getDouble(0), steps);
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
        // params() and batch() once, as in run: the shardings' checks, the state's shardings and the steps share them
        Object params = e.params();
        List<Object> batch = e.batch();
        ShardedJit step = shardedTrainStep(e, mesh, params, batch);
        return steps(args -> (List<?>) step.callSimulated(args).results(), trainStepArgs(e, params, batch), steps, line, lastParams);
    }

    /**
     * {@code steps} jitted train steps ({@link #trainStep}: the example's own or the default) on the example's batch, on
     * one device, each step's line printed by {@code line}; returns each step's loss (before that step's update).
     */
    public static double[] loop(StepLine line, Example e, int steps) { return loop(line, e, steps, null); }

    /** As {@link #loop(StepLine, Example, int)}, leaving the last parameters in {@code lastParams[0]} when it is given. */
    public static double[] loop(StepLine line, Example e, int steps, Object[] lastParams) {
        Jit step = Jit.jit(trainStepName(e), trainStep(e));
        return steps(args -> (List<?>) step.call(args), trainStepArgs(e), steps, line, lastParams);
    }

    /**
     * {@code steps} calls of a train step (loss, params', opt_state') on {@code args} (params, opt_state, batch...),
     * each feeding the next; the last parameters left in {@code lastParams[0]} when it is given.
     */
    private static double[] steps(java.util.function.Function<Object[], List<?>> step, Object[] args, int steps, StepLine line,
                                  Object[] lastParams) {
        double[] losses = new double[steps];
        for (int i = 0; i < steps; i++) {
            List<?> r = step.apply(args);
            losses[i] = finite(((HostArray) r.get(0)).getDouble(0), i);
            line.print(i, losses[i]);
            args[0] = r.get(1);
            args[1] = r.get(2);
        }
        if (lastParams != null && lastParams.length > 0) lastParams[0] = args[0];
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
