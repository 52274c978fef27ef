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
 * function sees each example's own cotangents; other calls leave such a result unbatched.
 *
 * <p>One instance serves one vmap: a callee met again with the same pattern of batched operands reuses its copy.
 * A call reached while its callee is being batched (recursion, which StableHLO has not) is refused by name.
 */
final class KeptCalls {
    private final CalleeSink sink;
    private final Map<String, Copy> copies = new HashMap<>();
    private final Deque<String> batching = new ArrayDeque<>();

    /** A batched copy of a callee: its name, where each result has the batch, and its batched backward function. */
    private record Copy(String name, int[] outAxes, String backward) {}

    KeptCalls(CalleeSink sink) { this.sink = sink; }

    CalleeSink sink() { return sink; }

    List<Batched> call(Batcher b, Operation op, List<Batched> args) {
        Operation callee = Calls.callee(op, sink::lookup, "vmap");
        String name = name(callee);
        int[] in = new int[args.size()];
        for (int i = 0; i < in.length; i++) in[i] = args.get(i).bdim();
        Operation bwd = backward(b, op, args, callee);
        String key = name + Arrays.toString(in) + (bwd == null ? "" : "/vjp");
        Copy c = copies.get(key);
        if (c == null) {
            if (batching.contains(name)) throw b.refuse(op, args, "@" + name + " calls itself (StableHLO functions cannot recurse)");
            batching.push(name);
            try {
                c = copy(callee, bwd, in, b.size());
            } finally {
                batching.pop();
            }
            copies.put(key, c);
        }
        FunctionType ft = type(sink.lookup(c.name()));
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
        Arrays.fill(natural, bwd == null ? Batching.NATURAL : 0);
        Batching.Built f = Batching.build(callee, this, in, natural, size, sink.freshName(name(callee) + "_vmap"));
        sink.add(f.func());
        if (bwd == null) return new Copy(name(f.func()), f.outAxes(), null);
        // backward(args..., results..., cotangents...) -> one cotangent per argument
        int n = in.length, m = f.outAxes().length;
        int[] bin = new int[n + 2 * m];
        System.arraycopy(in, 0, bin, 0, n);
        System.arraycopy(f.outAxes(), 0, bin, n, m);
        System.arraycopy(f.outAxes(), 0, bin, n + m, m);
        int[] bout = new int[n];
        for (int i = 0; i < n; i++) bout[i] = in[i] == Batched.NONE ? Batching.SUM : in[i];
        Batching.Built g = Batching.build(bwd, this, bin, bout, size, sink.freshName(name(bwd) + "_vmap"));
        sink.add(g.func());
        return new Copy(name(f.func()), f.outAxes(), name(g.func()));
    }

    /** The custom VJP's backward function of {@code op}, or null; refused by name when missing or of the wrong arity. */
    private Operation backward(Batcher b, Operation op, List<Batched> args, Operation callee) {
        if (!(op.attr(Checkpoint.CUSTOM_VJP) instanceof SymbolRefAttr s)) return null;
        Operation f = sink.lookup(s.root());
        if (f == null || !f.name().equals("func.func") || f.regions().isEmpty() || f.region(0).isEmpty()) {
            throw b.refuse(op, args, "its custom VJP " + s + " is not a function of the module");
        }
        FunctionType ft = type(f);
        int n = op.numOperands(), m = type(callee).results().size();
        if (ft.inputs().size() != n + 2 * m || ft.results().size() != n) {
            throw b.refuse(op, args, "its custom VJP " + s + " is " + ft + "; it must take the call's " + count(n, "argument") + ", "
                    + count(m, "result") + " and " + count(m, "cotangent") + " and return " + count(n, "cotangent"));
        }
        return f;
    }

    private static String count(int k, String noun) { return k + " " + noun + (k == 1 ? "" : "s"); }

    private static FunctionType type(Operation f) { return (FunctionType) ((TypeAttr) f.attr("function_type")).value(); }

    static String name(Operation f) { return ((StringAttr) f.attr("sym_name")).value(); }
}
