package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;

import java.util.List;

import static io.hlo4j.compiler.spmd.rule.FactorKind.NEED_REPLICATION;
import static io.hlo4j.compiler.spmd.rule.FactorKind.PASS_THROUGH;
import static io.hlo4j.compiler.spmd.rule.FactorKind.REDUCTION;
import static io.hlo4j.compiler.spmd.rule.RuleBuilder.NONE;

/**
 * Contractions: dot_general (batch, lhs non-contracting, rhs non-contracting, then contracting as reduction
 * factors, in Shardy's order), legacy dot, convolution and chlo.ragged_dot.
 */
final class ContractionRules {
    private ContractionRules() {}

    static void install(ShardingRules.Installer in) {
        in.rule("stablehlo.dot_general", ContractionRules::dotGeneral);
        in.rule("stablehlo.dot", ContractionRules::dot);
        in.rule("stablehlo.convolution", ContractionRules::convolution);
        in.rule("chlo.ragged_dot", ContractionRules::raggedDot);
    }

    static OpShardingRule dotGeneral(Operation op) {
        DotDimensionNumbers dn = OpAttrs.get(op, "dot_dimension_numbers", DotDimensionNumbers.class);
        long[] lb = dn.lhsBatchingDimensions().toArray(), rb = dn.rhsBatchingDimensions().toArray();
        long[] lc = dn.lhsContractingDimensions().toArray(), rc = dn.rhsContractingDimensions().toArray();
        long[] lhs = OpAttrs.operandShape(op, 0), rhs = OpAttrs.operandShape(op, 1);
        RuleBuilder b = new RuleBuilder(op);
        int out = 0;
        for (int k = 0; k < lb.length; k++) b.factor(new int[] {(int) lb[k], (int) rb[k]}, new int[] {out++}, lhs[(int) lb[k]]);
        for (int i = 0; i < lhs.length; i++) {
            if (!OpAttrs.contains(lc, i) && !OpAttrs.contains(lb, i)) b.factor(new int[] {i, NONE}, new int[] {out++}, lhs[i]);
        }
        for (int i = 0; i < rhs.length; i++) {
            if (!OpAttrs.contains(rc, i) && !OpAttrs.contains(rb, i)) b.factor(new int[] {NONE, i}, new int[] {out++}, rhs[i]);
        }
        for (int k = 0; k < lc.length; k++) {
            b.factor(new int[] {(int) lc[k], (int) rc[k]}, new int[] {NONE}, lhs[(int) lc[k]], REDUCTION);
        }
        return b.build();
    }

    static OpShardingRule dot(Operation op) {
        long[] lhs = OpAttrs.operandShape(op, 0), rhs = OpAttrs.operandShape(op, 1);
        boolean lm = lhs.length == 2, rm = rhs.length == 2;
        RuleBuilder b = new RuleBuilder(op);
        if (lm) b.factor(new int[] {0, NONE}, new int[] {0}, lhs[0]);
        if (rm) b.factor(new int[] {NONE, 1}, new int[] {lm ? 1 : 0}, rhs[1]);
        b.factor(new int[] {lm ? 1 : 0, 0}, new int[] {NONE}, rhs[0], REDUCTION);
        return b.build();
    }

    /**
     * Batch (per batch group), output feature and input feature (a reduction) as Shardy has them; each spatial
     * dimension of input, kernel and output is its own need-replication factor (Shardy instead splits the input
     * spatial dimension into window-count and window-size factors; our partitioner serves a split result spatial
     * dimension with halos of the input, partition/HaloOps).
     */
    static OpShardingRule convolution(Operation op) {
        ConvDimensionNumbers dn = OpAttrs.get(op, "dimension_numbers", ConvDimensionNumbers.class);
        long[] lhs = OpAttrs.operandShape(op, 0), rhs = OpAttrs.operandShape(op, 1), out = OpAttrs.resultShape(op, 0);
        long batchGroups = OpAttrs.i64(op, "batch_group_count", 1), featureGroups = OpAttrs.i64(op, "feature_group_count", 1);
        int ib = (int) dn.inputBatchDimension(), iF = (int) dn.inputFeatureDimension();
        int ki = (int) dn.kernelInputFeatureDimension(), ko = (int) dn.kernelOutputFeatureDimension();
        int ob = (int) dn.outputBatchDimension(), oF = (int) dn.outputFeatureDimension();
        RuleBuilder b = new RuleBuilder(op);
        if (batchGroups > 1) b.factor(new int[] {ib, ko}, new int[] {oF}, batchGroups);
        b.factor(new int[] {ib, NONE}, new int[] {ob}, out[ob]);
        for (int s = 0; s < dn.inputSpatialDimensions().size(); s++) {
            int l = (int) dn.inputSpatialDimensions().get(s), k = (int) dn.kernelSpatialDimensions().get(s);
            int o = (int) dn.outputSpatialDimensions().get(s);
            b.factor(new int[] {l, NONE}, new int[] {NONE}, lhs[l], NEED_REPLICATION);
            b.factor(new int[] {NONE, k}, new int[] {NONE}, rhs[k], NEED_REPLICATION);
            b.factor(new int[] {NONE, NONE}, new int[] {o}, out[o], NEED_REPLICATION);
        }
        if (featureGroups > 1) b.factor(new int[] {iF, ko}, new int[] {oF}, featureGroups);
        b.factor(new int[] {iF, ki}, new int[] {NONE}, rhs[ki], REDUCTION);
        long outFeatures = out[oF] / (batchGroups * featureGroups);
        if (outFeatures > 1) b.factor(new int[] {NONE, ko}, new int[] {oF}, outFeatures);
        return b.build();
    }

