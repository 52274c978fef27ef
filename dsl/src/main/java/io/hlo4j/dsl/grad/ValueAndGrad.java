package io.hlo4j.dsl.grad;

/**
 * What {@link Grad#valueAndGradOf} returns: the value and the gradient of the first argument, which has that argument's
 * type ({@code ValueAndGrad<Tensor, Mlp<Tensor>>} while tracing). Generic in both, so that a jitted call gives it back
 * holding host arrays ({@code ValueAndGrad<HostArray, Mlp<HostArray>>}). A pytree: value, then grad.
 */
public record ValueAndGrad<V, G>(V value, G grad) {}
