package io.hlo4j.dsl.jit;

/**
 * A traced function of one pytree argument, typed: {@code (Mlp<Tensor> p) -> ...} with {@code record Mlp<T>(T w, T b)}.
 * The typed layer over {@link TracedFunction}: {@link Jit#of(Fn1)}, {@code Grad.gradOf}, {@code Vmap.vmapOf}.
 */
@FunctionalInterface
public interface Fn1<A, R> {
    R apply(A a);

    /** The same function over {@code Object[]} arguments, as {@link Jit#jit(TracedFunction)} takes it. */
    @SuppressWarnings("unchecked")
    default TracedFunction untyped() {
        return args -> {
            Typed.arity(args, 1);
            return Typed.guard(args, () -> apply((A) args[0]));
        };
    }
}
