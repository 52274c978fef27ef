package io.hlo4j.mlir.ir;

import java.util.function.Consumer;

/** Pre-order traversal of operations nested in regions. */
public final class Walker {
    private Walker() {}

    public static void walk(Operation op, Consumer<Operation> visit) {
        visit.accept(op);
        for (Region r : op.regions()) {
            for (Block b : r.blocks()) {
                for (Operation inner : b.operations()) walk(inner, visit);
            }
        }
    }
}
