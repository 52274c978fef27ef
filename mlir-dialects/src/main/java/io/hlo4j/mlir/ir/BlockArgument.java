package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.types.Type;

/** An argument of a block. Its owner is fixed when the block is built. */
public final class BlockArgument implements Value {
    private final Type type;
    private final int index;
    private final Location location;
    private Block owner;

    BlockArgument(Type type, int index, Location location) {
        this.type = type;
        this.index = index;
        this.location = location == null ? Location.UNKNOWN : location;
    }

    @Override public Type type() { return type; }
    public int index() { return index; }
    public Location location() { return location; }
    public Block owner() { return owner; }

    void setOwner(Block b) {
        if (owner != null) throw new IllegalStateException("block argument already owned");
        owner = b;
    }

    @Override public String toString() { return "<block argument #" + index + ": " + type + ">"; }
}
