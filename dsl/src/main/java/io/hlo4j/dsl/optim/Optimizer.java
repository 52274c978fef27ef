package io.hlo4j.dsl.optim;

import io.hlo4j.dsl.shard.NamedSharding;

/**
 * A gradient-based update as a traced function. {@link #init} builds the optimiser state on the host from the
 * parameter tree (host arrays); {@link #update} runs inside a trace on trees of tensors: parameters, their
 * gradients (same structure) and the state, and returns the new parameters and state. State is a pytree, so a
 * jitted train step takes it in and hands it back like the parameters.
 */
public interface Optimizer {
    Object init(Object params);

    Step update(Object params, Object grads, Object state);

    /**
     * The shardings of {@link #init}{@code (params)}'s state, shaped like it, for a sharded train step's in- and
     * out-shardings ({@code ShardedJit.flat(paramShardings, opt.stateShardings(params, paramShardings, replicated), ...)}):
     * every per-parameter leaf (moment, velocity, f32 master) sharded as its parameter, the rest (a step count)
     * {@code scalar}. {@code params}: host arrays or {@code Spec}s; {@code paramShardings}: a tree shaped like them whose
     * leaves are {@link NamedSharding}s or null (unannotated), as {@code ShardedJit.flat} reads it, with the same leaf
     * paths: a count or a path that differs (a mistyped key) is refused, naming the first path that differs.
     */
    Object stateShardings(Object params, Object paramShardings, NamedSharding scalar);

    /** New parameters and optimiser state (trees of tensors inside a trace, of host arrays after a call). */
    record Step(Object params, Object state) {}
}
