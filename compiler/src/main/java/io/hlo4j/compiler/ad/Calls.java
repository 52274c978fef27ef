package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.CallGraph;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code func.call} as the autodiff meets it, wherever the call sits (top level, or inside an if/case branch, a
 * while or scan body, a manual or named computation). A plain call is differentiated through its callee: the
 * callee's body is recomputed at the call site in the backward program and swept there, so every callee is
 * differentiated in the context (region, mesh, replication) of its call. A call carrying {@link Checkpoint}'s
 * {@code hlo4j.custom_vjp} uses its declared backward function instead.
 *
 * <p>Before differentiating, the call graph reachable from the function is checked once ({@link #refuseCycles}):
 * a callee the module lacks, a symbol that is not a {@code func.func}, a call whose operand count or types differ
 * from the callee's signature, and a recursive chain (StableHLO has no recursion) are refused by name, with the
 * chain and the call's location.
 *
 * <p>{@link #inlineAll} replaces every call of a function (in every region, transitively) by its callee's body:
 * what a consumer that wants one self-contained function receives (a DSL trace that splices the gradient in, a
 * partitioner or backend without symbol calls). The remat and custom-VJP markers live on the calls, so inline
 * after the last differentiation.
 */
public final class Calls {
    private Calls() {}

    /** The callee of {@code call} (a {@code func.func} whose signature the call matches), or a refusal naming both. */
    public static Operation callee(Operation call, Function<String, Operation> symbols, String doing) {
        return resolve(call, symbol(call, "callee"), symbols, doing, true);
    }

    /**
     * The backward function a custom-VJP call names, refused by name when the module lacks it or when it does not take
     * the call's arguments, results and cotangents and return one cotangent per argument.
     */
    public static Operation customBackward(Operation call, Function<String, Operation> symbols, String doing) {
        String sym = symbol(call, Checkpoint.CUSTOM_VJP);
        Operation f = resolve(call, sym, symbols, doing, false);
        FunctionType ft = (FunctionType) ((TypeAttr) f.attr("function_type")).value();
        int n = call.numOperands(), m = call.numResults();
        if (ft.inputs().size() != n + 2 * m || ft.results().size() != n) {
            throw new Hlo4jException("cannot " + doing + " func.call with custom VJP @" + sym + ": @" + sym
                    + " is " + ft.inputs() + " -> " + ft.results() + "; it must take the call's " + count(n, "argument") + ", "
                    + count(m, "result") + " and " + count(m, "cotangent") + " and return " + count(n, "cotangent"), call.location());
        }
        return f;
    }

    /** A copy of {@code module} (every op cloned) with {@code more} functions appended: how a transform returns its module. */
    public static io.hlo4j.mlir.ir.Module withFunctions(io.hlo4j.mlir.ir.Module module, List<Operation> more) {
        List<Operation> ops = new ArrayList<>();
        for (Operation op : module.operations()) ops.add(Cloner.copy(op, new IdentityHashMap<>()).build());
        ops.addAll(more);
        return io.hlo4j.mlir.ir.Module.of(module.name(), module.attributes(), ops, module.op().location());
    }

    private static String count(int k, String noun) { return k + " " + noun + (k == 1 ? "" : "s"); }

    /**
     * Walks every call reachable from {@code func} ({@link CallGraph}: callees, custom-VJP backward functions, composite
     * decompositions) and refuses a missing or mistyped callee or backward function and any recursive chain, naming
     * the chain from {@code func}.
     */
    public static void refuseCycles(Operation func, Function<String, Operation> symbols, String doing) {
        refuseCycles(func, symbols, doing, true);
    }

    /**
     * As {@link #refuseCycles(Operation, Function, String)}; without {@code backward}, a custom-VJP call's backward
     * function is no edge: a run never calls it (only the autodiff does, which makes it a plain callee).
     */
    private static void refuseCycles(Operation func, Function<String, Operation> symbols, String doing, boolean backward) {
        CallGraph.Cycle c = CallGraph.findCycle(func, call -> switch (call.attr()) {
            case "callee" -> callee(call.site(), symbols, doing);
            case CallGraph.CUSTOM_VJP -> backward ? customBackward(call.site(), symbols, doing) : null;
            default -> { // a composite's missing decomposition is refused where it is differentiated
                Operation f = symbols.apply(call.callee());
                yield f != null && f.name().equals("func.func") && !f.regions().isEmpty() && !f.region(0).isEmpty() ? f : null;
            }
        }, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        if (c != null) throw new Hlo4jException("cannot " + doing + " @" + name(func) + ": " + c.describe(), c.closing().site().location());
    }

    /**
     * The functions running {@code func} runs: {@code func} and every function a call chain from it reaches, in the order
     * first met, without the custom-VJP backward functions (the interpreter never calls one; a program the autodiff made
     * calls it as a plain callee), so a backward function missing, mistyped or calling back into the program refuses
     * nothing. Refuses a missing or mistyped callee and a recursive chain, as {@link #refuseCycles} does.
     */
    public static List<Operation> runs(Operation func, Function<String, Operation> symbols, String doing) {
        refuseCycles(func, symbols, doing, false);
        java.util.Map<String, Operation> seen = new java.util.LinkedHashMap<>();
        java.util.ArrayDeque<Operation> todo = new java.util.ArrayDeque<>(List.of(func));
        while (!todo.isEmpty()) {
            Operation f = todo.removeFirst();
            if (seen.putIfAbsent(name(f), f) != null) continue;
            for (Operation call : calls(f)) todo.addLast(callee(call, symbols, doing));
        }
        return List.copyOf(seen.values());
    }

    /** Every {@code func.call} in {@code op}'s regions, nested regions included, in program order. */
    static List<Operation> calls(Operation op) {
        List<Operation> out = new ArrayList<>();
        for (Region r : op.regions()) {
            for (Block b : r.blocks()) {
                for (Operation inner : b.operations()) {
                    if (inner.name().equals("func.call")) out.add(inner);
                    out.addAll(calls(inner));
                }
            }
        }
        return out;
    }

    /**
     * A copy of {@code module} holding {@code entry} with every call inlined ({@link #inlineAll}) and none of the other
     * functions; other top-level ops (meshes) are kept.
     */
    public static io.hlo4j.mlir.ir.Module inlineInto(io.hlo4j.mlir.ir.Module module, String entry) {
        Operation main = module.symbols().lookup(entry);
        if (main == null) throw new Hlo4jException("no function @" + entry + " to inline calls into", module.op().location());
        Operation inlined = inlineAll(main, module.symbols()::lookup);
        List<Operation> body = new ArrayList<>();
        for (Operation o : module.operations()) {
            if (o == main) body.add(inlined);
            else if (!o.name().equals("func.func")) body.add(Cloner.copy(o, new IdentityHashMap<>()).build());
        }
        return io.hlo4j.mlir.ir.Module.of(module.name(), module.attributes(), body, module.op().location());
    }

    /**
     * A copy of {@code func} in which every {@code func.call}, in every region and transitively through the
     * callees, is replaced by the callee's body. Refuses what {@link #refuseCycles} refuses, except about custom-VJP
     * backward functions: the inlined call runs its callee only (its marker goes with it), so a backward function that is
     * missing or calls back into the program is no business of the inliner, as of a run.
     */
    public static Operation inlineAll(Operation func, Function<String, Operation> symbols) {
        if (!func.name().equals("func.func")) throw new Hlo4jException("inlining expects a func.func, got '" + func.name() + "'", func.location());
        refuseCycles(func, symbols, "inline", false);
        return splice(func, new IdentityHashMap<>(), op -> op.name().equals("func.call") ? callee(op, symbols, "inline").region(0).entry() : null);
    }

    /**
     * Which ops {@link #splice} replaces by a body: {@code body} is the block whose ops take {@code op}'s place (its
     * arguments bound to the op's operands, what its terminator returns becoming the op's results), or null to copy
     * the op; {@code operand} and {@code result} may wrap each value on the way in and out (appending to {@code nb}).
     */
    public interface Splice {
        Block body(Operation op);

        default Value operand(Block.Builder nb, Operation op, int i, Value v) { return v; }

        default Value result(Block.Builder nb, Operation op, int i, Value v) { return v; }
    }

    /**
     * The one inliner: a copy of {@code op} whose regions have every op {@code s} names replaced by its body, bodies
     * spliced in turn ({@code func.call} here, {@code sdy.named_computation} in the partitioner). {@code map} renames
     * values defined outside {@code op}; unmapped ones are used as they are.
     */
    public static Operation splice(Operation op, Map<Value, Value> map, Splice s) {
        Operation.Builder ob = Cloner.shell(op, map, Cloner.Options.KEEP);
        for (Region inner : op.regions()) ob.region(spliceRegion(inner, map, s));
        return ob.build();
    }

    private static Region spliceRegion(Region r, Map<Value, Value> map, Splice s) {
        List<Block> blocks = new ArrayList<>();
        for (Block blk : r.blocks()) {
            Block.Builder nb = Block.builder();
            if (blk.label() != null) nb.label(blk.label());
            for (BlockArgument a : blk.arguments()) map.put(a, nb.addArgument(a.type(), a.location()));
            append(nb, blk.operations(), map, s);
            blocks.add(nb.build());
        }
        return new Region(blocks);
    }

    /** Copies {@code ops} into {@code nb}, operands renamed through {@code map}, each op {@code s} names replaced by its body. */
    private static void append(Block.Builder nb, List<Operation> ops, Map<Value, Value> map, Splice s) {
        for (Operation op : ops) {
            Block body = s.body(op);
            if (body == null) {
                Operation c = nb.append(splice(op, map, s));
                for (int i = 0; i < c.numResults(); i++) map.put(op.result(i), c.result(i));
                continue;
            }
            // a body's values are its own (a callee is isolated), so one map serves every splice of it in turn
            for (int i = 0; i < op.numOperands(); i++) map.put(body.argument(i), s.operand(nb, op, i, Cloner.lookup(map, op.operand(i), op)));
            List<Operation> inner = body.operations();
            append(nb, inner.subList(0, inner.size() - 1), map, s);
            Operation ret = body.terminator();
            for (int i = 0; i < op.numResults(); i++) map.put(op.result(i), s.result(nb, op, i, Cloner.lookup(map, ret.operand(i), ret)));
        }
    }

    private static Operation resolve(Operation call, String sym, Function<String, Operation> symbols, String doing, boolean checkSignature) {
        Operation f = symbols.apply(sym);
                if (f == null) {
            throw new Hlo4jException("cannot " + doing + " func.call" + (checkSignature ? " @" : " with custom VJP @") + sym
                    + ": the module has no function @" + sym, call.location());
        }
        if (!f.name().equals("func.func") || f.regions().isEmpty() || f.region(0).isEmpty()) {
            throw new Hlo4jException("cannot " + doing + " func.call @" + sym + ": @" + sym + " is " + (f.name().equals("func.func")
                    ? "a declaration without a body" : "a '" + f.name() + "', not a func.func"), call.location());
        }
        if (checkSignature) {
            FunctionType ft = (FunctionType) ((TypeAttr) f.attr("function_type")).value();
            if (!ft.inputs().equals(call.operandTypes()) || !ft.results().equals(call.resultTypes())) {
                throw new Hlo4jException("cannot " + doing + " func.call @" + sym + ": the call is " + call.operandTypes() + " -> "
                        + call.resultTypes() + " but @" + sym + " is " + ft.inputs() + " -> " + ft.results(), call.location());
            }
        }
        return f;
    }

    private static String symbol(Operation call, String attr) {
        if (call.attr(attr) instanceof SymbolRefAttr s) return s.root();
        throw new Hlo4jException("func.call has no symbol '" + attr + "'", call.location());
    }

    private static String name(Operation func) {
        return func.attr("sym_name") instanceof StringAttr s ? s.value() : "<anonymous>";
    }
}
