package io.hlo4j.dsl.moe;

/**
 * The few array operations the default weight rules need, so the rules are written once and run on DSL
 * tensors and on host arrays alike. Arrays are selection weights of shape [N, slots].
 */
public interface WeightAlgebra<T> {
    /** Sum over the last axis, keeping it: [N, slots] -> [N, 1]. */
    T sumLastKeepDims(T w);

    /** Elementwise max with a scalar. */
    T maximum(T a, double floor);

    /** a / b with broadcasting of a [N, 1] divisor. */
    T divide(T a, T b);

    /** An array shaped like {@code like} filled with {@code value}. */
    T fullLike(T like, double value);
}
