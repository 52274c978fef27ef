package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;

import java.util.function.Consumer;

/**
 * The operands read anywhere inside an op's regions, at any depth. Fusion and liveness count each as read by the op
 * that holds the regions: it runs them (a while body many times) while it runs.
 */
final class NestedOperands {
    private NestedOperands() {}

    /** Calls {@code read} with every operand of every op nested in {@code holder}'s regions (repeats included). */
    static void forEach(Operation holder, Consumer<Value> read) {
        for (Region r : holder.regions()) walk(r, read);
    }

    private static void walk(Region r, Consumer<Value> read) {
        for (Block blk : r.blocks()) {
            for (Operation op : blk.operations()) {
                for (Value v : op.operands()) read.accept(v);
                for (Region inner : op.regions()) walk(inner, read);
            }
        }
    }
}
