package io.hlo4j.compiler.batch;

import io.hlo4j.compiler.ad.Calls;
import io.hlo4j.compiler.ad.Checkpoint;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FunctionType;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code func.call} batched as a call, as JAX batches a call's jaxpr: the callee is batched once per pattern of
 * batched operands into a new function of the module, and the call names that copy, keeping its attributes. So a
 * checkpointed call stays checkpointed (the autodiff still recomputes the batched body) and a custom VJP keeps its
 * rule: its backward function is batched too, with every argument, result and cotangent of one example at the place
 * the batched call has it, and the cotangent of an unbatched argument summed over the batch (the argument served
 * every example). A custom-VJP call's results are all batched, even one no batched operand reaches, so its backward
 * function sees each example's own cotangents, as in a per-example loop; other calls leave such a result unbatched.
 * An out axis of none for such a result is still honoured ({@link #unbatchedResults}): every example holds the same
 * value, and the first example's is returned.
 *
 * <p>One instance serves one vmap: a callee met again with the same pattern of batched operands reuses its copy.
 * A call reached while its callee is being batched (recursion, which StableHLO has not) is refused by name.
 */
final class KeptCalls {
    private final CalleeSink sink;
    private final Map<String, Copy> copies = new HashMap<>();
    private final Deque<String> batching = new ArrayDeque<>();
    /** The copies made, by name, in order; given to the sink by {@link #commit} (those the result calls). */
    private final Map<String, Operation> made = new java.util.LinkedHashMap<>();

    /** A batched copy of a callee: its name, where each result has the batch, and its batched backward function. */
    private record Copy(String name, int[] outAxes, String backward) {}

    /** The custom-VJP calls batched, as "@fwd with custom VJP @bwd": their results are all batched. */
    private final java.util.Set<String> vjpCalls = new java.util.LinkedHashSet<>();

    /**
     * Whether custom-VJP calls batch only the results their batched operands reach, as every other call does: set for
     * the dry run of {@link #unbatchedResults}, which batches no backward function.
     */
    private final boolean natural;

    KeptCalls(CalleeSink sink) { this(sink, false); }

    private KeptCalls(CalleeSink sink, boolean natural) {
        this.sink = sink;
        this.natural = natural;
    }

    /** The custom-VJP calls batched so far, as "@fwd with custom VJP @bwd". */
    String vjpCalls() { return String.join(", ", vjpCalls); }

    /**
     * Per result of {@code func} batched with {@code inAxes}: whether it depends on no batched argument. A custom-VJP
     * call batches all its results, so a result can be batched here and still be the same for every example: this
     * batches {@code func} again, to be thrown away, with such calls batching only what their batched operands reach.
     * The copies of that run are named apart and never reach the sink.
     */
    boolean[] unbatchedResults(Operation func, int[] inAxes, long size) {
        int[] counter = {0};
        CalleeSink scratch = new CalleeSink() {
            @Override public Operation lookup(String name) { return sink.lookup(name); }
            @Override public String freshName(String base) { return base + "_natural_" + counter[0]++; }
            @Override public void add(Operation f) {}
        };
        int[] outs = new int[type(func).results().size()];
        Arrays.fill(outs, Batching.NATURAL);
        int[] got = Batching.build(func, new KeptCalls(scratch, true), inAxes, outs, size, "hlo4j_natural").outAxes();
        boolean[] unbatched = new boolean[got.length];
        for (int j = 0; j < got.length; j++) unbatched[j] = got[j] == Batched.NONE;
        return unbatched;
    }

    CalleeSink sink() { return sink; }

    List<Batched> call(Batcher b, Operation op, List<Batched> args) {
        Operation callee = Calls.callee(op, sink::lookup, "vmap");
        String name = name(callee);
        int[] in = new int[args.size()];
        for (int i = 0; i < in.length; i++) in[i] = args.get(i).bdim();
        Operation bwd = backward(op);
        // the backward function is part of the key: one callee under two custom VJPs is two copies
        String key = name + Arrays.toString(in) + (bwd == null ? "" : "/vjp=@" + name(bwd));
        Copy c = copies.get(key);
        if (c == null) {
            if (batching.contains(name)) throw b.refuse(op, args, "@" + name + " calls itself (StableHLO functions cannot recurse)");
            if (bwd != null && batching.contains(name(bwd))) {
                throw b.refuse(op, args, "its custom VJP @" + name(bwd) + " calls itself (StableHLO functions cannot recurse)");
            }
            c = copy(callee, bwd, in, b.size());
            copies.put(key, c);
        }
        FunctionType ft = type(lookup(c.name()));
        Operation.Builder ob = Operation.builder("func.call").location(b.loc()).properties(op.properties()).attributes(op.attributes())
                .operands(Batched.values(args)).resultTypes(ft.results()).property("callee", SymbolRefAttr.of(c.name()));
        if (c.backward() != null) ob.attribute(Checkpoint.CUSTOM_VJP, SymbolRefAttr.of(c.backward()));
        List<OpResult> rs = b.ir().append(ob, b.loc()).results();
        List<Batched> out = new ArrayList<>();
        for (int j = 0; j < rs.size(); j++) out.add(Batched.of(rs.get(j), c.outAxes()[j]));
        return out;
    }

    private Copy copy(Operation callee, Operation bwd, int[] in, long size) {
        int[] natural = new int[type(callee).results().size()];
        Arrays.fill(natural, bwd == null || this.natural ? Batching.NATURAL : 0);
        Batching.Built f = building(callee, () -> Batching.build(callee, this, in, natural, size, sink.freshName(name(callee) + "_vmap")));
        made.put(name(f.func()), f.func());
        if (bwd == null || this.natural) return new Copy(name(f.func()), f.outAxes(), null);
        vjpCalls.add("@" + name(callee) + " with custom VJP @" + name(bwd));
        // backward(args..., results..., cotangents...) -> one cotangent per argument
        int n = in.length, m = f.outAxes().length;
        int[] bin = new int[n + 2 * m];
        System.arraycopy(in, 0, bin, 0, n);
        System.arraycopy(f.outAxes(), 0, bin, n, m);
        System.arraycopy(f.outAxes(), 0, bin, n + m, m);
        int[] bout = new int[n];
        for (int i = 0; i < n; i++) bout[i] = in[i] == Batched.NONE ? Batching.SUM : in[i];
        // only the backward's own name is on the stack: it may call its forward (not itself)
        Batching.Built g = building(bwd, () -> Batching.build(bwd, this, bin, bout, size, sink.freshName(name(bwd) + "_vmap")));
        made.put(name(g.func()), g.func());
        return new Copy(name(f.func()), f.outAxes(), name(g.func()));
    }

    /** {@code build} with {@code f}'s name on the stack of functions being batched (a call of it inside is recursion). */
    private Batching.Built building(Operation f, java.util.function.Supplier<Batching.Built> build) {
        batching.push(name(f));
        try {
            return build.get();
        } finally {
            batching.pop();
        }
    }

    /** The custom VJP's backward function of {@code op}, or null; the autodiff's own lookup, which refuses it by name. */
    private Operation backward(Operation op) {
        return op.attr(Checkpoint.CUSTOM_VJP) == null ? null : Calls.customBackward(op, sink::lookup, "vmap");
    }

    /** A copy made in this vmap, else the sink's function {@code name}. */
    private Operation lookup(String name) {
        Operation f = made.get(name);
        return f != null ? f : sink.lookup(name);
    }

    /**
     * Adds to the sink the copies {@code root} calls, directly or through other copies (custom VJPs included), in the
     * order they were made. A loop body is batched more than once while its carries settle; the copies only an
     * abandoned trial called are dropped here.
     */
    void commit(Operation root) {
        java.util.Set<String> used = new java.util.HashSet<>();
        Deque<Operation> todo = new ArrayDeque<>(List.of(root));
        while (!todo.isEmpty()) {
            io.hlo4j.mlir.ir.Walker.walk(todo.pop(), o -> {
                if (!o.name().equals("func.call")) return;
                for (String attr : List.of("callee", Checkpoint.CUSTOM_VJP)) {
                    if (o.attr(attr) instanceof SymbolRefAttr s && made.containsKey(s.root()) && used.add(s.root())) todo.push(made.get(s.root()));
                }
            });
        }
        for (Map.Entry<String, Operation> e : made.entrySet()) if (used.contains(e.getKey())) sink.add(e.getValue());
    }

    private static FunctionType type(Operation f) { return (FunctionType) ((TypeAttr) f.attr("function_type")).value(); }

    static String name(Operation f) { return ((StringAttr) f.attr("sym_name")).value(); }
}
