package io.hlo4j.dsl.grad;

import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.dsl.DslException;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.Walker;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies a {@code func.func}'s body into the function being traced, its arguments replaced by given values, so a
 * transformed function (a gradient) becomes part of the caller's trace. The function must hold no {@code func.call}
 * ({@code Calls.inlineAll} splices them first), so the traced module stays one self-contained function.
 */
public final class Inliner {
    private Inliner() {}

    static List<Value> inline(IrBuilder b, Operation func, List<? extends Value> args) {
        // A call left in the function would name a symbol the caller's trace lacks: an internal error, said by name.
        Walker.walk(func, op -> {
            if (op.name().equals("func.call")) {
                throw new DslException("grad", "internal: func.call " + op.attr("callee") + " left in a gradient after inlining", op.location());
            }
        });
        return body(b, func, args);
    }

    /**
     * The splice itself, with no check for calls: vmap under grad splices calls of batched copies of the grad's side
     * functions (the enclosing grad resolves and inlines them).
     */
    public static List<Value> body(IrBuilder b, Operation func, List<? extends Value> args) {
        Block body = func.region(0).entry();
        Map<Value, Value> map = new IdentityHashMap<>();
        for (int i = 0; i < args.size(); i++) map.put(body.argument(i), args.get(i));
        Operation ret = body.terminator();
        for (Operation op : body.operations()) {
            if (op == ret) break;
            Operation c = b.append(Cloner.copy(op, map), op.location());
            for (int i = 0; i < c.numResults(); i++) map.put(op.result(i), c.result(i));
        }
        List<Value> outs = new ArrayList<>();
        for (Value v : ret.operands()) outs.add(Cloner.lookup(map, v, ret));
        return outs;
    }
}
