package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.BlockLayoutCheck;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;

/**
 * Refuses a sharding that does not describe a block layout of a shape on a mesh: wrong rank, an unknown axis, an axis
 * (or overlapping sub-axes) used twice, a malformed sub-axis, a dimension not divisible by its shard count. Each
 * message names the tensor, the dimension, the axes and the sizes: {@link BlockLayoutCheck}, the rule the runtime's
 * {@code ShardLayout} applies to data too, with the user's location attached.
 */
final class ShardingChecks {
    private ShardingChecks() {}

    static void check(MeshAttr mesh, TensorSharding sharding, long[] shape, String tensor, Location loc) {
        String problem = BlockLayoutCheck.problem(mesh, sharding, shape, tensor);
        if (problem != null) throw new ReshardException(problem, loc);
    }
}
