package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.reshard.ReshardEmitter;
import io.hlo4j.compiler.spmd.reshard.ReshardPlan;
import io.hlo4j.compiler.spmd.reshard.ReshardPlanner;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

/**
 * Moves a local block from one sharding to another through the reshard planner (least modeled time under its block cap: ReshardCost.DEFAULT), with
 * channel handles drawn from the module's one counter so they stay unique. Failures name what was being
 * resharded (an op's operand, a result, a constraint).
 */
final class Resharder {
    private final CollectiveEmitter emit;
    private final MeshAttr mesh;

    Resharder(CollectiveEmitter emit, MeshAttr mesh) {
        this.emit = emit;
        this.mesh = mesh;
    }

    Value reshard(IrBuilder b, Value local, TensorType global, TensorSharding from, TensorSharding to, String what, Location loc) {
        try {
            ReshardPlan plan = ReshardPlanner.plan(mesh, global, from, to, loc);
            return ReshardEmitter.emit(plan, b, local, () -> emit.channel().handle(), loc);
        } catch (Hlo4jException e) {
            throw new Hlo4jException(what + " (" + global + ", " + from + " -> " + to + "): " + e.getMessage(), loc, e);
        }
    }
}
