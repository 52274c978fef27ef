package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Deep copies of regions (reduce bodies, comparators, all_reduce combiners): the IR is immutable and a region
 * belongs to one op, so each use gets its own copy. Scalar bodies keep their types; {@code sdy.sharding}
 * attributes are dropped on the way.
 */
final class RegionCopy {
    private RegionCopy() {}

    static Region copy(Region r) { return copy(r, new HashMap<>(), null); }

    /** {@code channels} (null: keep them) gives every copied op that has a channel handle a fresh one, nested ops included. */
    static Region copy(Region r, Map<Value, Value> map, Supplier<ChannelHandle> channels) {
        List<Block> blocks = new ArrayList<>();
        for (Block blk : r.blocks()) {
            Block.Builder nb = Block.builder();
            if (blk.label() != null) nb.label(blk.label());
            for (BlockArgument a : blk.arguments()) map.put(a, nb.addArgument(a.type(), a.location()));
            for (Operation inner : blk.operations()) {
                Operation c = nb.append(copy(inner, map, channels).build());
                for (int i = 0; i < c.numResults(); i++) map.put(inner.result(i), c.result(i));
            }
            blocks.add(nb.build());
        }
        return new Region(blocks);
    }

    /** A builder for a copy of {@code op} with operands mapped (unmapped ones kept) and regions copied. */
    static Operation.Builder copy(Operation op, Map<Value, Value> map, Supplier<ChannelHandle> channels) {
        Operation.Builder b = Operation.builder(op.name()).location(op.location())
                .properties(op.properties()).attributes(op.attributes().without(Partitioner.SHARDING)).resultTypes(op.resultTypes());
        if (channels != null && op.attr("channel_handle") instanceof ChannelHandle) b.property("channel_handle", channels.get());
        for (Value v : op.operands()) b.operand(map.getOrDefault(v, v));
        for (Region r : op.regions()) b.region(copy(r, map, channels));
        return b;
    }
}
