package io.hlo4j.dsl.jit;

/**
 * Typed views of an untyped {@link TracedFunction} whose result the caller knows (a gradient has its argument's type,
 * a vmapped function its function's): used by {@code Grad.gradOf} and {@code Vmap.vmapOf}, not a second tracing path.
 */
public final class Fn {
    private Fn() {}

    public static <A, R> Fn1<A, R> typed1(TracedFunction f) { return a -> Typed.cast(f.apply(a)); }
    public static <A, B, R> Fn2<A, B, R> typed2(TracedFunction f) { return (a, b) -> Typed.cast(f.apply(a, b)); }
    public static <A, B, C, R> Fn3<A, B, C, R> typed3(TracedFunction f) { return (a, b, c) -> Typed.cast(f.apply(a, b, c)); }
}
