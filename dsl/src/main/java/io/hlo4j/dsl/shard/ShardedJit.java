package io.hlo4j.dsl.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.Trace;
import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.jit.Traced;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.SdyOps;
import io.hlo4j.mlir.dialect.sdy.SdyVerifier;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A sharded {@code jit}: traces like {@link io.hlo4j.dsl.jit.Jit} and emits the program as XLA's Shardy
 * partitioner consumes it (the "annotated" form): one {@code sdy.mesh} per mesh used, {@code sdy.sharding} on
 * each argument and result that has a sharding, {@code sdy.sharding_constraint} where the function asked for
 * one, and the module attributes {@code mhlo.num_partitions} (the mesh's device count) and
 * {@code mhlo.num_replicas = 1}. In/out shardings are per flattened argument/result leaf; null leaves that
 * value unannotated (propagation decides its sharding). Out-shardings may be omitted as a whole (null, or the
 * three-argument {@code jit}): every result is then unannotated, whatever the number of result leaves, as JAX's
 * unspecified {@code out_shardings}. The module is verified, including every sharding annotation against its mesh.
 */
public final class ShardedJit {
    private final String name;
    private final TracedFunction fn;
    private final List<NamedSharding> inShardings;
    private final List<NamedSharding> outShardings;   // null: omitted, every result left to propagation
    private final Backend backend;   // null: Backend.configured(), looked up on the first compile (lowering alone loads no plugin)
    private final Map<Object, Compiled> cache = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Object, Partitioned> simulated = new java.util.concurrent.ConcurrentHashMap<>();

    private ShardedJit(String name, TracedFunction fn, List<NamedSharding> in, List<NamedSharding> out, Backend backend) {
        this.name = name;
        this.fn = fn;
        this.inShardings = java.util.Collections.unmodifiableList(new ArrayList<>(in));
        // a null list means omitted; a given list keeps its nulls (List.copyOf would refuse them)
        this.outShardings = out == null ? null : java.util.Collections.unmodifiableList(new ArrayList<>(out));
        this.backend = backend;
    }

    /**
     * {@code in}/{@code out}: one sharding (or null) per flattened argument / result leaf; {@code out} itself may be
     * null: no result annotated, propagation decides every result's sharding. {@link #call} runs on
     * {@link Backend#configured()}: the interpreter (the global program as written), or a PJRT plugin, where the global
     * arrays are split onto the mesh's devices by these shardings and the results assembled
     * ({@link io.hlo4j.runtime.backend.PjrtBackend.Compiled#callGlobal}).
     */
    public static ShardedJit jit(String name, TracedFunction fn, List<NamedSharding> in, List<NamedSharding> out) {
        return new ShardedJit(name, fn, in, out, null);
    }

    /**
     * The shardings of arguments (or results) given as pytrees shaped like them, flattened by {@link Pytree#flatten} as
     * {@code jit} flattens the values: trees in order, lists in order, maps by key, records by component, each
     * {@link NamedSharding} or null one leaf. {@code flat(Map.of("w", ws, "b", bs), xs)} for arguments {@code (params map, x)}
     * gives {@code [bs, ws, xs]}.
     */
    public static List<NamedSharding> flat(Object... shardingTrees) {
        Location loc = SourceLoc.here();
        List<Object> leaves = new ArrayList<>();
        for (Object t : shardingTrees) Pytree.flatten(t, leaves, o -> o == null || o instanceof NamedSharding);
        List<NamedSharding> out = new ArrayList<>();
        for (Object leaf : leaves) {
            if (leaf != null && !(leaf instanceof NamedSharding)) {
                throw new DslException("ShardedJit.flat", "a sharding tree holds a " + leaf.getClass().getSimpleName()
                        + " (" + leaf + "); its leaves must be NamedShardings or null", loc);
            }
            out.add((NamedSharding) leaf);
        }
        return java.util.Collections.unmodifiableList(out);
    }

    /** The same sharded jit on {@code b}. */
    public ShardedJit withBackend(Backend b) { return new ShardedJit(name, fn, inShardings, outShardings, java.util.Objects.requireNonNull(b)); }

    /** The backend {@link #compile} uses: the one given to {@link #withBackend}, else {@link Backend#configured()}. */
    public Backend backend() { return backend != null ? backend : Backend.configured(); }

    /** The program for these argument specs (pytrees of {@link Spec} / {@link HostArray}), compiled on this jit's backend (cached). */
    public Compiled compile(Object... args) { return compileOn(backend(), args); }

    /** Keyed by the backend too: without {@link #withBackend} it is {@link Backend#configured()}, which a scope may change. */
    private Compiled compileOn(Backend b, Object... args) {
        Location loc = SourceLoc.here();
        List<Object> leaves = new ArrayList<>();
        Pytree.Def def = Pytree.flatten(List.of(args), leaves);
        List<Spec> specs = leaves.stream().map(l -> specOf(l, loc)).toList();
        return cache.computeIfAbsent(List.of(def, specs, b), k -> lower(args).compile(b));
    }

    /**
     * Traces, compiles (or reuses) and runs on global host arrays; the result has the function's output structure. On the
     * interpreter a shard_map is refused by name: its body is per-device code, which only {@link #callSimulated} runs.
     */
    public Object call(Object... args) {
        Backend b = backend();
        Compiled c = compileOn(b, args);
        if (b == Backend.interpreter()) refuseManual(c.lowered().module(), SourceLoc.here());
        return c.callTree(args);
    }

    private void refuseManual(Module module, Location loc) {
        io.hlo4j.mlir.ir.Walker.walk(module.op(), op -> {
            if (op.name().equals(SdyOps.MANUAL_COMPUTATION)) {
                throw new DslException("ShardedJit.call", "@" + name + " holds a shard_map (sdy.manual_computation at " + op.location().describe()
                        + "), per-device code that the interpreter cannot run as one global program; run it with callSimulated "
                        + "(hlo4j's partitioner on the mesh's simulated devices) or on a PJRT plugin", loc);
            }
        });
    }

    public static ShardedJit jit(TracedFunction fn, List<NamedSharding> in, List<NamedSharding> out) { return jit("main", fn, in, out); }

    /** Out-shardings omitted: every result's sharding is what propagation decides, however many result leaves there are. */
    public static ShardedJit jit(String name, TracedFunction fn, List<NamedSharding> in) { return jit(name, fn, in, null); }

    /** {@code jax.jit(f, in_shardings=in)}: named {@code main}, out-shardings omitted. */
    public static ShardedJit jit(TracedFunction fn, List<NamedSharding> in) { return jit("main", fn, in, null); }

    /**
     * Runs the sharded program on the mesh's simulated devices, as XLA would run it on real ones: the annotated module
     * is partitioned by hlo4j's own pipeline ({@code Spmd.explicit}: propagation, then the SPMD partitioner) and the
     * per-device program runs on the interpreter once per device ({@code SpmdRunner}), the global host-array
     * arguments split by their shardings and the results assembled. {@link #call} instead runs the global program.
     */
    public SimulatedRun callSimulated(Object... args) {
        List<Object> leaves = new ArrayList<>();
        Pytree.Def def = Pytree.flatten(List.of(args), leaves);
        List<HostArray> hosts = new ArrayList<>();
        for (Object o : leaves) {
            if (!(o instanceof HostArray h)) {
                throw new DslException("ShardedJit.callSimulated", "argument leaf is a " + o.getClass().getSimpleName() + ", not a HostArray",
                        SourceLoc.here());
            }
            hosts.add(h);
        }
        // traced and partitioned once per argument structure, shapes and dtypes, as jit compiles once
        Partitioned pp = simulated.computeIfAbsent(List.of(def, hosts.stream().map(h -> Spec.of(h.type())).toList()), k -> {
            Lowered lowered = lower(args);
            io.hlo4j.dsl.jit.HostTrees.checkRebuildable(lowered.traced().outputDef(), "ShardedJit.callSimulated");
            return new Partitioned(lowered, io.hlo4j.compiler.spmd.Spmd.explicit(lowered.module()));
        });
        io.hlo4j.compiler.spmd.partition.PartitionedProgram p = pp.program();
        io.hlo4j.runtime.spmd.SpmdRun run = io.hlo4j.runtime.spmd.SpmdRunner.run(p.module(), p.meshes(), hosts, p.argShardings(),
                p.resultShardings(), p.resultTypes());
        return new SimulatedRun(Pytree.unflatten(pp.lowered().traced().outputDef(), run.results().iterator()), p, run);
    }

    /** What {@link #callSimulated} keeps per argument structure: the annotated module and its per-device program. */
    private record Partitioned(Lowered lowered, io.hlo4j.compiler.spmd.partition.PartitionedProgram program) {}

    /** Traces on argument specs (pytrees of {@link Spec} / {@link HostArray}) and builds the annotated module. */
    public Lowered lower(Object... args) {
        Location loc = SourceLoc.here();
        String op = "ShardedJit";
        List<Object> leaves = new ArrayList<>();
        Pytree.Def inDef = Pytree.flatten(List.of(args), leaves);
        List<Spec> specs = leaves.stream().map(l -> specOf(l, loc)).toList();
        List<String> inPaths = keyPaths(inDef);
        if (inShardings.size() != specs.size()) {   // each leaf by its path, so a key that a shardings map lacks can be found
            List<String> named = new ArrayList<>();
            for (int i = 0; i < specs.size(); i++) {
                String path = leafName("args", inPaths.get(i), i);
                named.add(path.isEmpty() ? specs.get(i).toString() : path.substring(0, path.length() - 2) + " " + specs.get(i));
            }
            throw new DslException(op, "@" + name + " has " + specs.size() + " argument leaves " + named + " but " + inShardings.size()
                    + " in_shardings were given", loc);
        }
        MeshScope scope = new MeshScope();
        for (int i = 0; i < specs.size(); i++) {
            NamedSharding s = inShardings.get(i);
            if (s == null) continue;
            s.check(specs.get(i).shape().dims(), "argument #" + i + " (" + leafName("args", inPaths.get(i), i) + specs.get(i) + ") of @" + name);
            scope.add(s.mesh(), op, loc);
        }
        if (outShardings != null) for (NamedSharding s : outShardings) if (s != null) scope.add(s.mesh(), op, loc);

        List<Type> types = specs.stream().<Type>map(Spec::tensorType).toList();
        FunctionBuilder fb = IrBuilder.function("main", types, loc).visibility("public");
        List<Tensor> argTensors = new ArrayList<>();
        for (Value v : fb.arguments()) argTensors.add(new Tensor(v));
        Object out = MeshScope.within(scope, () -> Trace.within(fb, () -> {
            Iterator<Tensor> it = argTensors.iterator();
            @SuppressWarnings("unchecked")
            List<Object> rebuilt = (List<Object>) Pytree.unflatten(inDef, it);
            return fn.apply(rebuilt.toArray());
        }));
        List<Object> outLeaves = new ArrayList<>();
        Pytree.Def outDef = Pytree.flatten(out, outLeaves);
        List<Value> results = new ArrayList<>();
        List<Spec> resultSpecs = new ArrayList<>();
        for (Object o : outLeaves) {
            if (!(o instanceof Tensor t)) throw new DslException(op, "@" + name + " returned a non-tensor leaf " + o, loc);
            if (!fb.isVisible(t.value())) throw new DslException(op, "@" + name + " returned a tensor from another trace", loc);
            results.add(t.value());
            resultSpecs.add(Spec.of((TensorType) t.value().type()));
        }
        if (outShardings != null && outShardings.size() != results.size()) {
            throw new DslException(op, "@" + name + " returns " + results.size() + " result leaves " + resultSpecs + " but "
                    + outShardings.size() + " out_shardings were given (pass null to leave every result to propagation)", loc);
        }
        List<NamedSharding> outs = outShardings != null ? outShardings : java.util.Collections.nCopies(results.size(), null);
        List<String> outPaths = keyPaths(outDef);
        for (int i = 0; i < results.size(); i++) {
            NamedSharding s = outs.get(i);
            if (s != null) {
                s.check(resultSpecs.get(i).shape().dims(), "result #" + i + " (" + leafName("result", outPaths.get(i), -1) + resultSpecs.get(i)
                        + ") of @" + name);
            }
        }
        if (scope.meshes().isEmpty()) throw new DslException(op, "@" + name + " names no mesh: give at least one in/out sharding", loc);

        // MLIR drops an all-empty attribute list; so do we
        if (inShardings.stream().anyMatch(java.util.Objects::nonNull)) fb.argAttrs(annotations(inShardings, specs));
        if (outs.stream().anyMatch(java.util.Objects::nonNull)) fb.resultAttrs(annotations(outs, resultSpecs));
        // dead code (an unused gradient, say) removed before partitioning, so no dead collective reaches the devices
        Operation func = io.hlo4j.mlir.transform.DeadCode.eliminate(fb.finish(results, loc));

        List<Operation> body = new ArrayList<>();
        for (Mesh m : scope.meshes()) {
            body.add(Operation.builder(SdyOps.MESH).property("sym_name", new StringAttr(m.name())).property("mesh", m.toSdy())
                    .location(loc).build());
        }
        body.add(func);
        int partitions = scope.meshes().get(0).size();
        DictionaryAttr attrs = DictionaryAttr.of(Map.<String, Attribute>of(
                "mhlo.num_partitions", IntegerAttr.i32(partitions), "mhlo.num_replicas", IntegerAttr.i32(1)));
        Module module = Module.of("jit_" + name, attrs, body, loc);
        ModuleVerifier.verify(module);
        SdyVerifier.verifyShardingAnnotations(module.op());
        return new Lowered(new Traced(func, specs, inDef, outDef, resultSpecs), module);
    }

    /**
     * The {@code sdy.mesh} declarations of the enclosing sharded trace (empty outside one): for modules built while
     * tracing, such as the one {@link io.hlo4j.dsl.grad.Grad} differentiates, whose shardings name these meshes.
     */
    public static List<Operation> meshDeclarations(Location loc) {
        MeshScope scope = MeshScope.current();
        List<Operation> out = new ArrayList<>();
        if (scope == null) return out;
        for (Mesh m : scope.meshes()) {
            out.add(Operation.builder(SdyOps.MESH).property("sym_name", new StringAttr(m.name())).property("mesh", m.toSdy()).location(loc).build());
        }
        return out;
    }

    /**
     * Where a leaf sits in the user's pytree, in JAX's keystr notation: {@code "args[0]['wd'], "} (arguments),
     * {@code "result[1]['h'], "}: a flattened index alone does not tell which parameter of a map was mis-sharded. Empty
     * for a bare argument whose flattened index {@code leaf} is its argument index ({@code args[3]} after a map of
     * parameters is leaf #25, so it is named), and for a bare result; {@code leaf} is -1 for results.
     */
    private static String leafName(String root, String path, int leaf) {
        boolean bare = leaf >= 0 ? path.equals("[" + leaf + "]") : path.isEmpty();
        return bare ? "" : root + path + ", ";
    }

    /** Each leaf's key path as JAX's {@code keystr} writes it: {@code [0]} for a list index, {@code ['k']} for a map key, {@code .f} for a record field. */
    static List<String> keyPaths(Pytree.Def def) {
        List<String> out = new ArrayList<>();
        keyPaths(def, "", out);
        return out;
    }

    private static void keyPaths(Pytree.Def def, String prefix, List<String> out) {
        switch (def) {
            case Pytree.Leaf l -> out.add(prefix);
            case Pytree.ListDef l -> { for (int i = 0; i < l.children().size(); i++) keyPaths(l.children().get(i), prefix + "[" + i + "]", out); }
            case Pytree.MapDef m -> {
                for (int i = 0; i < m.keys().size(); i++) {
                    keyPaths(m.children().get(i), prefix + "['" + m.keys().get(i).replace("\\", "\\\\").replace("'", "\\'") + "']", out);
                }
            }
            case Pytree.RecordDef r -> {
                java.lang.reflect.RecordComponent[] comps = r.type().getRecordComponents();
                for (int i = 0; i < comps.length; i++) keyPaths(r.children().get(i), prefix + "." + comps[i].getName(), out);
            }
        }
    }

    private static List<DictionaryAttr> annotations(List<NamedSharding> shardings, List<Spec> specs) {
        List<DictionaryAttr> out = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            NamedSharding s = shardings.get(i);
            out.add(s == null ? DictionaryAttr.EMPTY
                    : DictionaryAttr.of(Map.of("sdy.sharding", s.toSdy(specs.get(i).shape().dims().length))));
        }
        return out;
    }

    private static Spec specOf(Object leaf, Location loc) {
        return switch (leaf) {
            case Spec s -> s;
            case HostArray h -> Spec.of(h.type());
            default -> throw new DslException("ShardedJit", "argument leaf " + leaf + " is neither a Spec nor a HostArray", loc);
        };
    }

    @Override public String toString() { return "ShardedJit(@" + name + ", in=" + inShardings + ", out=" + outShardings + ")"; }
}
