package io.hlo4j.dsl.jit;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.SourceLoc;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Helpers of the typed layer ({@link Fn1}, {@link Fn2}, {@link Fn3}) over {@link TracedFunction}: the argument count,
 * and the one mistake Java's erased generics leave to run time, a lambda declared {@code (Mlp<Tensor> p)} given a map.
 */
final class Typed {
    private Typed() {}

    static void arity(Object[] args, int n) {
        if (args.length != n) {
            throw new DslException("typed function", "takes " + n + (n == 1 ? " argument" : " arguments") + ", got " + args.length + " "
                    + describe(args), SourceLoc.here());
        }
    }

    /**
     * Runs {@code body}; a ClassCastException thrown by the lambda's own entry point (its declared parameter types do
     * not fit the arguments' trees) becomes an error naming each argument's structure. Casts inside the body are the
     * user's and pass through.
     */
    static <R> R guard(Object[] args, Supplier<R> body) {
        try {
            return body.get();
        } catch (ClassCastException e) {
            // the lambda's entry point is a hidden class whose frames are not shown: the cast failed there when the first
            // visible frame is the untyped adapter of Fn1/Fn2/Fn3 (whose own casts to the erased A, B, C cannot fail)
            StackTraceElement[] st = e.getStackTrace();
            boolean entry = st.length > 0 && (st[0].getClassName().contains("$$Lambda")
                    || st[0].getClassName().matches("io\\.hlo4j\\.dsl\\.jit\\.Fn[123]") && st[0].getMethodName().startsWith("lambda$untyped"));
            if (!entry) throw e;
            throw new DslException("typed function", "its declared parameter types do not fit the arguments " + describe(args) + ": "
                    + e.getMessage(), SourceLoc.here(), e);
        }
    }

    /** Each argument's top-level structure: {@code [a record Mlp, a leaf]}. */
    static String describe(Object[] args) {
        List<String> out = new ArrayList<>();
        for (Object a : args) {
            try {
                out.add(a == null ? "null" : Pytree.describe(Pytree.flatten(a, new ArrayList<>())));
            } catch (IllegalArgumentException e) {
                out.add(a.getClass().getSimpleName());
            }
        }
        return out.toString();
    }

    /**
     * The result of {@code jit}'s call as the class its caller names; a result of another class is refused naming the
     * function, what it returned and the class asked for (the caller's target is {@code resultType} or a supertype, which
     * the compiler checks).
     */
    static <H> H as(Jit jit, Object result, Class<? super H> resultType) {
        if (!resultType.isInstance(result)) {
            throw new DslException("call", "@" + jit.name() + " returned " + HostTrees.describe(result) + ", not a "
                    + resultType.getSimpleName() + " (the class passed to call)", SourceLoc.here());
        }
        return cast(result);
    }

    /** The result of an untyped call, typed by the caller's target (erased generics: the tree was built from the traced result). */
    @SuppressWarnings("unchecked")
    static <H> H cast(Object o) { return (H) o; }
}
