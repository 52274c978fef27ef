package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpTrait;

/**
 * Ops whose every operand and result share one factor per dimension: the element-wise ops, select/clamp
 * (scalar operands take no factor), the implicitly broadcasting chlo forms, map, and the ops that pass a tensor
 * through unchanged (sharding_constraint, data-flow edges). all_reduce-like collectives are pointwise too, as in
 * Shardy: they compute the same function of each element.
 */
final class PointwiseRules {
    private PointwiseRules() {}

    static void install(ShardingRules.Installer in) {
        in.rule(op -> chloBroadcast(op), "chlo.broadcast_add", "chlo.broadcast_and", "chlo.broadcast_atan2",
                "chlo.broadcast_compare", "chlo.broadcast_complex", "chlo.broadcast_div", "chlo.broadcast_max",
                "chlo.broadcast_min", "chlo.broadcast_mul", "chlo.broadcast_next_after", "chlo.broadcast_or",
                "chlo.broadcast_polygamma", "chlo.broadcast_pow", "chlo.broadcast_rem", "chlo.broadcast_select",
                "chlo.broadcast_shift_left", "chlo.broadcast_shift_right_arithmetic", "chlo.broadcast_shift_right_logical",
                "chlo.broadcast_sub", "chlo.broadcast_xor", "chlo.broadcast_zeta");
        in.ruleForTrait(OpTrait.ELEMENTWISE, RuleBuilder::pointwiseOf);
        in.rule(RuleBuilder::pointwiseOf, "stablehlo.map", "sdy.sharding_constraint", "sdy.data_flow_edge",
                "sdy.func_data_flow_edge", "chlo.constant_like",
                // collectives that combine or move whole elements (Shardy: pointwise)
                "stablehlo.all_reduce", "stablehlo.collective_permute", "stablehlo.collective_broadcast",
                "stablehlo.collective_reduce", "stablehlo.cross-replica-sum");
    }

    /**
     * Numpy broadcasting: operand dimension {@code od} maps to result dimension {@code bd[od]} (right-aligned
     * without {@code broadcast_dimensions}); an operand dimension of size 1 under a larger result dimension is
     * expanded and takes its own size-1 factor.
     */
    static OpShardingRule chloBroadcast(Operation op) {
        long[] out = OpAttrs.resultShape(op, 0);
        int n = op.numOperands();
        long[][] shapes = new long[n][];
        int maxRank = 0;
        for (int k = 0; k < n; k++) {
            shapes[k] = OpAttrs.operandShape(op, k);
            maxRank = Math.max(maxRank, shapes[k].length);
        }
        long[] bdAttr = OpAttrs.i64sOrNull(op, "broadcast_dimensions");
        RuleBuilder b = new RuleBuilder(op);
        for (int d = 0; d < out.length; d++) {
            int[] od = RuleBuilder.none(n);
            for (int k = 0; k < n; k++) {
                int src = operandDimFor(shapes[k].length, maxRank, out.length, d, bdAttr);
                if (src >= 0 && shapes[k][src] == out[d]) od[k] = src;
            }
            int[] rd = RuleBuilder.none(op.numResults());
            for (int r = 0; r < rd.length; r++) rd[r] = d;
            b.factor(od, rd, out[d]);
        }
        return b.build();
    }

    private static int operandDimFor(int rank, int maxRank, int outRank, int outDim, long[] bd) {
        if (rank == outRank) return outDim;
        if (bd != null && rank < maxRank) {
            int i = OpAttrs.indexOf(bd, outDim);
            return i < rank ? i : -1;
        }
        int src = outDim - (outRank - rank);
        return src >= 0 ? src : -1;
    }
}
