package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in for the sharding rules of the {@code spmd-rules} branch, for the ops the partitioner's tests
 * use, written as Shardy writes them (factors per dimension; reduction, need-replication and permutation
 * factors). Used only for ops whose {@code OpDef} has no {@link io.hlo4j.compiler.spmd.ShardingRuleFactory}
 * attached; removed once the registry carries the real rules.
 */
final class StandInRules {
    private StandInRules() {}

    /** The rule for {@code op}, or null when this stand-in has none. */
    static OpShardingRule of(Operation op) {
        for (Type t : op.operandTypes()) if (!(t instanceof TensorType tt) || !tt.hasStaticShape()) return null;
        for (Type t : op.resultTypes()) if (!(t instanceof TensorType tt) || !tt.hasStaticShape()) return null;
        OpDef def = op.def();
        String n = op.name();
        if (def != null && def.has(OpTrait.ELEMENTWISE) || n.equals("stablehlo.convert") || n.equals("stablehlo.select")
                || n.equals("stablehlo.compare") || n.equals("stablehlo.clamp")) {
            return elementwise(op);
        }
        return switch (n) {
            case "stablehlo.dot_general" -> dotGeneral(op);
            case "stablehlo.reduce" -> reduce(op);
            case "stablehlo.transpose" -> transpose(op);
            case "stablehlo.broadcast_in_dim" -> broadcastInDim(op);
            case "stablehlo.reshape" -> reshape(op);
            case "stablehlo.concatenate" -> concatenate(op);
            case "stablehlo.iota", "stablehlo.constant" -> resultOnly(op);
            case "stablehlo.slice", "stablehlo.dynamic_slice", "stablehlo.pad" -> sizeChanging(op);
            case "stablehlo.gather" -> gather(op);
            case "stablehlo.scatter" -> scatter(op);
            default -> null;
        };
    }

    /** Collects factors and mappings. */
    static final class Builder {
        final List<Long> sizes = new ArrayList<>();
        final List<List<List<Integer>>> operands = new ArrayList<>(), results = new ArrayList<>();
        final List<Integer> reduction = new ArrayList<>(), needRep = new ArrayList<>(), permutation = new ArrayList<>();

        int factor(long size) { sizes.add(size); return sizes.size() - 1; }

        static List<List<Integer>> tensor(int rank) {
            List<List<Integer>> t = new ArrayList<>();
            for (int i = 0; i < rank; i++) t.add(new ArrayList<>());
            return t;
        }

        OpShardingRule build() {
            return new OpShardingRule(operands, results, sizes, reduction, needRep, permutation, List.of(), false);
        }
    }

    private static TensorType t(Type t) { return (TensorType) t; }

    private static OpShardingRule elementwise(Operation op) {
        TensorType r = t(op.resultTypes().get(0));
        Builder b = new Builder();
        List<Integer> f = new ArrayList<>();
        for (int d = 0; d < r.rank(); d++) f.add(b.factor(r.dim(d)));
        for (Type ot : op.operandTypes()) {
            List<List<Integer>> m = Builder.tensor(t(ot).rank());
            if (t(ot).rank() == r.rank()) for (int d = 0; d < r.rank(); d++) m.get(d).add(f.get(d));
            b.operands.add(m);
        }
        for (Type rt : op.resultTypes()) {
            List<List<Integer>> m = Builder.tensor(r.rank());
            for (int d = 0; d < r.rank(); d++) m.get(d).add(f.get(d));
            b.results.add(m);
        }
        return b.build();
    }

