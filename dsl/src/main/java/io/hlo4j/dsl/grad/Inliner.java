package io.hlo4j.dsl.grad;

import io.hlo4j.dsl.DslException;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies a {@code func.func}'s body into the function being traced, its arguments replaced by given values, so a
 * transformed function (a gradient) becomes part of the caller's trace. The function must hold no {@code func.call}
 * ({@code Calls.inlineAll} splices them first), so the traced module stays one self-contained function.
 */
final class Inliner {
    private Inliner() {}

    static List<Value> inline(IrBuilder b, Operation func, List<? extends Value> args) {
        Block body = func.region(0).entry();
        Map<Value, Value> map = new IdentityHashMap<>();
        for (int i = 0; i < args.size(); i++) map.put(body.argument(i), args.get(i));
        Operation ret = body.terminator();
        for (Operation op : body.operations()) {
            if (op == ret) break;
            refuseCall(op);
            Operation c = b.append(copy(op, map), op.location());
            for (int i = 0; i < c.numResults(); i++) map.put(op.result(i), c.result(i));
        }
        List<Value> outs = new ArrayList<>();
        for (Value v : ret.operands()) outs.add(lookup(map, v));
        return outs;
    }

    private static Operation.Builder copy(Operation op, Map<Value, Value> map) {
        Operation.Builder b = Operation.builder(op.name()).location(op.location())
                .properties(op.properties()).attributes(op.attributes()).resultTypes(op.resultTypes());
        for (Value v : op.operands()) b.operand(lookup(map, v));
        for (Region r : op.regions()) b.region(copy(r, map));
        return b;
    }

    private static Region copy(Region r, Map<Value, Value> map) {
        List<Block> blocks = new ArrayList<>();
        for (Block blk : r.blocks()) {
            Block.Builder nb = Block.builder();
            if (blk.label() != null) nb.label(blk.label());
            for (BlockArgument a : blk.arguments()) map.put(a, nb.addArgument(a.type(), a.location()));
            for (Operation inner : blk.operations()) {
                refuseCall(inner);
                Operation c = nb.append(copy(inner, map).build());
                for (int i = 0; i < c.numResults(); i++) map.put(inner.result(i), c.result(i));
            }
            blocks.add(nb.build());
        }
        return new Region(blocks);
    }

    /** A call left in the function would name a symbol the caller's trace lacks: an internal error, said by name. */
    private static void refuseCall(Operation op) {
        if (op.name().equals("func.call")) {
            throw new DslException("grad", "internal: func.call " + op.attr("callee") + " left in a gradient after inlining", op.location());
        }
    }

    private static Value lookup(Map<Value, Value> map, Value v) {
        Value m = map.get(v);
        return m != null ? m : v;
    }

}
