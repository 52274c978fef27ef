package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Deep copies of ops (regions included) with operands renamed through a value map; the IR is immutable. Public for
 * the DSL, which copies a transformed function into the caller's trace the same way.
 */
public final class Cloner {
    private Cloner() {}

    /** A builder for a copy of {@code op}: operands mapped, regions copied; results are added to the map by the caller. */
    public static Operation.Builder copy(Operation op, Map<Value, Value> map) {
        Operation.Builder b = Operation.builder(op.name()).location(op.location())
                .properties(op.properties()).attributes(op.attributes()).resultTypes(op.resultTypes());
        for (Value v : op.operands()) b.operand(lookup(map, v, op));
        for (Region r : op.regions()) b.region(copy(r, map));
        return b;
    }

    public static Region copy(Region r, Map<Value, Value> map) {
        List<Block> blocks = new ArrayList<>();
        for (Block blk : r.blocks()) {
            Block.Builder nb = Block.builder();
            if (blk.label() != null) nb.label(blk.label());
            for (BlockArgument a : blk.arguments()) map.put(a, nb.addArgument(a.type(), a.location()));
            for (Operation inner : blk.operations()) {
                Operation c = nb.append(copy(inner, map).build());
                for (int i = 0; i < c.numResults(); i++) map.put(inner.result(i), c.result(i));
            }
            blocks.add(nb.build());
        }
        return new Region(blocks);
    }

    /**
     * A value not in the map was defined outside the ops being copied: a region sweep's captured value, used as it
     * is (the builder refuses it by name when it is not visible there).
     */
    public static Value lookup(Map<Value, Value> map, Value v, Operation user) {
        Value m = map.get(v);
        return m != null ? m : v;
    }
}
