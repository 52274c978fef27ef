package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.SymbolTable;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SequencedSet;
import java.util.Set;

/**
 * The interpreter's refusal of a recursive call chain. StableHLO functions cannot recurse, and a recursion the
 * interpreter followed would only end in a StackOverflowError; so before a function runs, the calls reachable from it
 * (every function an op names: {@code func.call}'s callee, {@code stablehlo.composite}'s decomposition,
 * {@code interpreter.run_parallel}'s programs and infeed functions; in every nested region) are walked once,
 * statically: a chain that comes back to a function on it is refused, naming the chain and the call that closes it.
 * Static rather than a per-thread stack of active calls: region bodies may run on the kernel pool's threads, which
 * steal each other's work.
 */
final class CallCycles {
    private CallCycles() {}

    /** Refuses a recursive chain reachable from {@code func}; {@code checked} holds the functions already known to be free of one. */
    static void refuse(Operation func, SymbolTable symbols, Set<Operation> checked) {
        if (checked.contains(func)) return;
        SequencedSet<Operation> stack = new LinkedHashSet<>();
        stack.add(func);
        walk(func, symbols, stack, checked);
        checked.add(func);
    }

    private static void walk(Operation func, SymbolTable symbols, SequencedSet<Operation> stack, Set<Operation> checked) {
        for (Edge e : edges(func, symbols, new ArrayList<>())) {
            Operation callee = e.callee();
            if (checked.contains(callee)) continue;
            if (stack.contains(callee)) {
                List<String> chain = new ArrayList<>();
                for (Operation f : stack) chain.add(SymbolTable.symbolName(f));
                chain.add(SymbolTable.symbolName(callee));
                throw InterpreterException.at(e.site(), "recursive call chain @" + String.join(" -> @", chain) + " (" + e.site().name() + " @"
                        + SymbolTable.symbolName(callee) + " in @" + SymbolTable.symbolName(stack.getLast()) + "); StableHLO functions cannot recurse");
            }
            stack.addLast(callee);
            walk(callee, symbols, stack, checked);
            stack.removeLast();
            checked.add(callee);
        }
    }

    /** An op that may run {@code callee}. */
    private record Edge(Operation site, Operation callee) {}

    /**
     * Every op in {@code op}'s regions (nested ones included) with each function it names: func.call's callee,
     * stablehlo.composite's decomposition (a symbol or a string), and any symbol reference to a function in its
     * attributes, arrays and dictionaries included ({@code interpreter.run_parallel}'s programs and infeed functions run
     * too). A missing callee is no edge: it is refused where it is called.
     */
    private static List<Edge> edges(Operation op, SymbolTable symbols, List<Edge> out) {
        for (Region r : op.regions()) {
            for (Block b : r.blocks()) {
                for (Operation inner : b.operations()) {
                    if (inner.name().equals("stablehlo.composite") && inner.attr("decomposition") instanceof StringAttr s) function(inner, s.value(), symbols, out);
                    for (Attribute a : inner.properties().asMap().values()) symbols(inner, a, symbols, out);
                    for (Attribute a : inner.attributes().asMap().values()) symbols(inner, a, symbols, out);
                    edges(inner, symbols, out);
                }
            }
        }
        return out;
    }

    private static void symbols(Operation site, Attribute a, SymbolTable symbols, List<Edge> out) {
        switch (a) {
            case SymbolRefAttr s -> function(site, s.root(), symbols, out);
            case ArrayAttr arr -> { for (Attribute e : arr.elements()) symbols(site, e, symbols, out); }
            case DictionaryAttr d -> { for (Attribute e : d.asMap().values()) symbols(site, e, symbols, out); }
            default -> { }
        }
    }

    private static void function(Operation site, String name, SymbolTable symbols, List<Edge> out) {
        Operation f = symbols.lookup(name);
        if (f != null && f.name().equals("func.func")) out.add(new Edge(site, f));
    }
}
