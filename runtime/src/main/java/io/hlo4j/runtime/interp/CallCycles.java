package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.Attribute;
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
 * ({@code func.call}'s callee, {@code stablehlo.composite}'s decomposition, in every nested region) are walked once,
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
        for (Operation call : calls(func, new ArrayList<>())) {
            Operation callee = callee(call, symbols);
            if (callee == null || checked.contains(callee)) continue; // a missing callee is refused where it is called
            if (stack.contains(callee)) {
                List<String> chain = new ArrayList<>();
                for (Operation f : stack) chain.add(SymbolTable.symbolName(f));
                chain.add(SymbolTable.symbolName(callee));
                throw InterpreterException.at(call, "recursive call chain @" + String.join(" -> @", chain) + " (" + call.name() + " @"
                        + SymbolTable.symbolName(callee) + " in @" + SymbolTable.symbolName(stack.getLast()) + "); StableHLO functions cannot recurse");
            }
            stack.addLast(callee);
            walk(callee, symbols, stack, checked);
            stack.removeLast();
            checked.add(callee);
        }
    }

    /** The function a call names, or null when it names none of the module's functions. */
    private static Operation callee(Operation call, SymbolTable symbols) {
        Attribute a = call.attr(call.name().equals("func.call") ? "callee" : "decomposition");
        String name = a instanceof SymbolRefAttr s ? s.root() : a instanceof StringAttr s ? s.value() : null;
        Operation f = name == null ? null : symbols.lookup(name);
        return f != null && f.name().equals("func.func") ? f : null;
    }

    /** Every call in {@code op}'s regions, nested regions included. */
    private static List<Operation> calls(Operation op, List<Operation> out) {
        for (Region r : op.regions()) {
            for (Block b : r.blocks()) {
                for (Operation inner : b.operations()) {
                    if (inner.name().equals("func.call") || inner.name().equals("stablehlo.composite")) out.add(inner);
                    calls(inner, out);
                }
            }
        }
        return out;
    }
}
