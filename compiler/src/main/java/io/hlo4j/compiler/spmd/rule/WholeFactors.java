package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.Set;

/** The factors an op's local form keeps whole: the partitioner computes them unsplit, so propagation never splits an operand on them. */
public final class WholeFactors {
    private WholeFactors() {}

    /**
     * Factors the rule lets be split but a local op cannot: dynamic_update_slice clamps its start indices, so an
     * operand dimension wider than the update must stay whole (shifting the index would move the clamp). A reshape's
     * factors found on one side only (where the sizes share no common factor, as 3x2 to 2x1x3's 3 and 2): a block of
     * such a result dimension is no block of the operand, so a device holding the whole operand would reshape it into
     * a block of another element count; the result is computed whole there and then sliced to its sharding (an operand
     * split on such a factor of its own is gathered first).
     */
    public static Set<Integer> of(Operation op, OpShardingRule rule) {
        Set<Integer> out = new java.util.HashSet<>();
        if (op.name().equals("stablehlo.dynamic_update_slice")) {
            TensorType operand = (TensorType) op.operand(0).type(), update = (TensorType) op.operand(1).type();
            for (int d = 0; d < operand.rank(); d++) if (operand.dim(d) != update.dim(d)) out.addAll(rule.operandDimFactors(0, d));
        }
        if (op.name().equals("stablehlo.reshape")) {
            Set<Integer> in = factorsOf(rule.operandMappings().get(0)), res = factorsOf(rule.resultMappings().get(0));
            for (int f = 0; f < rule.numFactors(); f++) if (in.contains(f) != res.contains(f) && rule.factorSizes().get(f) > 1) out.add(f);
        }
        return out;
    }

    private static Set<Integer> factorsOf(List<List<Integer>> dims) {
        Set<Integer> out = new java.util.HashSet<>();
        for (List<Integer> d : dims) out.addAll(d);
        return out;
    }
}
