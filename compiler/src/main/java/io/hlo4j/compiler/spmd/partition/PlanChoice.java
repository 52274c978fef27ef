package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.reshard.ReshardPlanner;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Picks the factor plan of a contraction (dot_general, chlo.ragged_dot, convolution) by the bytes it moves. When one
 * mesh axis is wanted by two factors (FSDP: the batch factor split on the activation and the result, the contracting
 * factor split on the weight), the default plan ({@link FactorPlan}: an operand's contracting split is kept, the partial
 * sum finished by a collective) moves the activation to the contracting split and reduce-scatters the result; the other
 * way gives the axis to the result's factor and moves the weight, as XLA's dot handler does when that is cheaper. Each
 * candidate is costed as the reshard planner's bytes (busiest device, {@link io.hlo4j.compiler.spmd.reshard.ReshardPlan#maxBytes()},
 * under the same cost model the partitioner emits with) of bringing every operand to what the plan needs plus finishing
 * and resharding every result to its target. The default plan is kept unless another moves strictly fewer bytes without
 * more work per device ({@link FactorPlan#localWork}; a ragged_dot's both on its busiest device, its kernel groups not
 * dividing it, and with its rows spread evenly over the groups): fewer bytes never buy a replicated computation.
 */
final class PlanChoice {
    private PlanChoice() {}

    /**
     * The ops whose plan is chosen by bytes: those whose every move {@link #bytes} sees. A ragged_dot's group split is a
     * reduction factor like a contraction, so both plans are exact (its local op takes the device's groups either way).
     * A convolution's split spatial dimensions add halos after the plan ({@link HaloOps#convolutionHalos}), which the
     * bytes here do not count, so it is chosen by bytes only when its result has no spatial dimension split.
     */
    static boolean applies(Operation op, List<TensorSharding> targets) {
        return switch (op.name()) {
            case "stablehlo.dot_general", "chlo.ragged_dot" -> true;
            case "stablehlo.convolution" -> {
                var dn = (io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers) op.attr("dimension_numbers");
                for (long d : dn.outputSpatialDimensions().toArray()) if (!targets.get(0).axesOfDim((int) d).isEmpty()) yield false;
                yield true;
            }
            default -> false;
        };
    }

    /** @param byBytes false keeps the default plan ({@link PartitionOptions#planByBytes()}) */
    static FactorPlan choose(Operation op, OpShardingRule rule, MeshAttr mesh, DeviceGrid grid, List<TensorSharding> operands,
                             List<TensorSharding> targets, boolean reducing, Set<Integer> whole, String meshName, boolean byBytes) {
        FactorPlan first = FactorPlan.plan(rule, grid, operands, targets, reducing, whole);
        if (!byBytes || !applies(op, targets)) return first;
        List<FactorPlan> others = new ArrayList<>();
        others.add(FactorPlan.plan(rule, grid, operands, targets, reducing, whole, true));
        if (reducing) others.add(FactorPlan.plan(rule, grid, operands, targets, false, whole));
        FactorPlan best = first;
        long bestBytes = -1;
        Set<Integer> undivided = undividedFactors(op, rule);
        for (FactorPlan cand : others) {
            if (cand.sameAxes(first) || cand.sameAxes(best)) continue;
            // bytes are not the only cost: a plan that computes more per device (e.g. the whole dot on every device
            // after gathering both operands) is not taken to save traffic. A ragged_dot's work is counted both ways: on
            // the busiest device (its groups not dividing it) and with the rows spread evenly over the groups (dividing
            // it), so a plan neither trades a real split for one of the groups nor gathers split experts to save bytes
            if (cand.localWork(undivided) > first.localWork(undivided) || cand.localWork(Set.of()) > first.localWork(Set.of())) continue;
            if (bestBytes < 0) {
                bestBytes = bytes(op, mesh, first, operands, targets, meshName);
                if (bestBytes == Long.MAX_VALUE) return first;
            }
            long b = bytes(op, mesh, cand, operands, targets, meshName);
            if (b < bestBytes) {
                best = cand;
                bestBytes = b;
            }
        }
        return best;
    }

    /**
     * The factors that do not multiply a device's work ({@link FactorPlan#localWork}): a ragged_dot's groups, in its
     * kernels' group dimension and in group_sizes (never split). Each row is multiplied by its own group's kernel only,
     * so a device holding some of the groups still computes up to every row: its local op's leading all-zero group
     * takes all rows before its first group, and the device holding the last groups computes them all.
     */
    static Set<Integer> undividedFactors(Operation op, OpShardingRule rule) {
        if (!op.name().equals("chlo.ragged_dot")) return Set.of();
        var dn = (io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers) op.attr("ragged_dot_dimension_numbers");
        Set<Integer> out = new java.util.HashSet<>();
        for (long g : dn.rhsGroupDimensions()) out.addAll(rule.operandDimFactors(1, (int) g));
        for (int d = 0; d < rule.operandMappings().get(2).size(); d++) out.addAll(rule.operandDimFactors(2, d));
        return out;
    }

    /**
     * Bytes the busiest device receives to compute {@code op} by {@code plan}: every operand moved to the plan's
     * sharding, every local result's partial sum finished and the result moved to its target. MAX_VALUE when a move
     * has no plan (the candidate is then not taken).
     */
    static long bytes(Operation op, MeshAttr mesh, FactorPlan plan, List<TensorSharding> operands, List<TensorSharding> targets, String meshName) {
        long total = 0;
        try {
            for (int i = 0; i < op.numOperands(); i++) {
                TensorSharding need = plan.operand(i, meshName);
                if (Partitioner.sameLayout(operands.get(i), need)) continue;
                total += ReshardPlanner.plan(mesh, (TensorType) op.operand(i).type(), operands.get(i), need).maxBytes();
            }
            List<AxisRef> partial = plan.reductionAxes();
            for (int r = 0; r < op.numResults(); r++) {
                TensorSharding have = plan.result(r, meshName);
                // the partial sum pending over the split reduction factors: the planner finishes it (all_reduce or
                // reduce_scatter) unless the target keeps those axes unreduced
                if (!partial.isEmpty()) have = Unreduced.with(have, partial, "sum");
                if (Partitioner.sameLayout(have, targets.get(r))) continue;
                total += ReshardPlanner.plan(mesh, (TensorType) op.result(r).type(), have, targets.get(r)).maxBytes();
            }
        } catch (Hlo4jException e) {
            return Long.MAX_VALUE;
        }
        return total;
    }
}
