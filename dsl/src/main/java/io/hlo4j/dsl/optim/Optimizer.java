package io.hlo4j.dsl.optim;

/**
 * A gradient-based update as a traced function. {@link #init} builds the optimiser state on the host from the
 * parameter tree (host arrays); {@link #update} runs inside a trace on trees of tensors: parameters, their
 * gradients (same structure) and the state, and returns the new parameters and state. State is a pytree, so a
 * jitted train step takes it in and hands it back like the parameters.
 */
public interface Optimizer {
    Object init(Object params);

    Step update(Object params, Object grads, Object state);

    /** New parameters and optimiser state (trees of tensors inside a trace, of host arrays after a call). */
    record Step(Object params, Object state) {}
}
