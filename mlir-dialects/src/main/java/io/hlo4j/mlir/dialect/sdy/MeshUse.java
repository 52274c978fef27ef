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
 * and nothing in it refers to them; it is marked {@link #PER_DEVICE_PROGRAM}. Partitioning such a program again would
 * run one device's program on replicated inputs, so {@code run --spmd} and {@code dump FILE} refuse it. A module that
 * declares a mesh nothing uses and carries no mark is a global program whose values are all replicated (as JAX reads a
 * {@code jit} on a mesh that shards nothing): it partitions into itself on every device. {@code inspect} tells an
 * annotated global program from the others the same way.
 *
 * @param firstMesh the first {@code sdy.mesh} declared (in walk order), or null when the module declares none
 * @param used      whether any op uses a mesh (declared or inline)
 */
public record MeshUse(Operation firstMesh, boolean used) {
    /**
     * The discardable module attribute (a unit) that marks hlo4j's per-device programs ({@code dump --emit explicit}).
     * JAX has no whole-module mark of its own for this (its per-device bodies sit in {@code sdy.manual_computation}
     * regions), so hlo4j names one in its own namespace: MLIR keeps and ignores dialect-prefixed attributes it does
     * not know.
     */
    public static final String PER_DEVICE_PROGRAM = "hlo4j.per_device_program";

    /** Whether {@code m} carries {@link #PER_DEVICE_PROGRAM}. */
    public static boolean markedPerDevice(Module m) { return m.attributes() != null && m.attributes().contains(PER_DEVICE_PROGRAM); }

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
