package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.types.Type;

/** Result number {@code index} of an operation. */
public final class OpResult implements Value {
    private final Operation owner;
    private final int index;
    private final Type type;

    OpResult(Operation owner, int index, Type type) {
        this.owner = owner;
        this.index = index;
        this.type = type;
    }

    @Override public Type type() { return type; }
    public Operation owner() { return owner; }
    public int index() { return index; }

    @Override public String toString() { return "<result #" + index + " of " + owner.name() + ": " + type + ">"; }
}
