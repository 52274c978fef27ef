package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.CallGraph;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.SymbolTable;

import java.util.Set;

/**
 * The interpreter's refusal of a recursive call chain ({@link CallGraph}: the ops that run a function, in every nested
 * region; a custom-VJP call's backward function is none here, as the interpreter never runs it), walked once, statically, before a function runs: a chain that comes back to a function on it is refused,
 * naming the chain and the call that closes it. Static rather than a per-thread stack of active calls: region bodies
 * may run on the kernel pool's threads, which steal each other's work.
 */
final class CallCycles {
    private CallCycles() {}

    /** Refuses a recursive chain reachable from {@code func}; {@code checked} holds the functions already known to be free of one. */
    static void refuse(Operation func, SymbolTable symbols, Set<Operation> checked) {
        CallGraph.Cycle c = CallGraph.findCycle(func, call -> {
            if (call.attr().equals(CallGraph.CUSTOM_VJP)) return null; // only the autodiff calls a backward function
            Operation f = symbols.lookup(call.callee());
            return f != null && f.name().equals("func.func") ? f : null; // a missing callee is refused where it runs
        }, checked);
        if (c != null) throw InterpreterException.at(c.closing().site(), c.describe());
    }
}
