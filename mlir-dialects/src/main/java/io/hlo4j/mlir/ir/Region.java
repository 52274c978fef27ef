package io.hlo4j.mlir.ir;

import java.util.List;

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

    void setParent(Operation op) {
        if (parent != null) throw new IllegalStateException("region already belongs to an operation");
        parent = op;
    }
}
