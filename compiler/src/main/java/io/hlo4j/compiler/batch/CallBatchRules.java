package io.hlo4j.compiler.batch;

import io.hlo4j.compiler.ad.Calls;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.ir.Operation;

import java.util.List;

/**
 * {@code func.call} and {@code stablehlo.composite}. By default the callee (a composite's decomposition function) is
 * batched where it is called, its body inlined into the batched function with its arguments bound to the call's
 * batched operands: the batched function names no other symbol (calls inside regions copied unbatched are inlined as
 * well), so it can be placed in any module, and one callee called with different operands batched needs no copy per
 * pattern. What is lost is the call boundary: checkpoint and custom-VJP markers on a call, and a composite's name and
 * attributes (its decomposition is what it computes).
 *
 * <p>{@link Batching#vmapKeepingCalls} keeps calls instead ({@link KeptCalls}): a call of batched operands names a
 * batched copy of its callee, with its markers, so a checkpoint still recomputes and a custom VJP keeps its rule (the
 * DSL's {@code Vmap} does this under {@code grad}). Composites are inlined in both modes.
 *
 * <p>Inlining needs the module: {@link Batching#vmap(io.hlo4j.mlir.ir.Module, String, int[], int[], long, String)}.
 * Given one function alone, a call with a batched operand is refused (an unbatched one is copied). A recursive
 * chain is refused by name.
 */
final class CallBatchRules {
    private CallBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("func.call", (b, op, a) -> {
            if (b.kept() != null) return b.kept().call(b, op, a);
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
