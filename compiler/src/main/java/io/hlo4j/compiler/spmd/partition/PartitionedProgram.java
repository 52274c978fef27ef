package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.sdy.SdyOps;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of partitioning: the explicit per-device module ({@code @main} on local shapes, explicit
 * collectives, {@code mhlo.num_partitions = devices}), the mesh, and the global types and shardings of
 * {@code @main}'s arguments and results, which say how to split the inputs and assemble the outputs.
 */
public record PartitionedProgram(Module module, MeshAttr mesh, int devices, List<TensorType> argTypes,
                                 List<TensorSharding> argShardings, List<TensorType> resultTypes,
                                 List<TensorSharding> resultShardings, PartitionReport report,
                                 Map<String, MeshAttr> meshes) {
    public PartitionedProgram {
        argTypes = List.copyOf(argTypes);
        argShardings = List.copyOf(argShardings);
        resultTypes = List.copyOf(resultTypes);
        resultShardings = List.copyOf(resultShardings);
        meshes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(meshes));
    }

    /**
     * {@link #module} with the global program's meshes declared in front ({@code sdy.mesh @name = <...>}, in the
     * partitioner's order, its own mesh first). Nothing in the program refers to them (its types are local, its
     * collectives name devices; a shard_map JAX lowers differs: its manual computation names its mesh), but a reader of
     * the text ({@code inspect}) can say which mesh axes a collective's groups span. What {@code dump --emit explicit}
     * writes. It is marked with the discardable unit attribute {@code hlo4j.per_device_program}
     * ({@link io.hlo4j.mlir.dialect.sdy.MeshUse#PER_DEVICE_PROGRAM}): a hand-written module whose mesh nothing uses is a
     * replicated global program (JAX's reading), which {@code run --spmd} runs; the mark tells this one apart, and
     * {@code run --spmd} refuses it. That a PJRT plugin compiles a module with an unused {@code sdy.mesh} and this
     * attribute was checked against hlo4j's mock plugin only, not a real XLA (which keeps unknown dialect-prefixed
     * module attributes: they are discardable).
     */
    public Module moduleWithMeshes() {
        List<Operation> body = new ArrayList<>();
        meshes.forEach((name, m) -> body.add(Operation.builder(SdyOps.MESH).location(module.op().location())
                .property("sym_name", new StringAttr(name)).property("mesh", m).build()));
        for (Operation op : module.operations()) body.add(Cloner.copy(op, new IdentityHashMap<>()).build()); // ops have one parent
        io.hlo4j.mlir.attr.DictionaryAttr attrs = module.attributes() == null ? io.hlo4j.mlir.attr.DictionaryAttr.EMPTY : module.attributes();
        return Module.of(module.name(), attrs.with(io.hlo4j.mlir.dialect.sdy.MeshUse.PER_DEVICE_PROGRAM, io.hlo4j.mlir.attr.UnitAttr.INSTANCE),
                body, module.op().location());
    }
}
