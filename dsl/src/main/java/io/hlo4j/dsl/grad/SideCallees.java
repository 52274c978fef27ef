package io.hlo4j.dsl.grad;

import io.hlo4j.compiler.batch.CalleeSink;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.attr.StringAttr;

/**
 * The functions of the innermost {@link Grad} being traced (checkpointed bodies, custom-VJP passes) as a
 * {@link CalleeSink}: {@code Vmap} under {@code grad} batches the calls to them into calls of batched copies, added
 * here so the autodiff finds them beside the originals.
 */
public final class SideCallees {
    private SideCallees() {}

    /** The innermost grad's functions, or null outside every grad (where checkpoints are traced inline, not called). */
    public static CalleeSink current() {
        SideFunctions side = SideFunctions.current();
        if (side == null) return null;
        return new CalleeSink() {
            @Override public Operation lookup(String name) { return side.lookup(name); }

            @Override public String freshName(String base) { return side.freshName(base.startsWith("hlo4j_") ? base.substring(6) : base); }

            @Override public void add(Operation func) { side.add(((StringAttr) func.attr("sym_name")).value(), func); }
        };
    }
}
