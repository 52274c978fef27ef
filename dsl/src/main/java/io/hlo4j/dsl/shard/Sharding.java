package io.hlo4j.dsl.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.Trace;
import io.hlo4j.mlir.dialect.sdy.SdyOps;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;

import java.util.List;
import java.util.Map;

/** Sharding annotations inside a traced function (JAX's {@code with_sharding_constraint}). */
public final class Sharding {
    private Sharding() {}

    /**
     * Emits {@code sdy.sharding_constraint %x <@mesh, [...]>}: a hint that {@code x} should have this sharding
     * here. Only inside a {@link ShardedJit} trace (which declares the mesh in the module); the tensor's
     * dimensions must divide by their axes.
     */
    public static Tensor withShardingConstraint(Tensor x, NamedSharding sharding) {
        Location loc = SourceLoc.here();
        String op = "withShardingConstraint";
        MeshScope scope = MeshScope.current();
        if (scope == null) {
            throw new DslException(op, "needs a sharded jit (ShardedJit), which declares mesh @" + sharding.mesh().name()
                    + " in the module; this trace has no mesh", loc);
        }
        Trace cur = Trace.current(op, loc);
        if (!cur.ir().isVisible(x.value())) {
            throw new DslException(op, "tensor " + x.describe() + " is used outside its trace", loc);
        }
        sharding.check(x.dims(), "tensor " + x.describe(), op);
        scope.add(sharding.mesh(), op, loc);
        List<OpResult> r = cur.ir().emit(SdyOps.SHARDING_CONSTRAINT, List.of(x.value()), Map.of("sharding", sharding.toSdy(x.rank())),
                List.of(), List.of(x.type()), loc);
        return new Tensor(r.get(0));
    }
}
