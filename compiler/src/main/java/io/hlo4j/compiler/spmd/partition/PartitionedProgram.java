package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.types.TensorType;

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
}
