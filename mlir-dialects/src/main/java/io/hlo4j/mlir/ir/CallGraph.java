package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The calls between a module's functions, and the search for a recursive chain among them: one rule for the
 * interpreter (which refuses a chain before a function runs) and the compiler (autodiff, inlining). StableHLO functions
 * cannot recurse; a recursion followed would only end in a StackOverflowError.
 *
 * <p>A call is an op that runs a function, named by one of its attributes: {@code func.call}'s {@code callee} and its
 * {@code hlo4j.custom_vjp} backward function (run when the call is differentiated), {@code stablehlo.composite}'s
 * {@code decomposition}, {@code interpreter.run_parallel}'s {@code programs} and {@code infeed} functions. Any other
 * symbol an op names (a discardable attribute, a mesh) is no call. The backward function is a call for the autodiff
 * only: a resolver for a run (the interpreter's, {@code run}'s checks, and the inliner {@code run --spmd} and
 * {@code dump FILE} partition through) gives no edge for a {@link #CUSTOM_VJP} call, so a backward function that is
 * missing or calls back into the program refuses nothing that runs the program forward. {@code stablehlo.custom_call}'s
 * {@code called_computations} are not calls either: neither the interpreter nor the compiler runs them.
 *
 * <p>The search is iterative (an explicit stack), so a chain of tens of thousands of functions neither overflows the
 * thread's stack nor is walked more than once per function.
 */
public final class CallGraph {
    private CallGraph() {}

    /** The attribute of a {@code func.call} naming its custom VJP's backward function. */
    public static final String CUSTOM_VJP = "hlo4j.custom_vjp";

    /** {@code site} runs function {@code callee}, named by its attribute {@code attr}. */
    public record Call(Operation site, String attr, String callee) {}

    /** The functions {@code op} itself runs (not those of ops nested in its regions), in attribute order. */
    public static List<Call> of(Operation op) {
        List<Call> out = new ArrayList<>();
        switch (op.name()) {
            case "func.call" -> { named(op, "callee", out); named(op, CUSTOM_VJP, out); }
            case "stablehlo.composite" -> named(op, "decomposition", out);
            case "interpreter.run_parallel" -> { named(op, "programs", out); named(op, "infeed", out); }
            default -> { }
        }
        return out;
    }

    /** Every call in {@code op}'s regions, nested regions included, in program order. */
    public static List<Call> in(Operation op) {
        List<Call> out = new ArrayList<>();
        Walker.walk(op, inner -> { if (inner != op) out.addAll(of(inner)); });
        return out;
    }

    private static void named(Operation op, String attr, List<Call> out) {
        names(op, attr, op.attr(attr), out);
    }

    private static void names(Operation op, String attr, Attribute a, List<Call> out) {
        switch (a) {
            case SymbolRefAttr s -> out.add(new Call(op, attr, s.root()));
            case StringAttr s -> out.add(new Call(op, attr, s.value()));
            case ArrayAttr arr -> { for (Attribute e : arr.elements()) names(op, attr, e, out); } // run_parallel's [[@f, @g]]
            case null, default -> { }
        }
    }

    /**
     * A recursive chain: the functions from the search's root to the one called again ({@code chain}'s last name, which
     * is also on it earlier), and the call that closes it, in {@code caller}.
     */
    public record Cycle(List<String> chain, Call closing, String caller) {
        /** "recursive call chain @main -> @g -> @main (func.call @main in @g); StableHLO functions cannot recurse". */
        public String describe() {
            return "recursive call chain @" + String.join(" -> @", chain) + " (" + closing.site().name() + " @" + chain.getLast()
                    + " in @" + caller + "); StableHLO functions cannot recurse";
        }
    }

    /**
     * The first recursive chain reachable from {@code root} (depth first, calls in program order), or null.
     * {@code resolve} gives the function a call runs, or null when it is no edge (a missing callee is refused where it
     * runs; a resolver may also throw). {@code acyclic} holds functions known to reach no cycle: they are skipped, and
     * every function found so here is added (a concurrent set when searches share it across threads).
     */
    public static Cycle findCycle(Operation root, Function<Call, Operation> resolve, Set<Operation> acyclic) {
        if (acyclic.contains(root)) return null;
        Set<Operation> onStack = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(root, in(root)));
        onStack.add(root);
        while (!stack.isEmpty()) {
            Frame top = stack.peek();
            if (top.next == top.calls.size()) {
                stack.pop();
                onStack.remove(top.func);
                acyclic.add(top.func);
                continue;
            }
            Call c = top.calls.get(top.next++);
            Operation f = resolve.apply(c);
            if (f == null || acyclic.contains(f)) continue;
            if (onStack.contains(f)) {
                List<String> chain = new ArrayList<>();
                for (java.util.Iterator<Frame> it = stack.descendingIterator(); it.hasNext(); ) chain.add(name(it.next().func));
                chain.add(name(f));
                return new Cycle(chain, c, name(top.func));
            }
            stack.push(new Frame(f, in(f)));
            onStack.add(f);
        }
        return null;
    }

    private static final class Frame {
        final Operation func;
        final List<Call> calls;
        int next;

        Frame(Operation func, List<Call> calls) {
            this.func = func;
            this.calls = calls;
        }
    }

    private static String name(Operation func) {
        String n = SymbolTable.symbolName(func);
        return n == null ? "<anonymous>" : n;
    }
}
