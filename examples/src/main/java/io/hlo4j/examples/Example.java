package io.hlo4j.examples;

import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.optim.Optimizer;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;

import java.io.PrintStream;
import java.util.List;

/**
 * A model that {@code hlo4j dump} traces and {@code hlo4j examples run} trains: a name, its parameters and batch
 * (seeded values, or {@code Spec}s for a model that is only dumped), its loss (the function {@code dump} writes) and,
 * to train, its optimiser and, on a mesh, its parameters' shardings. The bundled examples implement it, and so does a
 * user's class, found by {@code --class FQCN} or through {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/io.hlo4j.examples.Example} file) on {@code --classpath}: one door for both.
 * The implementing class needs a public no-argument constructor.
 */
public interface Example {
    /** What {@code examples list} shows and {@code dump NAME} / {@code examples run NAME} select. */
    String name();

    default String description() { return "(" + getClass().getName() + ")"; }

    /**
     * The parameters: a pytree (a {@code Map<String, HostArray>} state dict, a list, a record) of host arrays, or of {@code Spec}s.
     * Called more than once (by {@code dump}; {@link Training} asks once per run): every call must give the same (seeded) values.
     */
    Object params();

    /** The arguments after the parameters (host arrays, or {@code Spec}s): what the loss and the train step take; the same on every call. */
    List<Object> batch();

    /** {@code (params, batch...) -> loss}: a float scalar for a model that trains; any outputs for one that is only dumped. */
    TracedFunction loss();

    /**
     * The loss on {@code mesh}, for {@code dump --mesh} and {@code examples run --mesh}, traced inside a sharded jit on that
     * mesh: a model that needs the mesh itself (an expert-parallel layer, {@code ExpertParallelMoe}, or a {@code shardMap})
     * uses it here. The same function of {@code (params, batch...)} as {@link #loss()}, up to rounding. By default
     * {@link #loss()}, left to the partitioner.
     */
    default TracedFunction loss(Mesh mesh) { return loss(); }

    /** What trains the parameters ({@code dump --program train-step}, {@code examples run}); null: the model does not train. */
    default Optimizer optimizer() { return null; }

    /**
     * The model's own train step, when {@code TrainStep.of(loss(), optimizer())} is not what trains it (gradient clipping,
     * a learning-rate schedule, accumulation over micro-batches, a loss of several terms): a pure function
     * {@code (params, opt_state, batch...) -> List.of(loss, params', opt_state')}, traced as the default step is, by
     * {@code dump --program train-step}, {@code examples run} and {@code examples run --mesh} alike. {@code opt_state}
     * is {@code optimizer().init(params)} (so a model with its own step still names its optimiser, whose state shardings
     * are used on a mesh); {@code loss} is a float scalar, {@code params'} and {@code opt_state'} have the structure,
     * shapes and dtypes of {@code params} and {@code opt_state} (a step that returns anything else is refused, naming the
     * leaf). Null (the default): {@code TrainStep.of(loss(), optimizer())}.
     */
    default TracedFunction trainStep() { return null; }

    /**
     * The model's own train step on {@code mesh} ({@code examples run --mesh}, {@code dump --program train-step --mesh}),
     * as {@link #trainStep()} is on one device; by default {@link #trainStep()} (null: {@code TrainStep.of(loss(mesh),
     * optimizer())}).
     */
    default TracedFunction trainStep(Mesh mesh) { return trainStep(); }

    /** The parameters' shardings on {@code mesh}: a tree shaped like {@link #params()} with {@link NamedSharding} or null leaves; null: none annotated. */
    default Object paramShardings(Mesh mesh) { return null; }

    /** One sharding per leaf of {@link #batch()}, in order; by default each split on its first (batch) dimension over {@code (dp, fsdp)}. */
    default List<NamedSharding> batchShardings(Mesh mesh) { return ShardingCheck.defaultBatch(mesh, Pytree.leaves(batch()).size()); }

    /** Training steps when none are asked for. */
    default int defaultSteps() { return 10; }

    /**
     * Runs the example for {@code steps} training steps (0: the initial loss only), printing to {@code out}; returns its final
     * loss. By default {@link Training#run}: the initial loss, then one jitted train step per line.
     */
    default double run(PrintStream out, int steps) { return Training.run(this, out, steps); }

    default double run(PrintStream out) { return run(out, defaultSteps()); }

    /** {@code name()} as a function name: {@code mixtral-lm} -> {@code mixtral_lm}. */
    static String symbol(Example e) { return e.name().replaceAll("[^A-Za-z0-9_]", "_"); }
}
