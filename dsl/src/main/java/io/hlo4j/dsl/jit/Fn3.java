package io.hlo4j.dsl.jit;

/** A traced function of three pytree arguments, typed: {@code (Mlp<Tensor> p, Tensor x, Tensor y) -> loss}. See {@link Fn1}. */
@FunctionalInterface
public interface Fn3<A, B, C, R> {
    R apply(A a, B b, C c);

    /** The same function over {@code Object[]} arguments. */
    @SuppressWarnings("unchecked")
    default TracedFunction untyped() {
        return args -> {
            Typed.arity(args, 3);
            return Typed.guard(args, () -> apply((A) args[0], (B) args[1], (C) args[2]));
        };
    }
}