    /**
     * chlo.ragged_dot(lhs, rhs, group_sizes): batch, free and contracting factors as for dot_general; the ragged
     * lhs dimension and every group_sizes dimension need replication (sharding them would split groups across
     * devices). The rhs group dimension (ragged non-contracting mode, 1-D group_sizes) is a reduction factor of
     * its own, where Shardy makes it need replication and shares it with group_sizes: a device holding some of
     * the groups computes the rows of those groups and zeros elsewhere, and the sum over the devices is the
     * result. So expert kernels split over the expert axes stay split (docs/sharding-propagation.md).
     */
    static OpShardingRule raggedDot(Operation op) {
        RaggedDotDimensionNumbers dn = OpAttrs.get(op, "ragged_dot_dimension_numbers", RaggedDotDimensionNumbers.class);
        long[] lhs = OpAttrs.operandShape(op, 0), rhs = OpAttrs.operandShape(op, 1), gs = OpAttrs.operandShape(op, 2);
        long[] out = OpAttrs.resultShape(op, 0);
        List<Long> lb = dn.lhsBatchingDimensions(), rb = dn.rhsBatchingDimensions();
        List<Long> lc = dn.lhsContractingDimensions(), rc = dn.rhsContractingDimensions();
        long ragged = dn.lhsRaggedDimensions().get(0);
        List<Long> rg = dn.rhsGroupDimensions();
        boolean raggedContracting = lc.contains(ragged);
        RuleBuilder b = new RuleBuilder(op);
        int o = 0;
        if (raggedContracting) b.factor(new int[] {NONE, NONE, NONE}, new int[] {o++}, out[0], NEED_REPLICATION);
        for (int k = 0; k < lb.size(); k++) {
            int l = (int) (long) lb.get(k), r = (int) (long) rb.get(k);
            b.factor(new int[] {l, r, NONE}, new int[] {o++}, lhs[l], l == ragged ? NEED_REPLICATION : PASS_THROUGH);
        }
        for (int i = 0; i < lhs.length; i++) {
            if (lc.contains((long) i) || lb.contains((long) i)) continue;
            b.factor(new int[] {i, NONE, NONE}, new int[] {o++}, lhs[i], i == ragged ? NEED_REPLICATION : PASS_THROUGH);
        }
        for (int i = 0; i < rhs.length; i++) {
            if (rc.contains((long) i) || rb.contains((long) i)) continue;
            if (rg.contains((long) i)) {
                // each device multiplies the rows of the groups it holds; the other rows come out zero, so the
                // local results are partial sums over the axes that split the groups
                b.factor(new int[] {NONE, i, NONE}, new int[] {NONE}, rhs[i], gs.length == 1 ? REDUCTION : NEED_REPLICATION);
                continue;
            }
            b.factor(new int[] {NONE, i, NONE}, new int[] {o++}, rhs[i]);
        }
        for (int k = 0; k < lc.size(); k++) {
            int l = (int) (long) lc.get(k), r = (int) (long) rc.get(k);
            b.factor(new int[] {l, r, NONE}, new int[] {NONE}, lhs[l], l == ragged ? NEED_REPLICATION : REDUCTION);
        }
        for (int d = 0; d < gs.length; d++) b.factor(new int[] {NONE, NONE, d}, new int[] {NONE}, gs[d], NEED_REPLICATION);
        return b.build();
    }
}
