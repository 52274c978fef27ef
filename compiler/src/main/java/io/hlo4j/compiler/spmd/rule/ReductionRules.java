package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.ir.Operation;

import static io.hlo4j.compiler.spmd.rule.FactorKind.NEED_REPLICATION;
import static io.hlo4j.compiler.spmd.rule.FactorKind.PASS_THROUGH;
import static io.hlo4j.compiler.spmd.rule.FactorKind.PERMUTATION;
import static io.hlo4j.compiler.spmd.rule.FactorKind.REDUCTION;
import static io.hlo4j.compiler.spmd.rule.RuleBuilder.NONE;

/**
 * Ops that combine elements along dimensions: reduce (reduced dimensions are reduction factors shared by all
 * inputs), windowed reductions, sort and top_k (the sorted dimension needs replication), batch norm, and the
 * linear-algebra ops whose matrix dimensions cannot be split.
 */
final class ReductionRules {
    private ReductionRules() {}

    static void install(ShardingRules.Installer in) {
        in.rule("stablehlo.reduce", ReductionRules::reduce);
        in.rule("stablehlo.reduce_window", ReductionRules::reduceWindow);
        in.rule("stablehlo.select_and_scatter", ReductionRules::selectAndScatter);
        in.rule("stablehlo.sort", ReductionRules::sort);
        in.rule("chlo.top_k", ReductionRules::topK);
        in.rule("stablehlo.batch_norm_inference", ReductionRules::batchNormInference);
        in.rule("stablehlo.batch_norm_training", ReductionRules::batchNormStatistics);
        in.rule("stablehlo.batch_norm_grad", ReductionRules::batchNormStatistics);
        in.rule("stablehlo.cholesky", op -> {
            long[] s = OpAttrs.operandShape(op, 0);
            return new RuleBuilder(op).pointwise(s, d -> d < s.length - 2 ? PASS_THROUGH : NEED_REPLICATION, false).build();
        });
        in.rule("stablehlo.triangular_solve", ReductionRules::triangularSolve);
        in.rule("stablehlo.fft", ReductionRules::fft);
    }

    /** Inputs then init values; one factor per input dimension, shared by every input (and result when kept). */
    static OpShardingRule reduce(Operation op) {
        long[] in = OpAttrs.operandShape(op, 0);
        long[] dims = OpAttrs.i64s(op, "dimensions");
        int numInputs = op.numResults();
        RuleBuilder b = new RuleBuilder(op);
        int out = 0;
        for (int d = 0; d < in.length; d++) {
            int[] od = RuleBuilder.none(op.numOperands());
            for (int k = 0; k < numInputs; k++) od[k] = d;
            int[] rd = RuleBuilder.none(numInputs);
            if (OpAttrs.contains(dims, d)) {
                b.factor(od, rd, in[d], REDUCTION);
            } else {
                java.util.Arrays.fill(rd, out++);
                b.factor(od, rd, in[d]);
            }
        }
        return b.build();
    }

    /**
     * A window of size 1, stride 1, no padding and no base dilation maps elements one to one (a base dilation
     * changes the dimension's size); other dimensions are permutations.
     */
    static boolean windowPassThrough(Operation op, int d) {
        long[] padding = longsOrNull(op, "padding"), windowDims = OpAttrs.i64sOrNull(op, "window_dimensions");
        long[] strides = OpAttrs.i64sOrNull(op, "window_strides"), base = OpAttrs.i64sOrNull(op, "base_dilations");
        if (padding != null && (padding[2 * d] != 0 || padding[2 * d + 1] != 0)) return false;
        return (strides == null || strides[d] == 1) && (windowDims == null || windowDims[d] == 1) && (base == null || base[d] == 1);
    }

    /**
     * Windowed dimensions are permutation factors (Shardy's non-conservative rule): sharding them needs halo data
     * from neighbours, which the partitioner exchanges itself (partition/HaloOps) when the result is split there.
     */
    static OpShardingRule reduceWindow(Operation op) {
        return new RuleBuilder(op).pointwise(OpAttrs.resultShape(op, 0),
                d -> windowPassThrough(op, d) ? PASS_THROUGH : PERMUTATION, false).build();
    }

    /** (operand, source, init) -> result. */
    static OpShardingRule selectAndScatter(Operation op) {
        long[] out = OpAttrs.resultShape(op, 0), src = OpAttrs.operandShape(op, 1);
        RuleBuilder b = new RuleBuilder(op);
        for (int d = 0; d < out.length; d++) {
            if (windowPassThrough(op, d)) {
                b.factorOnAll(d, out[d], PASS_THROUGH);
                continue;
            }
            b.factor(new int[] {NONE, d, NONE}, new int[] {NONE}, src[d], NEED_REPLICATION);
            b.factor(new int[] {d, NONE, NONE}, new int[] {d}, out[d], PERMUTATION);
        }
        return b.build();
    }

    private static long[] longsOrNull(Operation op, String name) {
        Attribute a = op.attr(name);
        return a == null ? null : OpAttrs.i64sOrNull(op, name);
    }

