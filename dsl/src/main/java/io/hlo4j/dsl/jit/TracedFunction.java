package io.hlo4j.dsl.jit;

/** A Java function over pytrees of tensors: each argument is a tensor or a container of tensors. */
@FunctionalInterface
public interface TracedFunction {
    Object apply(Object... args);
}
