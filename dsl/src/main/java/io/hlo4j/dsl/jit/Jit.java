package io.hlo4j.dsl.jit;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.Trace;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Backend;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * {@code jit}: traces a Java function over tensors (or pytrees of them) into a {@code func.func @main} and
 * compiles it for a backend, caching one compiled program per argument structure, shapes and dtypes.
 * Stages: {@link #trace} -> {@link Traced#lower()} -> {@link Lowered#compile()} -> {@link Compiled#call}.
 *
 * <p>Thread-safe: one instance may serve concurrent calls (a request handler's). The first call of a new argument
 * structure traces and compiles once while other callers of the same structure wait for it (a future per key); callers of
 * other structures never wait for it, and a failed trace or compile is not kept: each caller waiting for it gets the
 * failure, and the next call tries again. A call made while tracing this function (a jit of the same Jit inside it) works
 * for another structure and is refused, naming the function, for the structure being traced (it would wait for itself),
 * when made on the tracing thread only: a trace that hands a call of its own structure to another thread and waits for
 * it hangs (that thread waits for the trace, which waits for it).
 *
 * <p>The cache keeps the {@value #DEFAULT_CACHE_SIZE} programs used last (the system property {@value #CACHE_SIZE_PROPERTY},
 * or {@link #withCacheSize}): a program used less recently is dropped from it, never closed: a {@link Compiled} handed out
 * by {@link #compile} stays callable, and a call running on it finishes. A program still compiling is never the one
 * dropped (the cache exceeds its bound until it completes). A dropped program's PJRT executable is closed by a garbage
 * collection once nothing references the program (no {@link Compiled} of it held, no call on it running: see
 * {@link io.hlo4j.runtime.backend.PjrtBackend.Compiled}), or by its backend's close if that comes first; the
 * interpreter's is garbage. A service whose requests choose the
 * shapes should compile once ({@link #compile} with {@link Spec}s) and call {@link Compiled#callTree}, which refuses other
 * shapes instead of compiling them.
 */
public final class Jit {
    private final String name;
    private final TracedFunction fn;
    private final Backend backend;
    /** Programs a Jit keeps unless {@value #CACHE_SIZE_PROPERTY} or {@link #withCacheSize} says otherwise. */
    public static final int DEFAULT_CACHE_SIZE = 64;
    /** System property: how many programs each Jit keeps (a positive integer). */
    public static final String CACHE_SIZE_PROPERTY = "hlo4j.jit.cacheSize";

    private final int cacheLimit;
    /** Least recently used first; guarded by itself. Held only to look up, insert or drop: never during a trace or compile. */
    private final LinkedHashMap<Object, Pending> cache;

    /** A trace and compile of one key: its future, and the thread that runs it (a recursive call of the same key is refused). */
    private record Pending(CompletableFuture<Compiled> future, Thread owner) {}

    private Jit(String name, TracedFunction fn, Backend backend, int cacheLimit) {
        this.name = name;
        this.fn = fn;
        this.backend = backend;
        this.cacheLimit = cacheLimit;
        this.cache = new LinkedHashMap<>(16, 0.75f, true);
    }

    /**
     * Drops the programs used least recently while more than {@link #cacheLimit} are kept, skipping any whose trace and
     * compile is still running: dropping one would let the next caller of its key trace and compile it a second time
     * meanwhile. So the map may exceed the bound while compiles run; each one's completion trims it again. Under the lock.
     */
    private void trim() {
        for (Iterator<Pending> it = cache.values().iterator(); cache.size() > cacheLimit && it.hasNext(); )
            if (it.next().future().isDone()) it.remove();
    }

    private Jit(String name, TracedFunction fn, Backend backend) { this(name, fn, backend, configuredCacheSize()); }

    /** {@value #CACHE_SIZE_PROPERTY}, else {@value #DEFAULT_CACHE_SIZE}; a value that is not a positive integer is refused by name. */
    static int configuredCacheSize() {
        String v = System.getProperty(CACHE_SIZE_PROPERTY);
        if (v == null || v.isBlank()) return DEFAULT_CACHE_SIZE;
        try {
            int n = Integer.parseInt(v.trim());
            if (n > 0) return n;
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw new DslException("jit", "system property " + CACHE_SIZE_PROPERTY + "=" + v + " is not a positive integer (programs each Jit keeps)",
                SourceLoc.here());
    }

    /** On {@link Backend#configured()}: PJRT when {@code HLO4J_PJRT_PLUGIN} (or {@code hlo4j.pjrt.plugin}) names a plugin, else the interpreter. */
    public static Jit jit(String name, TracedFunction fn) { return new Jit(name, fn, Backend.configured()); }
    public static Jit jit(TracedFunction fn) { return jit("main", fn); }
    public static Jit jit1(Function<Tensor, Object> fn) { return jit(args -> fn.apply(tensors("jit1", args, 1)[0])); }
    public static Jit jit2(BiFunction<Tensor, Tensor, Object> fn) {
        return jit(args -> {
            Tensor[] t = tensors("jit2", args, 2);
            return fn.apply(t[0], t[1]);
        });
    }

    /**
     * The typed form: {@code Jit.of((Mlp<Tensor> p, Tensor x) -> ...)} with {@code record Mlp<T>(T w, T b)}, called with
     * {@code Mlp<HostArray>}s, traced with {@code Mlp<Spec>}s. A thin layer on {@link #jit(TracedFunction)}: the same trace
     * and cache.
     */
    public static <A, R> Jit1<A, R> of(Fn1<A, R> fn) { return of("main", fn); }
    public static <A, B, R> Jit2<A, B, R> of(Fn2<A, B, R> fn) { return of("main", fn); }
    public static <A, B, C, R> Jit3<A, B, C, R> of(Fn3<A, B, C, R> fn) { return of("main", fn); }
    /** As {@link #of(Fn1)}, the function named {@code @name} (module {@code @jit_name}). */
    public static <A, R> Jit1<A, R> of(String name, Fn1<A, R> fn) { return new Jit1<>(jit(name, fn.untyped())); }
    public static <A, B, R> Jit2<A, B, R> of(String name, Fn2<A, B, R> fn) { return new Jit2<>(jit(name, fn.untyped())); }
    public static <A, B, C, R> Jit3<A, B, C, R> of(String name, Fn3<A, B, C, R> fn) { return new Jit3<>(jit(name, fn.untyped())); }

    /** The {@code n} tensor arguments of a jit1/jit2 function, or an error naming what was passed instead. */
    private static Tensor[] tensors(String who, Object[] args, int n) {
        boolean ok = args.length == n;
        for (int i = 0; ok && i < n; i++) ok = args[i] instanceof Tensor;
        if (!ok) {
            List<String> got = new ArrayList<>();
            for (Object a : args) got.add(HostTrees.describe(a));
            throw new DslException(who, "takes " + n + (n == 1 ? " tensor" : " tensors") + ", got " + args.length
                    + (args.length == 1 ? " argument " : " arguments ") + got + " (Jit.jit takes any pytree)", SourceLoc.here());
        }
        Tensor[] t = new Tensor[n];
        for (int i = 0; i < n; i++) t[i] = (Tensor) args[i];
        return t;
    }

    public Jit withBackend(Backend b) { return new Jit(name, fn, b, cacheLimit); }

    /** This function with a cache of the {@code n} programs used last (a fresh, empty cache). */
    public Jit withCacheSize(int n) {
        if (n < 1) throw new DslException("jit", "cache size " + n + " for @" + name + ": keep at least one program", SourceLoc.here());
        return new Jit(name, fn, backend, n);
    }

    /** How many programs this Jit keeps at most. */
    public int cacheLimit() { return cacheLimit; }

    /** The traced function's name ({@code @name}). */
    String name() { return name; }

    /** Traces with arguments given as pytrees whose leaves are {@link Spec}s or {@link HostArray}s (their specs). */
    public Traced trace(Object... args) { return traceFunction(name, fn, args); }

    public Lowered lower(Object... args) { return trace(args).lower(); }

    /** The compiled program for these argument specs (cached). */
    public Compiled compile(Object... args) {
        Location loc = SourceLoc.here();
        requireNonNullArgs(name, args, loc);
        List<Object> leaves = new ArrayList<>();
        Pytree.Def def = flattenArgs(name, args, leaves, loc);
        List<Spec> specs = leaves.stream().map(Jit::specOf).toList();
        Object key = List.of(def, specs);
        Pending p;
        boolean mine = false;
        synchronized (cache) {
            p = cache.get(key);
            if (p == null) {
                p = new Pending(new CompletableFuture<>(), Thread.currentThread());
                cache.put(key, p);
                trim();
                mine = true;
            }
        }
        if (mine) {
            try {
                Compiled c = trace(args).lower().compile(backend);
                p.future().complete(c);
                synchronized (cache) {
                    trim();   // the bound, which this entry may have kept exceeded while it was pending
                }
                return c;
            } catch (RuntimeException | Error e) {
                synchronized (cache) {
                    cache.remove(key, p);   // not kept: the next call tries again
                }
                p.future().completeExceptionally(e);
                throw e;
            }
        }
        if (p.owner() == Thread.currentThread() && !p.future().isDone())
            throw new DslException("jit", "@" + name + " was called for " + specs + " while tracing itself for the same arguments;"
                    + " a function cannot call its own jit on the arguments it is being traced for (it would wait for itself)", loc);
        try {
            return p.future().join();
        } catch (CompletionException e) {   // the failure of the caller that traced: thrown to each waiter as it is
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error r) throw r;
            throw e;
        }
    }

    /** Number of programs compiled and kept (at most {@link #cacheLimit()}). */
    public int cacheSize() {
        synchronized (cache) {
            return (int) cache.values().stream().filter(p -> p.future().isDone() && !p.future().isCompletedExceptionally()).count();
        }
    }

    /** Traces, compiles (or reuses) and runs on host arrays; returns the result with the function's output structure. */
    public Object call(Object... args) { return compile(args).callTree(args); }

    /** As {@link #call} for a function returning a single tensor. */
    public HostArray call1(Object... args) {
        Object r = call(args);
        if (r instanceof HostArray h) return h;
        throw new IllegalStateException("function returned a " + r.getClass().getSimpleName() + ", not one tensor");
    }

    /** As {@link #call} for a function returning a map of named tensors (a gradient of a state dict, say). */
    public Map<String, HostArray> callMap(Object... args) { return HostTrees.map("Jit.callMap @" + name, call(args)); }

    /** As {@link #call} for a function returning a list of tensors. */
    public List<HostArray> callList(Object... args) { return HostTrees.list("Jit.callList @" + name, call(args)); }

    static Spec specOf(Object leaf) {
        return switch (leaf) {
            case Spec s -> s;
            case HostArray h -> Spec.of(h.type());
            default -> throw new DslException("jit", "argument leaf " + leaf + " (a " + leaf.getClass().getSimpleName()
                    + ") is neither a Spec nor a HostArray", SourceLoc.here());
        };
    }

    /** The arguments' leaves; a pytree that cannot be flattened (a null inside a list, say) is refused at the user's line. */
    private static Pytree.Def flattenArgs(String name, Object[] args, List<Object> leaves, Location loc) {
        try {
            return Pytree.flatten(List.of(args), leaves);
        } catch (IllegalArgumentException e) {   // Pytree refuses nulls and other non-leaves this way
            throw new DslException("jit", "the arguments of @" + name + " are not a pytree of Specs or HostArrays: " + e.getMessage(), loc, e);
        }
    }

    /** A null argument, or a null inside one, named by its path (List.of and Pytree.flatten would refuse it without one). */
    private static void requireNonNullArgs(String name, Object[] args, Location loc) {
        HostTrees.requireNoNulls("jit", "@" + name, args, "pass a Spec, a HostArray or a pytree of them", loc);
    }

    /** Traces {@code fn} on fresh arguments of the given specs into {@code func.func @name}. */
    public static Traced traceFunction(String name, TracedFunction fn, Object... args) {
        Location loc = SourceLoc.here();
        requireNonNullArgs(name, args, loc);
        List<Object> leaves = new ArrayList<>();
        Pytree.Def inDef = flattenArgs(name, args, leaves, loc);
        return traceFunction(name, fn, inDef, leaves.stream().map(Jit::specOf).toList());
    }

    /**
     * As {@link #traceFunction(String, TracedFunction, Object...)} for arguments given as their structure (a list of
     * one tree per argument) and leaf specs, so that grad and vmap need not rebuild trees of specs: a record whose
     * components are declared {@code Tensor} can then be differentiated.
     */
    public static Traced traceFunction(String name, TracedFunction fn, Pytree.Def inDef, List<Spec> specs) {
        Location loc = SourceLoc.here();
        List<Type> types = specs.stream().<Type>map(Spec::tensorType).toList();
        FunctionBuilder fb = IrBuilder.function(name, types, loc).visibility("public");
        List<Tensor> argTensors = new ArrayList<>();
        for (Value v : fb.arguments()) argTensors.add(new Tensor(v));
        Object[] outHolder = new Object[1];
        Trace.within(fb, () -> {
            Iterator<Tensor> it = argTensors.iterator();
            List<?> rebuilt;
            try {
                rebuilt = (List<?>) Pytree.unflatten(inDef, it);
            } catch (IllegalArgumentException e) {   // a record component that cannot hold a Tensor, named
                throw new DslException("jit", "cannot pass the arguments of @" + name + " as tensors: " + e.getMessage(), loc, e);
            }
            outHolder[0] = fn.apply(rebuilt.toArray());
            return null;
        });
        List<Object> outLeaves = new ArrayList<>();
        if (outHolder[0] == null) throw new DslException("jit", "function @" + name + " returned null (return a tensor or a pytree of tensors)", loc);
        Pytree.Def outDef;
        try {
            outDef = Pytree.flatten(outHolder[0], outLeaves);
        } catch (IllegalArgumentException e) {
            throw new DslException("jit", "function @" + name + " returned " + outHolder[0] + ", not a pytree of tensors: " + e.getMessage(), loc, e);
        }
        List<Value> results = new ArrayList<>();
        List<Spec> resultSpecs = new ArrayList<>();
        for (Object o : outLeaves) {
            if (!(o instanceof Tensor t)) throw new DslException("jit", "function @" + name + " returned a non-tensor leaf " + o, loc);
            if (!fb.isVisible(t.value())) throw new DslException("jit", "function @" + name + " returned a tensor from another trace", loc);
            results.add(t.value());
            resultSpecs.add(Spec.of((TensorType) t.value().type()));
        }
        Operation func = fb.finish(results, loc);
        return new Traced(func, specs, inDef, outDef, resultSpecs);
    }

    public static Spec spec(DType d, long... dims) { return Spec.of(d, dims); }
}
