package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * Moves a local value from one sharding to another (same mesh). This stand-in keeps, per dimension, the
 * longest common major prefix of axes, all-gathers the rest of the source axes, then lets each device slice
 * its block of the target's remaining axes (a local dynamic_slice, no communication). Every gather happens
 * before any slice, so an axis moving between dimensions is always free when it is sliced on. It is correct
 * for any pair of shardings; the reshard planner (least communication, all_to_all and collective_permute)
 * replaces it.
 */
final class Resharder {
    private final CollectiveEmitter emit;

    Resharder(CollectiveEmitter emit) { this.emit = emit; }

    Value reshard(IrBuilder b, Value local, TensorType global, TensorSharding from, TensorSharding to, String what, Location loc) {
        if (!from.unreducedAxes().isEmpty() || !to.unreducedAxes().isEmpty()) {
            throw new Hlo4jException(what + ": unreduced axes are not supported by the partitioner (" + from + " -> " + to + ")", loc);
        }
        if (from.rank() != global.rank() || to.rank() != global.rank()) {
            throw new Hlo4jException(what + ": sharding rank does not match " + global + " (" + from + " -> " + to + ")", loc);
        }
        Value x = local;
        List<List<AxisRef>> slices = new ArrayList<>();
        for (int d = 0; d < global.rank(); d++) {
            List<AxisRef> f = from.axesOfDim(d), t = to.axesOfDim(d);
            int c = 0;
            while (c < f.size() && c < t.size() && f.get(c).equals(t.get(c))) c++;
            x = emit.allGather(b, x, d, f.subList(c, f.size()), loc);
            slices.add(t.subList(c, t.size()));
        }
        try {
            return emit.sliceBlocks(b, x, slices, loc);
        } catch (Hlo4jException e) {
            throw new Hlo4jException(what + " (" + global + ") to " + to + ": " + e.getMessage(), loc, e);
        }
    }
}
