package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.func.FuncOps;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.Map;

/** Bytes of one device's shard of a globally typed value, from the sharding Shardy recorded for it. */
final class ShardBytes {
    private ShardBytes() {}

    /** The shard bytes of {@code v} under its recorded sharding; the whole tensor when none is recorded. */
    static long of(Value v, Map<String, MeshAttr> meshes) {
        TensorSharding s = shardingOf(v);
        return s == null ? TensorBytes.of(v.type()) : of(v.type(), s, meshes);
    }

    static long of(Type type, TensorSharding s, Map<String, MeshAttr> meshes) {
        MeshAttr mesh = s.resolveMesh(meshes);
        if (mesh == null || !(type instanceof TensorType t) || s.rank() != t.rank()) return TensorBytes.of(type);
        long elements = 1;
        for (int d = 0; d < t.rank(); d++) {
            long n = 1;
            for (AxisRef r : s.axesOfDim(d)) n *= Math.max(1, r.size(mesh));
            elements *= t.isDynamicDim(d) ? 1 : (t.dim(d) + n - 1) / n;
        }
        return elements * TensorBytes.elementBytes(t.elementType());
    }

    /** A function argument's {@code sdy.sharding}, or an op result's out sharding / sharding per value. */
    static TensorSharding shardingOf(Value v) {
        switch (v) {
            case BlockArgument a -> {
                Operation func = a.owner() == null || a.owner().parent() == null ? null : a.owner().parent().parent();
                if (func == null || !func.name().equals("func.func")) return null;
                DictionaryAttr attrs = FuncOps.argAttrs(func, a.index());
                return attrs != null && attrs.get("sdy.sharding") instanceof TensorSharding s ? s : null;
            }
            case OpResult r -> {
                Operation o = r.owner();
                if (o.attr("out_sharding") instanceof TensorSharding s) return s;
                if (o.attr("sharding") instanceof TensorSharding s) return s;
                if (o.attr("sdy.sharding") instanceof TensorShardingPerValue pv && r.index() < pv.size()) return pv.get(r.index());
                return null;
            }
        }
    }
}
