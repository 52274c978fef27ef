package io.hlo4j.dsl.grad;

import io.hlo4j.dsl.DslException;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Copies a {@code func.func}'s body into the function being traced, its arguments replaced by given values, so a
 * transformed function (a gradient) becomes part of the caller's trace. {@code func.call}s to the transform's side
 * functions are inlined too: the traced module stays one self-contained function.
 */
final class Inliner {
    private Inliner() {}

    static List<Value> inline(IrBuilder b, Operation func, List<? extends Value> args, Function<String, Operation> symbols) {
        Block body = func.region(0).entry();
        Map<Value, Value> map = new IdentityHashMap<>();
        for (int i = 0; i < args.size(); i++) map.put(body.argument(i), args.get(i));
        Operation ret = body.terminator();
        for (Operation op : body.operations()) {
            if (op == ret) break;
            if (op.name().equals("func.call")) {
                String callee = ((SymbolRefAttr) op.attr("callee")).root();
                Operation f = symbols.apply(callee);
                if (f == null) throw new DslException("grad", "call to unknown function @" + callee + " in a differentiated trace", op.location());
                List<Value> in = new ArrayList<>();
                for (Value v : op.operands()) in.add(lookup(map, v));
                List<Value> out = inline(b, f, in, symbols);
                for (int i = 0; i < op.numResults(); i++) map.put(op.result(i), out.get(i));
                continue;
            }
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
                if (inner.name().equals("func.call")) {
                    throw new DslException("grad", "func.call inside a region of a differentiated function is not supported", inner.location());
                }
                Operation c = nb.append(copy(inner, map).build());
                for (int i = 0; i < c.numResults(); i++) map.put(inner.result(i), c.result(i));
            }
            blocks.add(nb.build());
        }
        return new Region(blocks);
    }

    private static Value lookup(Map<Value, Value> map, Value v) {
        Value m = map.get(v);
        return m != null ? m : v;
    }

}