    private static OpShardingRule dotGeneral(Operation op) {
        DotDimensionNumbers dn = (DotDimensionNumbers) op.attr("dot_dimension_numbers");
        TensorType l = t(op.operandTypes().get(0)), r = t(op.operandTypes().get(1));
        Builder b = new Builder();
        List<List<Integer>> lm = Builder.tensor(l.rank()), rm = Builder.tensor(r.rank()), om = new ArrayList<>();
        for (int i = 0; i < dn.lhsBatchingDimensions().size(); i++) {
            int ld = (int) dn.lhsBatchingDimensions().get(i), rd = (int) dn.rhsBatchingDimensions().get(i);
            int f = b.factor(l.dim(ld));
            lm.get(ld).add(f);
            rm.get(rd).add(f);
            om.add(new ArrayList<>(List.of(f)));
        }
        for (int d = 0; d < l.rank(); d++) {
            if (dn.lhsBatchingDimensions().contains(d) || dn.lhsContractingDimensions().contains(d)) continue;
            int f = b.factor(l.dim(d));
            lm.get(d).add(f);
            om.add(new ArrayList<>(List.of(f)));
        }
        for (int d = 0; d < r.rank(); d++) {
            if (dn.rhsBatchingDimensions().contains(d) || dn.rhsContractingDimensions().contains(d)) continue;
            int f = b.factor(r.dim(d));
            rm.get(d).add(f);
            om.add(new ArrayList<>(List.of(f)));
        }
        for (int i = 0; i < dn.lhsContractingDimensions().size(); i++) {
            int ld = (int) dn.lhsContractingDimensions().get(i), rd = (int) dn.rhsContractingDimensions().get(i);
            int f = b.factor(l.dim(ld));
            lm.get(ld).add(f);
            rm.get(rd).add(f);
            b.reduction.add(f);
        }
        b.operands.add(lm);
        b.operands.add(rm);
        b.results.add(om);
        return b.build();
    }

    private static OpShardingRule reduce(Operation op) {
        long[] dims = ((DenseArrayAttr) op.attr("dimensions")).longs();
        int n = op.numResults();
        TensorType in = t(op.operandTypes().get(0));
        Builder b = new Builder();
        List<List<Integer>> im = Builder.tensor(in.rank()), om = new ArrayList<>();
        for (int d = 0; d < in.rank(); d++) {
            int f = b.factor(in.dim(d));
            im.get(d).add(f);
            boolean reduced = false;
            for (long x : dims) reduced |= x == d;
            if (reduced) b.reduction.add(f);
            else om.add(new ArrayList<>(List.of(f)));
        }
        for (int i = 0; i < n; i++) b.operands.add(im);
        for (int i = 0; i < n; i++) b.operands.add(List.of());
        for (int i = 0; i < n; i++) b.results.add(om);
        return b.build();
    }

    private static OpShardingRule transpose(Operation op) {
        long[] perm = ((DenseArrayAttr) op.attr("permutation")).longs();
        TensorType in = t(op.operandTypes().get(0));
        Builder b = new Builder();
        List<List<Integer>> im = Builder.tensor(in.rank()), om = Builder.tensor(in.rank());
        int[] f = new int[in.rank()];
        for (int d = 0; d < in.rank(); d++) { f[d] = b.factor(in.dim(d)); im.get(d).add(f[d]); }
        for (int d = 0; d < perm.length; d++) om.get(d).add(f[(int) perm[d]]);
        b.operands.add(im);
        b.results.add(om);
        return b.build();
    }

    private static OpShardingRule broadcastInDim(Operation op) {
        long[] bd = ((DenseArrayAttr) op.attr("broadcast_dimensions")).longs();
        TensorType in = t(op.operandTypes().get(0)), out = t(op.resultTypes().get(0));
        Builder b = new Builder();
        List<List<Integer>> im = Builder.tensor(in.rank()), om = Builder.tensor(out.rank());
        for (int d = 0; d < out.rank(); d++) om.get(d).add(b.factor(out.dim(d)));
        for (int d = 0; d < in.rank(); d++) {
            int od = (int) bd[d];
            if (in.dim(d) == out.dim(od)) im.get(d).add(om.get(od).get(0));
            else im.get(d).add(b.factor(in.dim(d)));
        }
        b.operands.add(im);
        b.results.add(om);
        return b.build();
    }

