package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code vmap} of a {@code func.func}: a new function whose argument {@code i} has a batch dimension of
 * {@code size} at {@code inAxes[i]} (or none, {@link Batched#NONE}) and whose result {@code j} has it at
 * {@code outAxes[j]}. There is one way to batch a call: it stays a call, of a copy of its callee batched for the
 * operands it gets ({@link KeptCalls}), so checkpoint and custom-VJP markers survive, as JAX batches a call's jaxpr.
 * The copies go into the module ({@link #vmap(Module, String, int[], int[], long, String)}) or a {@link CalleeSink}
 * (the DSL's functions under grad); given one function alone, a call with a batched operand is refused. Composites
 * are inlined (their decomposition is what they compute; see {@link CallBatchRules}).
 */
public final class Batching {
    private Batching() {}

    /** vmap of one function alone: a call or composite with a batched operand is refused (its callee is out of reach). */
    public static Operation vmap(Operation func, int[] inAxes, int[] outAxes, long size, String name) {
        checkOutAxes(func, outAxes);
        return build(func, null, null, inAxes, outAxes, size, name, null).func();
    }

    /**
     * vmap of {@code func} whose callees {@code sink} holds: every {@code func.call} with a batched operand calls a
     * batched copy of its callee, added to {@code sink} (see {@link KeptCalls}), so a checkpointed call is still
     * recomputed under grad and a custom VJP keeps its rule; a call of unbatched operands stays as it is.
     */
    public static Operation vmap(Operation func, CalleeSink sink, int[] inAxes, int[] outAxes, long size, String name) {
        checkOutAxes(func, outAxes);
        KeptCalls kept = new KeptCalls(sink);
        Operation batched = build(func, sink::lookup, kept, inAxes, outAxes, size, name, null).func();
        kept.commit(batched);
        return batched;
    }

    /**
     * vmap of the module's function {@code funcName}: a copy of the module with the batched function {@code name} and
     * the batched copies of the callees it calls added.
     */
    public static Module vmap(Module module, String funcName, int[] inAxes, int[] outAxes, long size, String name) {
        Operation f = module.symbols().lookup(funcName);
        if (f == null || !f.name().equals("func.func")) {
            throw new Hlo4jException("vmap: the module has no function @" + funcName, module.op().location());
        }
        java.util.Map<String, Operation> added = new java.util.LinkedHashMap<>();
        java.util.Set<String> taken = new java.util.HashSet<>(List.of(name));
        CalleeSink sink = new CalleeSink() {
            @Override public Operation lookup(String n) {
                Operation o = added.get(n);
                return o != null ? o : module.symbols().lookup(n);
            }

            @Override public String freshName(String base) {
                String n = base;
                for (int k = 1; lookup(n) != null || taken.contains(n); k++) n = base + "_" + k;
                taken.add(n);
                return n;
            }

            @Override public void add(Operation func) { added.put(KeptCalls.name(func), func); }
        };
        if (sink.lookup(name) != null) throw new Hlo4jException("vmap: the module already has a function @" + name, f.location());
        Operation batched = vmap(f, sink, inAxes, outAxes, size, name);
        List<Operation> more = new ArrayList<>(added.values());
        more.add(batched);
        return io.hlo4j.compiler.ad.Calls.withFunctions(module, more);
    }

    /** The public out axes: a dimension (checked against the result later) or none; the internal markers are refused. */
    private static void checkOutAxes(Operation func, int[] outAxes) {
        for (int j = 0; j < outAxes.length; j++) {
            if (outAxes[j] < 0 && outAxes[j] != Batched.NONE) {
                throw new Hlo4jException("vmap: out_axes[" + j + "] = " + outAxes[j] + " is out of range (a result dimension >= 0, or none)",
                        func.location());
            }
        }
    }

    /** An out axis of {@link #build}: batched at 0 when the result depends on the batch, else unbatched. */
    static final int NATURAL = -2;
    /** An out axis of {@link #build}: summed over the batch (the cotangent of an argument every example shared). */
    static final int SUM = -3;

    /** A batched function and where each of its results has the batch dimension ({@link Batched#NONE}: nowhere). */
    record Built(Operation func, int[] outAxes) {}

    /** A batched copy of a callee for {@code kept}: a private function of the module. */
    static Built build(Operation func, KeptCalls kept, int[] inAxes, int[] outAxes, long size, String name) {
        return build(func, kept.sink()::lookup, kept, inAxes, outAxes, size, name, "private");
    }

    private static Built build(Operation func, Function<String, Operation> symbols, KeptCalls kept, int[] inAxes, int[] outAxes,
                               long size, String name, String visibility) {
        BatchRules.install();
        if (!func.name().equals("func.func")) throw new Hlo4jException("vmap expects a func.func, got '" + func.name() + "'", func.location());
        FunctionType ft = (FunctionType) ((TypeAttr) func.attr("function_type")).value();
        if (inAxes.length != ft.inputs().size()) {
            throw new Hlo4jException("vmap: " + inAxes.length + " in_axes for a function of " + ft.inputs().size() + " arguments",
                    func.location());
        }
        if (outAxes.length != ft.results().size()) {
            throw new Hlo4jException("vmap: " + outAxes.length + " out_axes for a function of " + ft.results().size() + " results",
                    func.location());
        }
        if (size < 0) throw new Hlo4jException("vmap: batch size " + size + " is negative", func.location());
        List<Type> argTypes = new ArrayList<>();
        for (int i = 0; i < inAxes.length; i++) {
            Type t = ft.inputs().get(i);
            int a = inAxes[i];
            if (a == Batched.NONE) { argTypes.add(t); continue; }
            if (!(t instanceof TensorType tt) || a < 0 || a > tt.rank()) {
                throw new Hlo4jException("vmap: in_axes[" + i + "] = " + a + " is out of range for an example of type " + t, func.location());
            }
            argTypes.add(Batcher.insert(tt, a, size));
        }
        FunctionBuilder fb = IrBuilder.function(name, argTypes, func.location());
        if (visibility != null) fb.visibility(visibility);
        Batcher root = new Batcher(fb, size, null, symbols, ((io.hlo4j.mlir.attr.StringAttr) func.attr("sym_name")).value(), kept);
        Block body = func.region(0).entry();
        List<Batched> args = new ArrayList<>();
        for (int i = 0; i < inAxes.length; i++) args.add(Batched.of(fb.argument(i), inAxes[i]));
        List<Batched> outs = root.sweep(body, args);
        List<Value> results = new ArrayList<>();
        int[] chosen = new int[outs.size()];
        boolean[] shared = null;                    // per result: unbatched but for custom-VJP calls (computed when needed)
        for (int j = 0; j < outs.size(); j++) {
            Batched o = outs.get(j);
            int a = outAxes[j];
            if (a == NATURAL) a = o.batched() ? 0 : Batched.NONE;
            chosen[j] = a;
            if (a == SUM) {
                chosen[j] = Batched.NONE;
                Value all = root.materialize(o, 0);
                Value zero = root.hlo().constant(TensorType.scalar(o.type().elementType()), 0, body.terminator().location());
                results.add(root.hlo().reduce(all, zero, new long[]{0}, "add", body.terminator().location()));
                continue;
            }
            if (a == Batched.NONE) {
                if (o.batched()) {
                    if (kept != null && shared == null) shared = kept.unbatchedResults(func, inAxes, size);
                    if (shared == null || !shared[j]) {
                        throw new Hlo4jException("vmap: out_axes[" + j + "] is none but result #" + j + " depends on a batched argument ("
                                + o.describe() + ")", body.terminator().location());
                    }
                    // batched only because a custom-VJP call batches all its results: every example holds the same value, so
                    // example 0's is the result, and under grad its cotangent reaches example 0's call alone, as in a
                    // per-example loop that returns the first example's copy
                    if (size == 0) {
                        throw new Hlo4jException("vmap: out_axes[" + j + "] is none for result #" + j + ", which no batched argument "
                                + "reaches but a custom-VJP call batches (" + kept.vjpCalls() + "); a batch of 0 examples has no "
                                + "example to read it from", body.terminator().location());
                    }
                    results.add(root.example(o, 0));
                    continue;
                }
                results.add(o.value());
                continue;
            }
            if (!(o.value().type() instanceof TensorType) || a < 0 || a > o.exampleRank()) {
                throw new Hlo4jException("vmap: out_axes[" + j + "] = " + a + " is out of range for result #" + j + " of example type "
                        + body.terminator().operand(j).type(), body.terminator().location());
            }
            results.add(root.materialize(o, a));
        }
        return new Built(fb.finish(results, body.terminator().location()), chosen);
    }
}
