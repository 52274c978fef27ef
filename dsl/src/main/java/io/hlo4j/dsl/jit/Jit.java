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
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * {@code jit}: traces a Java function over tensors (or pytrees of them) into a {@code func.func @main} and
 * compiles it for a backend, caching one compiled program per argument structure, shapes and dtypes.
 * Stages: {@link #trace} -> {@link Traced#lower()} -> {@link Lowered#compile()} -> {@link Compiled#call}.
 *
 * <p>Thread-safe: one instance may serve concurrent calls (a request handler's). The first call of a new argument
 * structure traces and compiles once while other callers of it wait; later calls share the compiled program. The cache
 * is a ConcurrentHashMap filled by computeIfAbsent, which locks a bin of the map while it traces and compiles: a first
 * call of another new shape whose key lands in that bin waits too (calls of programs already cached never do). Every
 * new shape or dtype compiles another program, kept as long as this instance: a service whose requests choose the shapes
 * should compile once ({@link #compile} with {@link Spec}s) and call {@link Compiled#callTree}, which refuses other
 * shapes instead of compiling them.
 */
public final class Jit {
    private final String name;
    private final TracedFunction fn;
    private final Backend backend;
    private final Map<Object, Compiled> cache = new ConcurrentHashMap<>();

    private Jit(String name, TracedFunction fn, Backend backend) {
        this.name = name;
        this.fn = fn;
        this.backend = backend;
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

    public Jit withBackend(Backend b) { return new Jit(name, fn, b); }

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
        // computeIfAbsent: one trace and compile per key; it holds the key's bin lock meanwhile (see the class comment)
        return cache.computeIfAbsent(List.of(def, specs), k -> trace(args).lower().compile(backend));
    }

    /** Number of distinct programs compiled so far. */
    public int cacheSize() { return cache.size(); }

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
