package io.hlo4j.dsl.jit;

/** A traced function of two pytree arguments, typed: {@code (Mlp<Tensor> p, Tensor x) -> ...}. See {@link Fn1}. */
@FunctionalInterface
public interface Fn2<A, B, R> {
    R apply(A a, B b);

    /** The same function over {@code Object[]} arguments. */
    @SuppressWarnings("unchecked")
    default TracedFunction untyped() {
        return args -> {
            Typed.arity(args, 2);
            return Typed.guard(args, () -> apply((A) args[0], (B) args[1]));
        };
    }
}
