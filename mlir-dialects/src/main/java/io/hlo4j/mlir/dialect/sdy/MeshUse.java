package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Walker;

/**
 * Whether a module uses the {@code sdy.mesh}es it declares: an annotated global program does (an {@code sdy.sharding} on
 * an op, an argument or a result, or another sdy op such as a manual computation); the per-device program
 * {@code dump --emit explicit} writes declares its meshes only so that a reader can name the axes of its collectives,
 * and nothing in it refers to them. Partitioning such a program again would run one device's program on replicated
 * inputs, so {@code run --spmd} and {@code dump FILE} refuse it; {@code inspect} tells the two apart the same way.
 *
 * @param firstMesh the first {@code sdy.mesh} declared (in walk order), or null when the module declares none
 * @param used      whether any op uses a mesh (declared or inline)
 */
public record MeshUse(Operation firstMesh, boolean used) {
    /** One walk over the module. */
    public static MeshUse of(Module m) {
        Operation[] mesh = {null};
        boolean[] used = {false};
        Walker.walk(m.op(), op -> {
            if (op.name().equals(SdyOps.MESH)) {
                if (mesh[0] == null) mesh[0] = op;
            } else if (op.name().startsWith("sdy.") || op.attr("sdy.sharding") != null || shardsSignature(op)) {
                used[0] = true;
            }
        });
        return new MeshUse(mesh[0], used[0]);
    }

    /** A global program on a declared mesh: it declares one and uses a mesh. */
    public boolean annotatedGlobal() { return firstMesh != null && used; }

    /** A per-device program (or a module annotated with nothing): it declares a mesh and nothing uses one. */
    public boolean meshUnused() { return firstMesh != null && !used; }

    /**
     * Whether an argument or result of {@code op} (a {@code func.func}, or a call, through {@code arg_attrs} and
     * {@code res_attrs}) carries {@code sdy.sharding}: an entry function that does takes global arrays.
     */
    public static boolean shardsSignature(Operation op) { return shardsAny(op.attr("arg_attrs")) || shardsAny(op.attr("res_attrs")); }

    private static boolean shardsAny(Attribute attrs) {
        if (!(attrs instanceof ArrayAttr a)) return false;
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) instanceof DictionaryAttr d && d.get("sdy.sharding") != null) return true;
        }
        return false;
    }
}
