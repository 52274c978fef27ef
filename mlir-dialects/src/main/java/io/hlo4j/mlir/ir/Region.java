package io.hlo4j.mlir.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** A list of blocks owned by an operation. StableHLO regions have exactly one block (or none). */
public final class Region {
    private final List<Block> blocks;
    private Operation parent;

    public Region(List<Block> blocks) {
        this.blocks = List.copyOf(blocks);
        for (Block b : this.blocks) b.setParent(this);
    }

    public static Region of(Block block) { return new Region(List.of(block)); }
    public static Region empty() { return new Region(List.of()); }

    public List<Block> blocks() { return blocks; }
    public boolean isEmpty() { return blocks.isEmpty(); }
    /** The entry block; throws if the region is empty. */
    public Block entry() {
        if (blocks.isEmpty()) throw new IllegalStateException("empty region has no entry block");
        return blocks.get(0);
    }
    public Operation parent() { return parent; }

    /**
     * The block walk every rewriting copy shares: each block of {@code r} gets fresh arguments (label and locations
     * kept), each op is turned into its copy by {@code each} (null drops it), and old values map to new ones in
     * {@code map} as they go, so {@code each} can look its operands up there.
     */
    public static Region rebuild(Region r, Map<Value, Value> map, Function<Operation, Operation> each) {
        List<Block> blocks = new ArrayList<>();
        for (Block blk : r.blocks()) {
            Block.Builder nb = Block.builder();
            if (blk.label() != null) nb.label(blk.label());
            for (BlockArgument a : blk.arguments()) map.put(a, nb.addArgument(a.type(), a.location()));
            for (Operation inner : blk.operations()) {
                Operation c = each.apply(inner);
                if (c == null) continue;
                nb.append(c);
                for (int i = 0; i < c.numResults(); i++) map.put(inner.result(i), c.result(i));
            }
            blocks.add(nb.build());
        }
        return new Region(blocks);
    }

    void setParent(Operation op) {
        if (parent != null) throw new IllegalStateException("region already belongs to an operation");
        parent = op;
    }
}
