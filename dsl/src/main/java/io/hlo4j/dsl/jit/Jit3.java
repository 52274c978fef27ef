package io.hlo4j.dsl.jit;

import io.hlo4j.runtime.backend.Backend;

/**
 * {@link Jit#of(Fn3)}: a jitted {@link Fn3} ({@code (Mlp<Tensor> p, Tensor x, Tensor y) -> ...}), a thin typed layer on {@link Jit} (the same
 * trace, cache and backends). Arguments are pytrees: of {@code Spec}s or {@code HostArray}s to trace, lower and
 * compile ({@code Mlp<Spec>}), of {@code HostArray}s to call ({@code Mlp<HostArray>}). {@link #call} returns the
 * function's result tree with {@code HostArray} leaves, typed by the assignment ({@code Mlp<HostArray> g =
 * f.call(...)}): Java's generics cannot tie {@code Mlp<HostArray>} to the {@code Mlp<Tensor>} the function declares,
 * so that link is checked when the arguments are flattened and the result rebuilt, not by the compiler.
 */
public final class Jit3<A, B, C, R> {
    private final Jit untyped;

    Jit3(Jit untyped) { this.untyped = untyped; }

    /** The underlying {@code Object[]} form (its stages, {@code callMap}, {@code callList}). */
    public Jit untyped() { return untyped; }

    public Jit3<A, B, C, R> withBackend(Backend backend) { return new Jit3<>(untyped.withBackend(backend)); }

    public Traced trace(Object a, Object b, Object c) { return untyped.trace(a, b, c); }

    public Lowered lower(Object a, Object b, Object c) { return untyped.lower(a, b, c); }

    /** The compiled program for these argument specs (cached); {@link Compiled#callTree} checks arguments against them by path. */
    public Compiled compile(Object a, Object b, Object c) { return untyped.compile(a, b, c); }

    /**
     * Traces and compiles on first use of these shapes and dtypes (then reuses), runs, and returns the result tree of
     * HostArrays. {@code H} is whatever the caller assigns to and is not checked against {@code R}: a wrong class throws
     * ClassCastException at the assignment, a wrong leaf type ({@code Step<Tensor>} for {@code Step<HostArray>}) at the
     * first component read.
     */
    public <H> H call(Object a, Object b, Object c) { return Typed.cast(untyped.call(a, b, c)); }

    /** Number of distinct programs compiled so far. */
    public int cacheSize() { return untyped.cacheSize(); }
}
