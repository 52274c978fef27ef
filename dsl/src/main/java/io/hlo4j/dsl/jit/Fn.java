package io.hlo4j.dsl.jit;

/**
 * Typed views of an untyped {@link TracedFunction} whose result the caller knows (a gradient has its argument's type,
 * a vmapped function its function's): used by {@code Grad.gradOf} and {@code Vmap.vmapOf}, not a second tracing path.
 * Public only because those live in the packages {@code grad} and {@code vmap} (Java has no friend packages, and the
 * dsl module exports every package): the casts are unchecked, so the caller vouches for {@code R}; user code should
 * reach typed functions through {@code Fn1/Fn2/Fn3} lambdas, {@code gradOf} and {@code vmapOf}.
 */
public final class Fn {
    private Fn() {}

    public static <A, R> Fn1<A, R> typed1(TracedFunction f) { return a -> Typed.cast(f.apply(a)); }
    public static <A, B, R> Fn2<A, B, R> typed2(TracedFunction f) { return (a, b) -> Typed.cast(f.apply(a, b)); }
    public static <A, B, C, R> Fn3<A, B, C, R> typed3(TracedFunction f) { return (a, b, c) -> Typed.cast(f.apply(a, b, c)); }
}
