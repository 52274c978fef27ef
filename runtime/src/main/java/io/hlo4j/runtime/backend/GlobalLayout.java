package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.func.FuncOps;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.SdyVerifier;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.runtime.spmd.ShardLayout;
import io.hlo4j.runtime.spmd.ShardingException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How the global arguments and results of an annotated SPMD entry function lie on its N partitions: for each, the
 * mesh, the {@code sdy.sharding} and the local (per-partition) type. XLA's SPMD executable takes and returns each
 * partition's block in these local types, partition p holding the block of mesh position {@code device_ids[pos] = p}
 * (see {@link ShardLayout}).
 *
 * <p>Refused, by name: a value without {@code sdy.sharding} (XLA would pick its layout and hlo4j could not split or
 * assemble it), a non-tensor value, a mesh whose device count is not N, an argument with unreduced axes (a global
 * argument is a full value, never a partial sum), and any sharding {@link ShardLayout} refuses (indivisible
 * dimensions, unknown axes, ...).
 */
record GlobalLayout(List<Placed> arguments, List<Placed> results) {
    /** One argument or result: {@code what} names it in errors. */
    record Placed(String what, TensorType global, MeshAttr mesh, TensorSharding sharding, TensorType local) {}

    static GlobalLayout of(Module module, Operation entry, FunctionType sig, int partitions) {
        Map<String, MeshAttr> meshes = SdyVerifier.meshesOf(module.op());
        String fn = "@" + SymbolTable.symbolName(entry);
        List<Placed> args = new ArrayList<>();
        for (int i = 0; i < sig.inputs().size(); i++) {
            Placed p = place("argument #" + i, fn, sig.inputs().get(i), FuncOps.argAttrs(entry, i), meshes, partitions, entry);
            if (!p.sharding().unreducedAxes().isEmpty()) {
                throw new ShardingException(p.what() + " has unreduced axes " + p.sharding().unreducedAxes() + " in " + p.sharding()
                        + ": a global argument is a full value, not a partial sum to be split", entry.location());
            }
            args.add(p);
        }
        List<Placed> res = new ArrayList<>();
        for (int j = 0; j < sig.results().size(); j++) {
            res.add(place("result #" + j, fn, sig.results().get(j), FuncOps.resultAttrs(entry, j), meshes, partitions, entry));
        }
        return new GlobalLayout(List.copyOf(args), List.copyOf(res));
    }

    private static Placed place(String role, String fn, Type type, DictionaryAttr attrs, Map<String, MeshAttr> meshes, int partitions,
                                Operation entry) {
        if (!(type instanceof TensorType global)) {
            throw new ShardingException(role + " of " + fn + " is " + type + ", not a tensor: only tensors are split across partitions",
                    entry.location());
        }
        String what = role + " (" + global + ") of " + fn;
        if (attrs == null || !(attrs.get("sdy.sharding") instanceof TensorSharding sharding)) {
            throw new ShardingException(what + " has no sdy.sharding, but the program runs on " + partitions
                    + " partitions: without one XLA chooses its layout and the global array cannot be split or assembled;"
                    + " annotate it (a replicated one is #sdy.sharding<@mesh, [" + "{}, ".repeat(Math.max(0, global.rank() - 1))
                    + (global.rank() > 0 ? "{}" : "") + "]>) or pass each device's own arrays (callPerDevice)", entry.location());
        }
        MeshAttr mesh = sharding.resolveMesh(meshes);
        if (mesh == null) throw new ShardingException(what + ": " + sharding + " names mesh @" + sharding.meshName() + ", which the module does not declare",
                entry.location());
        if (mesh.totalSize() != partitions) {
            throw new ShardingException(what + ": " + sharding + " is on mesh " + mesh + " of " + mesh.totalSize() + " devices, but the program runs on "
                    + partitions + " partitions", entry.location());
        }
        ShardLayout layout;
        try {
            layout = ShardLayout.of(mesh, sharding, global.shape(), what);
        } catch (ShardingException e) {
            throw new ShardingException(e.getMessage(), entry.location());
        }
        return new Placed(what, global, mesh, sharding, TensorType.of(global.elementType(), layout.localShape()));
    }
}