    /**
     * Groups of dimensions with equal products on both sides; a dimension that is the product of consecutive
     * dimensions on the other side gets their factors (major first). Other groups need replication.
     */
    private static OpShardingRule reshape(Operation op) {
        long[] a = t(op.operandTypes().get(0)).shape(), c = t(op.resultTypes().get(0)).shape();
        Builder b = new Builder();
        List<List<Integer>> im = Builder.tensor(a.length), om = Builder.tensor(c.length);
        int i = 0, j = 0;
        while (i < a.length || j < c.length) {
            if (i < a.length && a[i] == 1 && (j >= c.length || c[j] != 1)) { im.get(i).add(b.factor(1)); i++; continue; }
            if (j < c.length && c[j] == 1 && (i >= a.length || a[i] != 1)) { om.get(j).add(b.factor(1)); j++; continue; }
            int i0 = i, j0 = j;
            long pa = a[i++], pc = c[j++];
            while (pa != pc) {
                if (pa < pc) pa *= a[i++];
                else pc *= c[j++];
            }
            if (i - i0 == 1) {
                for (int k = j0; k < j; k++) { int f = b.factor(c[k]); om.get(k).add(f); im.get(i0).add(f); }
            } else if (j - j0 == 1) {
                for (int k = i0; k < i; k++) { int f = b.factor(a[k]); im.get(k).add(f); om.get(j0).add(f); }
            } else {
                for (int k = i0; k < i; k++) { int f = b.factor(a[k]); im.get(k).add(f); b.needRep.add(f); }
                for (int k = j0; k < j; k++) { int f = b.factor(c[k]); om.get(k).add(f); b.needRep.add(f); }
            }
        }
        b.operands.add(im);
        b.results.add(om);
        return b.build();
    }

    private static OpShardingRule concatenate(Operation op) {
        int cd = (int) ((IntegerAttr) op.attr("dimension")).value();
        TensorType out = t(op.resultTypes().get(0));
        Builder b = new Builder();
        List<List<Integer>> om = Builder.tensor(out.rank());
        for (int d = 0; d < out.rank(); d++) om.get(d).add(b.factor(out.dim(d)));
        b.permutation.add(om.get(cd).get(0));
        for (Type ot : op.operandTypes()) {
            List<List<Integer>> m = Builder.tensor(out.rank());
            for (int d = 0; d < out.rank(); d++) m.get(d).add(om.get(d).get(0));
            b.operands.add(m);
        }
        b.results.add(om);
        return b.build();
    }

    private static OpShardingRule resultOnly(Operation op) {
        TensorType out = t(op.resultTypes().get(0));
        Builder b = new Builder();
        List<List<Integer>> om = Builder.tensor(out.rank());
        for (int d = 0; d < out.rank(); d++) om.get(d).add(b.factor(out.dim(d)));
        b.results.add(om);
        return b.build();
    }

    /** slice, dynamic_slice, pad: dimensions that keep their size are shared; the others are permutations. */
    private static OpShardingRule sizeChanging(Operation op) {
        TensorType in = t(op.operandTypes().get(0)), out = t(op.resultTypes().get(0));
        Builder b = new Builder();
        List<List<Integer>> im = Builder.tensor(in.rank()), om = Builder.tensor(out.rank());
        for (int d = 0; d < in.rank(); d++) {
            if (in.dim(d) == out.dim(d)) {
                int f = b.factor(in.dim(d));
                im.get(d).add(f);
                om.get(d).add(f);
            } else {
                int f = b.factor(in.dim(d)), g = b.factor(out.dim(d));
                im.get(d).add(f);
                om.get(d).add(g);
                b.permutation.add(f);
                b.permutation.add(g);
            }
        }
        b.operands.add(im);
        for (int k = 1; k < op.numOperands(); k++) b.operands.add(Builder.tensor(t(op.operandTypes().get(k)).rank()));
        b.results.add(om);
        return b.build();
    }