    /**
     * top_k reads its last dimension whole: that factor needs replication (blocked) even when k is the dimension's size
     * (a whole sort, where the sizes match and a pointwise rule would pass the split through); the others pass through.
     */
    static OpShardingRule topK(Operation op) {
        long[] s = OpAttrs.operandShape(op, 0);
        return new RuleBuilder(op).pointwise(s, d -> d == s.length - 1 ? NEED_REPLICATION : PASS_THROUGH, true).build();
    }

    /** The sorted dimension needs replication; it is also blocked when every other dimension has size 1. */
    static OpShardingRule sort(Operation op) {
        long[] s = OpAttrs.operandShape(op, 0);
        long dim = OpAttrs.i64(op, "dimension", -1);
        if (dim < 0) dim += s.length;
        boolean blocked = true;
        for (int d = 0; d < s.length; d++) blocked &= d == dim || s[d] == 1;
        RuleBuilder b = new RuleBuilder(op);
        for (int d = 0; d < s.length; d++) {
            if (d == dim) b.factorOnAll(d, s[d], NEED_REPLICATION, blocked);
            else b.factorOnAll(d, s[d], PASS_THROUGH);
        }
        return b.build();
    }

    /** (operand, scale, offset, mean, variance) -> result: the feature dimension is shared with the 1-D operands. */
    static OpShardingRule batchNormInference(Operation op) {
        long[] s = OpAttrs.operandShape(op, 0);
        long f = OpAttrs.i64(op, "feature_index");
        RuleBuilder b = new RuleBuilder(op);
        for (int d = 0; d < s.length; d++) {
            int[] od = new int[op.numOperands()];
            java.util.Arrays.fill(od, d == f ? 0 : NONE);
            od[0] = d;
            b.factor(od, new int[] {d}, s[d]);
        }
        return b.build();
    }

    /**
     * batch_norm_training (operand, scale, offset -> output, mean, variance) and batch_norm_grad (operand, scale,
     * mean, variance, grad_output -> grad_operand, grad_scale, grad_offset): the feature dimension passes through
     * everything; the other dimensions feed the batch statistics, so they need replication.
     */
    static OpShardingRule batchNormStatistics(Operation op) {
        long[] s = OpAttrs.operandShape(op, 0);
        long f = OpAttrs.i64(op, "feature_index");
        boolean grad = op.name().endsWith("grad");
        RuleBuilder b = new RuleBuilder(op);
        for (int d = 0; d < s.length; d++) {
            int[] od = new int[op.numOperands()], rd = new int[op.numResults()];
            java.util.Arrays.fill(od, d == f ? 0 : NONE);
            java.util.Arrays.fill(rd, d == f ? 0 : NONE);
            od[0] = d;
            if (grad) od[4] = d;
            rd[0] = d;
            b.factor(od, rd, s[d], d == f ? PASS_THROUGH : NEED_REPLICATION);
        }
        return b.build();
    }

    /** (a, b) -> x: batch dimensions pass through; the matrix dimensions need replication, as in Shardy. */
    static OpShardingRule triangularSolve(Operation op) {
        long[] a = OpAttrs.operandShape(op, 0), bs = OpAttrs.operandShape(op, 1);
        int n = a.length, d1 = n - 2, d2 = n - 1;
        long[] batch = java.util.Arrays.copyOf(a, n - 2);
        boolean transposed = op.attr("transpose_a") != null && !op.attr("transpose_a").toString().contains("NO_TRANSPOSE");
        RuleBuilder b = new RuleBuilder(op).pointwise(batch);
        if (OpAttrs.bool(op, "left_side")) {
            int aNon = transposed ? d2 : d1, aCon = transposed ? d1 : d2;
            b.factor(new int[] {aNon, d1}, new int[] {NONE}, a[aNon], NEED_REPLICATION);
            b.factor(new int[] {NONE, d2}, new int[] {d2}, bs[d2], NEED_REPLICATION);
            b.factor(new int[] {aCon, NONE}, new int[] {d1}, a[aCon], NEED_REPLICATION);
        } else {
            int aNon = transposed ? d1 : d2, aCon = transposed ? d2 : d1;
            b.factor(new int[] {NONE, d1}, new int[] {d1}, bs[d1], NEED_REPLICATION);
            b.factor(new int[] {aNon, d2}, new int[] {NONE}, a[aNon], NEED_REPLICATION);
            b.factor(new int[] {aCon, NONE}, new int[] {d2}, a[aCon], NEED_REPLICATION);
        }
        return b.build();
    }

    /** Leading dimensions are batch; the transformed ones need replication (the last blocked when its size changes). */
    static OpShardingRule fft(Operation op) {
        long[] in = OpAttrs.operandShape(op, 0), out = OpAttrs.resultShape(op, 0);
        int fftRank = OpAttrs.i64s(op, "fft_length").length;
        RuleBuilder b = new RuleBuilder(op);
        for (int d = 0; d < in.length; d++) {
            if (d < in.length - fftRank) b.factorOnAll(d, in[d], PASS_THROUGH);
            else if (d < in.length - 1) b.factorOnAll(d, in[d], NEED_REPLICATION);
            else b.factorOnAll(d, in[d], NEED_REPLICATION, in[d] != out[d]);
        }
        return b.build();
    }
}
