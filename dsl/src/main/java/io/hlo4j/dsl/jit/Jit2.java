package io.hlo4j.dsl.jit;

import io.hlo4j.runtime.backend.Backend;

/**
 * {@link Jit#of(Fn2)}: a jitted {@link Fn2} ({@code (Mlp<Tensor> p, Tensor x) -> ...}), a thin typed layer on {@link Jit} (the same
 * trace, cache and backends). Arguments are pytrees: of {@code Spec}s or {@code HostArray}s to trace, lower and
 * compile ({@code Mlp<Spec>}), of {@code HostArray}s to call ({@code Mlp<HostArray>}). {@link #call} returns the
 * function's result tree with {@code HostArray} leaves as the class the caller names ({@code Mlp<HostArray> g =
 * f.call(..., Mlp.class)}): Java's generics cannot tie {@code Mlp<HostArray>} to the {@code Mlp<Tensor>} the function
 * declares, so the arguments' link is checked when they are flattened, the result's class when it is rebuilt.
 * Thread-safe, as {@link Jit} is: one instance may serve concurrent calls.
 */
public final class Jit2<A, B, R> {
    private final Jit untyped;

    Jit2(Jit untyped) { this.untyped = untyped; }

    /** The underlying {@code Object[]} form (its stages, {@code callMap}, {@code callList}). */
    public Jit untyped() { return untyped; }

    public Jit2<A, B, R> withBackend(Backend backend) { return new Jit2<>(untyped.withBackend(backend)); }

    public Traced trace(Object a, Object b) { return untyped.trace(a, b); }

    public Lowered lower(Object a, Object b) { return untyped.lower(a, b); }

    /** The compiled program for these argument specs (cached); {@link Compiled#callTree} checks arguments against them by path. */
    public Compiled compile(Object a, Object b) { return untyped.compile(a, b); }

    /**
     * Traces and compiles on first use of these shapes and dtypes (then reuses), runs, and returns the result tree of
     * HostArrays as a {@code resultType}: {@code HostArray h = f.call(..., HostArray.class)} for a function returning one
     * tensor, {@code Step<HostArray> s = f.call(..., Step.class)} for a record. The compiler refuses a target that
     * {@code resultType} cannot be ({@code String s = f.call(..., HostArray.class)}), and a result of another class (a
     * {@code Step} where {@code HostArray.class} is given) is a {@link io.hlo4j.dsl.DslException} naming both. Pass the
     * result's own class: a supertype such as {@code Object.class} checks nothing ({@code String s = f.call(x, Object.class)}
     * compiles and throws ClassCastException at the assignment). What Java cannot check either is a generic record's leaf
     * type: the leaves are always HostArrays, so write {@code Step<HostArray>} where the function returns a
     * {@code Step<Tensor>}. A null {@code resultType} is a NullPointerException before anything is traced or run.
     */
    public <H> H call(Object a, Object b, Class<? super H> resultType) {
        java.util.Objects.requireNonNull(resultType, "resultType");
        return Typed.as(untyped, untyped.call(a, b), resultType);
    }

    /**
     * As {@link #call(Object, Object, Class)}, the result typed by the assignment alone, unchecked: {@code H} is whatever the
     * caller assigns to, so {@code String s = f.call(...)} compiles and throws ClassCastException at the assignment.
     *
     * @deprecated name the result's class: {@link #call(Object, Object, Class)}
     */
    @Deprecated(since = "0.1.0")
    public <H> H call(Object a, Object b) { return Typed.cast(untyped.call(a, b)); }

    /** Number of distinct programs compiled so far. */
    public int cacheSize() { return untyped.cacheSize(); }
}
