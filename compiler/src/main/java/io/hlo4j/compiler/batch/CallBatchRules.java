package io.hlo4j.compiler.batch;

import io.hlo4j.compiler.ad.Calls;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.ir.Operation;

import java.util.List;

/**
 * {@code func.call} and {@code stablehlo.composite}: the callee (a composite's decomposition function) is batched
 * where it is called, its body inlined into the batched function with its arguments bound to the call's batched
 * operands. Inlining rather than emitting a batched copy of the callee: one callee called with different operands
 * batched (or from inside a loop body that batches its carries) would need one copy per pattern of batch
 * dimensions, while an inlined body is batched for exactly the operands it gets, and the batched function names no
 * other symbol (calls inside regions copied unbatched are inlined as well), so it can be placed in any module. The
 * DSL's {@code Vmap} does not come here: it traces one function and refuses a {@code func.call} in it. What is lost is the
 * call boundary: a checkpoint or custom-VJP marker on a call does not survive vmap (apply grad inside vmap to keep
 * them), and a composite's name and attributes are gone (its decomposition is what it computes).
 *
 * <p>A call needs the module: {@link Batching#vmap(io.hlo4j.mlir.ir.Module, String, int[], int[], long, String)}.
 * Given one function alone, a call with a batched operand is refused (an unbatched one is copied). A recursive
 * chain is refused by name.
 */
final class CallBatchRules {
    private CallBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("func.call", (b, op, a) -> {
            requireModule(b, op, a, "callee");
            return b.inlineFunction(op, Calls.callee(op, b::symbol, "vmap"), a);
        });
        in.rule("stablehlo.composite", (b, op, a) -> {
            requireModule(b, op, a, "decomposition");
            String name = op.attr("decomposition") instanceof SymbolRefAttr s ? s.root() : null;
            Operation f = name == null ? null : b.symbol(name);
            if (f == null || !f.name().equals("func.func")) {
                throw b.refuse(op, a, "its decomposition " + op.attr("decomposition") + " is not a function of the module");
            }
            return b.inlineFunction(op, f, a);
        });
    }

    private static void requireModule(Batcher b, Operation op, List<Batched> a, String what) {
        if (!b.hasSymbols()) {
            throw b.refuse(op, a, "its " + what + " " + op.attr(what) + " is batched through its body, and vmap was given one function "
                    + "without its module (use Batching.vmap(module, name, ...))");
        }
    }
}
