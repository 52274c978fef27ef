package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;

import java.util.ArrayList;
import java.util.List;

/**
 * Refuses a sharding that does not describe a block layout of a shape on a mesh: wrong rank, an unknown axis, an axis
 * (or overlapping sub-axes) used twice, a malformed sub-axis, a dimension not divisible by its shard count. Each
 * message names the tensor, the dimension, the axes and the sizes. (The runtime's {@code ShardLayout} applies the
 * same rules to data.)
 */
final class ShardingChecks {
    private ShardingChecks() {}

    static void check(MeshAttr mesh, TensorSharding sharding, long[] shape, String tensor, Location loc) {
        if (sharding.rank() != shape.length) {
            throw new ReshardException(tensor + " has rank " + shape.length + " but the sharding " + sharding + " has "
                    + sharding.rank() + " dimension shardings", loc);
        }
        List<AxisRef> used = new ArrayList<>();
        List<String> where = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) {
            for (AxisRef a : sharding.axesOfDim(d)) {
                ref(mesh, a, tensor + " dimension " + d + " (sharding " + sharding + ")", loc);
                claim(used, where, a, "dimension " + d, tensor, sharding, loc);
            }
        }
        for (AxisRef a : sharding.unreducedAxes()) {
            ref(mesh, a, tensor + " unreduced axes (sharding " + sharding + ")", loc);
            claim(used, where, a, "unreduced", tensor, sharding, loc);
        }
        for (AxisRef a : sharding.replicatedAxes()) {
            ref(mesh, a, tensor + " replicated axes (sharding " + sharding + ")", loc);
            claim(used, where, a, "replicated", tensor, sharding, loc);
        }
        for (int d = 0; d < shape.length; d++) {
            List<AxisRef> axes = sharding.axesOfDim(d);
            long n = 1;
            List<Long> sizes = new ArrayList<>();
            for (AxisRef a : axes) {
                n *= a.size(mesh);
                sizes.add(a.size(mesh));
            }
            if (shape[d] % n != 0) {
                throw new ReshardException(tensor + " dimension " + d + " of size " + shape[d] + " is not divisible by its " + n
                        + " shards: axes " + axes + " of sizes " + sizes + " (nothing is padded)", loc);
            }
        }
    }

    private static void ref(MeshAttr mesh, AxisRef a, String where, Location loc) {
        long axis = mesh.axisSize(a.name());
        if (axis < 0) throw new ReshardException(where + ": unknown mesh axis \"" + a.name() + "\" (mesh axes " + mesh.axisNames() + ")", loc);
        if (a.isSubAxis() && (a.preSize() < 1 || a.size() < 1 || axis % (a.preSize() * a.size()) != 0)) {
            throw new ReshardException(where + ": sub-axis " + a + " does not fit axis \"" + a.name() + "\" of size " + axis
                    + " (pre-size times size must divide it)", loc);
        }
    }

    private static void claim(List<AxisRef> used, List<String> where, AxisRef a, String here, String tensor, TensorSharding s,
                              Location loc) {
        for (int i = 0; i < used.size(); i++) {
            AxisRef b = used.get(i);
            if (!b.name().equals(a.name())) continue;
            boolean overlap = !a.isSubAxis() || !b.isSubAxis()
                    || Math.max(a.preSize(), b.preSize()) < Math.min(a.preSize() * a.size(), b.preSize() * b.size());
            if (overlap) {
                throw new ReshardException(tensor + ": mesh axis \"" + a.name() + "\" is used twice (" + b + " in " + where.get(i)
                        + ", " + a + " in " + here + ") in sharding " + s, loc);
            }
        }
        used.add(a);
        where.add(here);
    }
}
