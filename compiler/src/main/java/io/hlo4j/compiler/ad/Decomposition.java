package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Differentiates an op through an equivalent program of ops that have rules: the program is built once as a
 * detached function over the op's operand types, then recomputed from the op's operands inside the backward pass
 * and swept in reverse. Used for ops that are compositions of simpler ones (batch norm, einsum, index_select), so
 * their derivatives are the simple ops' rules rather than separate hand-written formulas.
 */
final class Decomposition {
    private Decomposition() {}

    /** {@code body} emits the equivalent program (one value per result of {@code op}) from its arguments. */
    static List<Value> vjp(Backward b, Operation op, List<Value> g, BiFunction<StablehloBuilder, List<Value>, List<Value>> body) {
        FunctionBuilder fb = IrBuilder.function("decomposition", op.operandTypes(), op.location());
        List<Value> res = body.apply(new StablehloBuilder(fb), new ArrayList<>(fb.arguments()));
        for (int i = 0; i < res.size(); i++) {
            if (!res.get(i).type().equals(op.result(i).type())) {
                throw b.refuse(op, "its decomposition yields " + res.get(i).type() + " for result #" + i + " of type " + op.result(i).type());
            }
        }
        Block blk = fb.finish(res, op.location()).region(0).entry();
        Sweep s = Regions.differentiate(b.ir(), blk, op.operands(), g, b.sweep());
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) out.add(s.cotangent(blk.argument(i)));
        return out;
    }
}
