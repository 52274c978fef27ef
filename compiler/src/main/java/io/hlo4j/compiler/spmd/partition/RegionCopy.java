package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Deep copies of regions (reduce bodies, comparators, all_reduce combiners) and ops into the partitioned program,
 * through {@link Cloner}: the IR is immutable and a region belongs to one op, so each use gets its own copy. Scalar
 * bodies keep their types; {@code sdy.sharding} attributes are dropped on the way (the local program is unsharded).
 */
final class RegionCopy {
    private RegionCopy() {}

    /** What a copy into the local program keeps: everything but {@code sdy.sharding}. */
    static final Cloner.Options LOCAL = Cloner.Options.KEEP.dropping(Partitioner.SHARDING);

    static Region copy(Region r) { return copy(r, new HashMap<>(), null); }

    /** {@code channels} (null: keep them) gives every copied op that has a channel handle a fresh one, nested ops included. */
    static Region copy(Region r, Map<Value, Value> map, Supplier<ChannelHandle> channels) {
        return Cloner.copy(r, map, LOCAL.renumbering(channels));
    }

    /** A builder for a copy of {@code op} with operands mapped (unmapped ones kept) and regions copied. */
    static Operation.Builder copy(Operation op, Map<Value, Value> map, Supplier<ChannelHandle> channels) {
        return Cloner.copy(op, map, LOCAL.renumbering(channels));
    }
}
