package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.ir.Operation;

import java.util.List;

/**
 * {@code func.call} and {@code stablehlo.composite}. A call stays a call ({@link KeptCalls}): a call of batched
 * operands names a copy of its callee batched for them, with its attributes, so a checkpoint still recomputes and a
 * custom VJP keeps its rule (as JAX batches a call's jaxpr). A composite is batched where it is, its decomposition
 * function's body inlined with its arguments bound to the batched operands: its name and attributes describe the
 * unbatched op, and its decomposition is what it computes.
 *
 * <p>Both need the module (or the DSL's functions under grad): given one function alone
 * ({@link Batching#vmap(Operation, int[], int[], long, String)}), a call or composite with a batched operand is refused
 * (an unbatched one is copied). A recursive chain is refused by name.
 */
final class CallBatchRules {
    private CallBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("func.call", (b, op, a) -> {
            requireModule(b, op, a, "callee");
            return b.kept().call(b, op, a);
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
        if (!b.hasSymbols() || b.kept() == null) {
            throw b.refuse(op, a, "its " + what + " " + op.attr(what) + " is batched through its body, and vmap was given one function "
                    + "without its module (use Batching.vmap(module, name, ...))");
        }
    }
}
