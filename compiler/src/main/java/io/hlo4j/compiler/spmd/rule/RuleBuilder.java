package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Builds an {@link OpShardingRule} factor by factor, the way Shardy's rule builder does, so the printed rules
 * match Shardy's: factors are numbered in the order they are added; a size-1 factor is not appended to a
 * dimension that already has a factor; every dimension left without a factor gets its own size-1 factor at
 * {@link #build()} time (operands first, then results). Non-tensor values (tokens, tuples) have rank 0.
 */
public final class RuleBuilder {
    /** A tensor dimension that does not take part in a factor. */
    public static final int NONE = -1;

    private final List<List<List<Integer>>> operands = new ArrayList<>();
    private final List<List<List<Integer>>> results = new ArrayList<>();
    private final List<Long> sizes = new ArrayList<>();
    private final List<Integer> reduction = new ArrayList<>();
    private final List<Integer> needReplication = new ArrayList<>();
    private final List<Integer> permutation = new ArrayList<>();
    private final List<Integer> blocked = new ArrayList<>();

    public RuleBuilder(List<Type> operandTypes, List<Type> resultTypes) {
        for (Type t : operandTypes) operands.add(emptyMapping(rank(t)));
        for (Type t : resultTypes) results.add(emptyMapping(rank(t)));
    }

    public RuleBuilder(Operation op) { this(op.operandTypes(), op.resultTypes()); }

    private static List<List<Integer>> emptyMapping(int rank) {
        List<List<Integer>> m = new ArrayList<>();
        for (int i = 0; i < rank; i++) m.add(new ArrayList<>());
        return m;
    }

    static int rank(Type t) { return t instanceof TensorType tt ? tt.rank() : 0; }

    private int reserve(long size, FactorKind kind, boolean isBlocked) {
        int f = sizes.size();
        sizes.add(size);
        if (isBlocked) blocked.add(f);
        switch (kind) {
            case REDUCTION -> reduction.add(f);
            case NEED_REPLICATION -> needReplication.add(f);
            case PERMUTATION -> permutation.add(f);
            case PASS_THROUGH -> { }
        }
        return f;
    }

    private static void map(List<List<List<Integer>>> tensors, int[] dims, int f, long size) {
        if (dims.length != tensors.size()) {
            throw new IllegalArgumentException("factor maps " + dims.length + " dims onto " + tensors.size() + " tensors");
        }
        for (int t = 0; t < dims.length; t++) {
            if (dims[t] == NONE) continue;
            List<Integer> factors = tensors.get(t).get(dims[t]);
            if (size == 1 && !factors.isEmpty()) continue;
            factors.add(f);
        }
    }

    private static void mapAll(List<List<List<Integer>>> tensors, int dim, int f) {
        for (List<List<Integer>> t : tensors) if (!t.isEmpty()) t.get(dim).add(f);
    }

    /** A factor on dimension {@code operandDims[k]} of operand k and {@code resultDims[k]} of result k ({@link #NONE}: absent). */
    public RuleBuilder factor(int[] operandDims, int[] resultDims, long size, FactorKind kind, boolean isBlocked) {
        int f = reserve(size, kind, isBlocked);
        map(operands, operandDims, f, size);
        map(results, resultDims, f, size);
        return this;
    }

    public RuleBuilder factor(int[] operandDims, int[] resultDims, long size, FactorKind kind) {
        return factor(operandDims, resultDims, size, kind, false);
    }

    public RuleBuilder factor(int[] operandDims, int[] resultDims, long size) {
        return factor(operandDims, resultDims, size, FactorKind.PASS_THROUGH, false);
    }

    /** A factor on dimension {@code dim} of every operand and result of non-zero rank. */
    public RuleBuilder factorOnAll(int dim, long size, FactorKind kind, boolean isBlocked) {
        int f = reserve(size, kind, isBlocked);
        mapAll(operands, dim, f);
        mapAll(results, dim, f);
        return this;
    }

    public RuleBuilder factorOnAll(int dim, long size, FactorKind kind) { return factorOnAll(dim, size, kind, false); }

    public RuleBuilder factorOnAllOperands(int dim, long size, FactorKind kind) {
        mapAll(operands, dim, reserve(size, kind, false));
        return this;
    }

    public RuleBuilder factorOnAllResults(int dim, long size, FactorKind kind) {
        mapAll(results, dim, reserve(size, kind, false));
        return this;
    }

    /** One pass-through factor per dimension of {@code shape}, shared by every operand and result. */
    public RuleBuilder pointwise(long[] shape) { return pointwise(shape, d -> FactorKind.PASS_THROUGH, false); }

    public RuleBuilder pointwise(long[] shape, java.util.function.IntFunction<FactorKind> kind, boolean blockNonPassThrough) {
        for (int d = 0; d < shape.length; d++) {
            FactorKind k = kind.apply(d);
            factorOnAll(d, shape[d], k, blockNonPassThrough && k != FactorKind.PASS_THROUGH);
        }
        return this;
    }

    public RuleBuilder pointwiseIf(long[] shape, IntPredicate keep, java.util.function.IntFunction<FactorKind> kind) {
        for (int d = 0; d < shape.length; d++) if (keep.test(d)) factorOnAll(d, shape[d], kind.apply(d), false);
        return this;
    }

    /** Pointwise on {@code in}'s shape; dimensions whose size differs in {@code out} get {@code mismatch}. */
    public RuleBuilder pointwiseWithMismatch(long[] in, long[] out, FactorKind mismatch, boolean mismatchBlocked) {
        for (int d = 0; d < in.length; d++) {
            if (in[d] == out[d]) factorOnAll(d, in[d], FactorKind.PASS_THROUGH, false);
            else factorOnAll(d, in[d], mismatch, mismatchBlocked);
        }
        return this;
    }

    public OpShardingRule build() {
        List<Long> allSizes = new ArrayList<>(sizes);
        List<List<List<Integer>>> ops = fill(operands, allSizes);
        List<List<List<Integer>>> res = fill(results, allSizes);
        return new OpShardingRule(ops, res, allSizes, reduction, needReplication, permutation, blocked, false);
    }

    private static List<List<List<Integer>>> fill(List<List<List<Integer>>> tensors, List<Long> allSizes) {
        List<List<List<Integer>>> out = new ArrayList<>();
        for (List<List<Integer>> t : tensors) {
            List<List<Integer>> dims = new ArrayList<>();
            for (List<Integer> d : t) {
                if (d.isEmpty()) {
                    dims.add(List.of(allSizes.size()));
                    allSizes.add(1L);
                } else {
                    dims.add(List.copyOf(d));
                }
            }
            out.add(dims);
        }
        return out;
    }

    /** Pointwise over the first result's shape (Shardy's buildPointwise); a non-tensor result gives no factors. */
    public static OpShardingRule pointwiseOf(Operation op) {
        RuleBuilder b = new RuleBuilder(op);
        if (op.numResults() > 0 && op.result(0).type() instanceof TensorType t) b.pointwise(t.shape());
        return b.build();
    }

    /**
     * Every dimension of every operand and result is its own need-replication factor with blocked propagation:
     * the op computes on whole tensors (collectives, custom calls, rng, host transfers) so nothing may be split
     * and no sharding flows through it.
     */
    public static OpShardingRule replicatedOf(Operation op) {
        RuleBuilder b = new RuleBuilder(op);
        int nOps = op.numOperands(), nRes = op.numResults();
        for (int k = 0; k < nOps + nRes; k++) {
            Type t = k < nOps ? op.operandTypes().get(k) : op.resultTypes().get(k - nOps);
            if (!(t instanceof TensorType tt)) continue;
            for (int d = 0; d < tt.rank(); d++) {
                int[] od = none(nOps), rd = none(nRes);
                if (k < nOps) od[k] = d; else rd[k - nOps] = d;
                b.factor(od, rd, tt.dim(d), FactorKind.NEED_REPLICATION, true);
            }
        }
        return b.build();
    }

    public static int[] none(int n) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, NONE);
        return a;
    }
}