    /**
     * gather: the index batch dimensions are shared with the result's batch dimensions; an operand dimension
     * taken whole (slice size = dimension, not indexed) is shared with its offset dimension; the rest need
     * replication.
     */
    private static OpShardingRule gather(Operation op) {
        GatherDimensionNumbers dn = (GatherDimensionNumbers) op.attr("dimension_numbers");
        long[] sizes = ((DenseArrayAttr) op.attr("slice_sizes")).longs();
        TensorType in = t(op.operandTypes().get(0)), idx = t(op.operandTypes().get(1)), out = t(op.resultTypes().get(0));
        Builder b = new Builder();
        List<List<Integer>> im = Builder.tensor(in.rank()), xm = Builder.tensor(idx.rank()), om = Builder.tensor(out.rank());
        List<Integer> batchOut = new ArrayList<>(), offsetIn = new ArrayList<>();
        for (int d = 0; d < out.rank(); d++) if (!dn.offsetDims().contains(d)) batchOut.add(d);
        for (int d = 0; d < in.rank(); d++) if (!dn.collapsedSliceDims().contains(d) && !dn.operandBatchingDims().contains(d)) offsetIn.add(d);
        int k = 0;
        for (int d = 0; d < idx.rank(); d++) {
            if (d == dn.indexVectorDim()) { int f = b.factor(idx.dim(d)); xm.get(d).add(f); b.needRep.add(f); continue; }
            int f = b.factor(idx.dim(d));
            xm.get(d).add(f);
            om.get(batchOut.get(k++)).add(f);
            int bi = indexOf(dn.startIndicesBatchingDims(), d);
            if (bi >= 0) im.get((int) dn.operandBatchingDims().get(bi)).add(f);
        }
        for (int d = 0; d < in.rank(); d++) {
            if (!im.get(d).isEmpty()) continue;
            int oi = offsetIn.indexOf(d);
            if (oi >= 0 && sizes[d] == in.dim(d) && !dn.startIndexMap().contains(d)) {
                int f = b.factor(in.dim(d));
                im.get(d).add(f);
                om.get((int) dn.offsetDims().get(oi)).add(f);
            } else {
                int f = b.factor(in.dim(d));
                im.get(d).add(f);
                b.needRep.add(f);
                if (oi >= 0) { int g = b.factor(sizes[d]); om.get((int) dn.offsetDims().get(oi)).add(g); b.needRep.add(g); }
            }
        }
        b.operands.add(im);
        b.operands.add(xm);
        b.results.add(om);
        return b.build();
    }

    /**
     * scatter: operand and result share every dimension; a dimension taken whole by the update windows (not
     * indexed) is shared with its update window dimension; indexed dimensions and the update scatter
     * dimensions need replication (sharding those leaves partial updates, which the stand-in does not do).
     */
    private static OpShardingRule scatter(Operation op) {
        ScatterDimensionNumbers dn = (ScatterDimensionNumbers) op.attr("scatter_dimension_numbers");
        int n = op.numResults();
        TensorType in = t(op.operandTypes().get(0)), idx = t(op.operandTypes().get(n)), upd = t(op.operandTypes().get(n + 1));
        Builder b = new Builder();
        List<List<Integer>> im = Builder.tensor(in.rank()), xm = Builder.tensor(idx.rank()), um = Builder.tensor(upd.rank());
        List<Integer> windowIn = new ArrayList<>();
        for (int d = 0; d < in.rank(); d++) if (!dn.insertedWindowDims().contains(d) && !dn.inputBatchingDims().contains(d)) windowIn.add(d);
        for (int d = 0; d < in.rank(); d++) {
            int f = b.factor(in.dim(d));
            im.get(d).add(f);
            int wi = windowIn.indexOf(d);
            int ud = wi >= 0 ? (int) dn.updateWindowDims().get(wi) : -1;
            if (ud >= 0 && upd.dim(ud) == in.dim(d) && !dn.scatterDimsToOperandDims().contains(d)) um.get(ud).add(f);
            else b.needRep.add(f);
        }
        for (int d = 0; d < upd.rank(); d++) if (um.get(d).isEmpty()) { int f = b.factor(upd.dim(d)); um.get(d).add(f); b.needRep.add(f); }
        for (int d = 0; d < idx.rank(); d++) { int f = b.factor(idx.dim(d)); xm.get(d).add(f); b.needRep.add(f); }
        for (int i = 0; i < n; i++) b.operands.add(im);
        b.operands.add(xm);
        for (int i = 0; i < n; i++) b.operands.add(um);
        for (int i = 0; i < n; i++) b.results.add(im);
        return b.build();
    }

    private static int indexOf(io.hlo4j.mlir.dialect.stablehlo.attr.Dims dims, long v) {
        for (int i = 0; i < dims.size(); i++) if (dims.get(i) == v) return i;
        return -1;
    }
}
