package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * {@code chlo.ragged_dot}. Rows of the lhs ragged dimension belong to consecutive groups of
 * {@code group_sizes}. Mode 1 (ragged dim is a free lhs dim, rhs has a group dim): each row is multiplied by
 * its group's rhs; rows past the last group are zero. Mode 2 (ragged dim is contracting): output group g
 * contracts only over the rows of group g.
 */
final class RaggedDot {
    private RaggedDot() {}

    static List<RtValue> eval(Operation op, List<RtValue> args, Frame f) {
        return eval(op, (Tensor) args.get(0), (Tensor) args.get(1), (Tensor) args.get(2));
    }

    /**
     * ragged_dot with operands 0 and 1 as tensors or {@link TransposeFolding.Folded} transposes. Two forms read a
     * folded operand in place: mode 2 in f32 on matrices ({@link RaggedContractF32}, which takes either layout of
     * each operand; a matrix has one free dimension, so the result's order cannot change) and the row-group form
     * whose rhs [groups, k, n] is the transpose of a [groups, n, k] ({@link #rowGroupsF32}'s transposed read). Both
     * compute from the untransposed tensor the arrays they computed from the transposed one: the same bits. Any other
     * form materializes the transpose first.
     */
    static List<RtValue> evalFolded(Operation op, Object lhs, Object rhs, Tensor gs) {
        TransposeFolding.Folded lf = lhs instanceof TransposeFolding.Folded f ? f : null;
        TransposeFolding.Folded rf = rhs instanceof TransposeFolding.Folded f ? f : null;
        var dn = Attrs.typed(op, "ragged_dot_dimension_numbers", io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers.class);
        long[] lb = Attrs.longs(dn.lhsBatchingDimensions()), rb = Attrs.longs(dn.rhsBatchingDimensions());
        long[] lc = Attrs.longs(dn.lhsContractingDimensions()), rc = Attrs.longs(dn.rhsContractingDimensions());
        long[] lr = Attrs.longs(dn.lhsRaggedDimensions()), rg = Attrs.longs(dn.rhsGroupDimensions());
        TensorType rt = (TensorType) op.result().type();
        if (gs.rank() == 1 && lr.length == 1 && contains(lc, (int) lr[0])) { // mode 2
            Tensor l = lf == null ? (Tensor) lhs : lf.x(), r = rf == null ? (Tensor) rhs : rf.x();
            long[] lb2 = lf == null ? lb : lf.map(lb), lc2 = lf == null ? lc : lf.map(lc), lr2 = lf == null ? lr : lf.map(lr);
            long[] rb2 = rf == null ? rb : rf.map(rb), rc2 = rf == null ? rc : rf.map(rc);
            if (l.rank() == 2 && r.rank() == 2) {
                Tensor rows = RaggedContractF32.evalOrNull(op, l, r, bounds(gs), (int) gs.shape[0], (int) lr2[0], lb2, rb2, lc2, rc2, rt);
                if (rows != null) return List.of(rows);
            }
        } else if (lf == null && rf != null && gs.rank() == 1 && lr.length == 1 && lr[0] == 0 && lb.length == 0 && rg.length == 1
                && rf.perm().length == 3 && rf.perm()[0] == 0 && rf.perm()[1] == 2 && rf.perm()[2] == 1
                && isF32RowGroups(op, (Tensor) lhs, rf.x(), (int) rg[0], lc, rc, rt)) { // rhs [groups, n, k] read as [groups, k, n]
            Tensor l = (Tensor) lhs;
            if (l.shape[1] == rf.x().shape[2]) return List.of(rowGroupsF32(l, rf.x(), true, bounds(gs), (int) gs.shape[0], rt));
        }
        return eval(op, TransposeFolding.tensor(lhs), TransposeFolding.tensor(rhs), gs);
    }

    /** Group g's rows of the ragged dimension: [bounds[g], bounds[g + 1]). */
    private static long[] bounds(Tensor gs) {
        int groups = (int) gs.shape[0];
        long[] bounds = new long[groups + 1];
        for (int g = 0; g < groups; g++) bounds[g + 1] = bounds[g] + gs.ints[g];
        return bounds;
    }

    static List<RtValue> eval(Operation op, Tensor lhs, Tensor rhs, Tensor gs) {
        var dn = Attrs.typed(op, "ragged_dot_dimension_numbers", io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers.class);
        long[] lb = Attrs.longs(dn.lhsBatchingDimensions()), rb = Attrs.longs(dn.rhsBatchingDimensions());
        long[] lc = Attrs.longs(dn.lhsContractingDimensions()), rc = Attrs.longs(dn.rhsContractingDimensions());
        long[] lr = Attrs.longs(dn.lhsRaggedDimensions()), rg = Attrs.longs(dn.rhsGroupDimensions());
        TensorType rt = (TensorType) op.result().type();
        if (gs.rank() != 1 || lr.length != 1) throw InterpreterException.at(op, "only 1-D group_sizes are supported, got " + gs.type);
        int ragged = (int) lr[0];
        int groups = (int) gs.shape[0];
        long[] bounds = bounds(gs);
        boolean contracting = contains(lc, ragged), batching = contains(lb, ragged);
        if (batching) throw InterpreterException.at(op, "ragged batch dimension (mode 3) is not supported by the interpreter");
        if (!contracting) {
            if (rg.length != 1) throw InterpreterException.at(op, "mode 1 needs one rhs group dimension");
            int gdim = (int) rg[0];
            long[] rb2 = dropDim(rb, gdim), rc2 = dropDim(rc, gdim);
            int[] lf = DotKernels.free(lhs.rank(), lb, lc);
            int outDim = lb.length;
            for (int d : lf) { if (d == ragged) break; outDim++; }
            Tensor out = Tensor.zeros(rt);
            if (lb.length == 0 && ragged == 0 && isF32RowGroups(op, lhs, rhs, gdim, lc, rc, rt)) {
                return List.of(rowGroupsF32(lhs, rhs, false, bounds, groups, rt));
            }
            if (lb.length == 0 && ragged == 0) { // groups are row ranges: multiply only each group's rows
                long rows = lhs.shape[0];
                int lrow = rows == 0 ? 0 : (int) (lhs.size / rows), orow = rows == 0 ? 0 : (int) (out.size / rows);
                for (int g = 0; g < groups; g++) {
                    long lo = Math.max(0, Math.min(bounds[g], rows)), hi = Math.min(bounds[g + 1], rows);
                    if (hi <= lo) continue;
                    long[] ls = lhs.shape.clone(), os = rt.shape();
                    ls[0] = hi - lo;
                    os[0] = hi - lo;
                    Tensor lhsG = Tensor.zeros(TensorType.of(lhs.elementType, ls));
                    Layout.copy(lhs, (int) lo * lrow, lhsG, 0, lhsG.size);
                    Tensor part = DotKernels.dotGeneral(op, lhsG, selectIndex(rhs, gdim, g), lb, rb2, lc, rc2,
                            TensorType.of(rt.elementType(), os));
                    Layout.copy(part, 0, out, (int) lo * orow, part.size);
                }
                return List.of(out);
            }
            for (int g = 0; g < groups; g++) {
                Tensor rhsG = selectIndex(rhs, gdim, g);
                Tensor part = DotKernels.dotGeneral(op, lhs, rhsG, lb, rb2, lc, rc2, rt);
                copyRange(part, out, outDim, bounds[g], bounds[g + 1]);
            }
            return List.of(out);
        }
        // mode 2: output [groups, batch..., lhs free..., rhs free...]
        Tensor rows = RaggedContractF32.evalOrNull(op, lhs, rhs, bounds, groups, ragged, lb, rb, lc, rc, rt);
        if (rows != null) return List.of(rows); // the f32 matrix form: each group's rows only
        long[] shape = rt.shape();
        long[] inner = java.util.Arrays.copyOfRange(shape, 1, shape.length);
        TensorType innerT = TensorType.of(rt.elementType(), inner);
        Tensor out = Tensor.zeros(rt);
        int chunk = (int) Layout.product(inner);
        for (int g = 0; g < groups; g++) {
            Tensor masked = maskOutside(lhs, ragged, bounds[g], bounds[g + 1]);
            Tensor part = DotKernels.dotGeneral(op, masked, rhs, lb, rb, lc, rc, innerT);
            Layout.copy(part, 0, out, g * chunk, chunk);
        }
        return List.of(out);
    }

    /** The MoE form in f32: lhs [m, k] with row groups, rhs [groups, k, n], no dot algorithm. */
    private static boolean isF32RowGroups(Operation op, Tensor lhs, Tensor rhs, int gdim, long[] lc, long[] rc, TensorType rt) {
        return op.attr("algorithm") == null && gdim == 0 && lhs.rank() == 2 && rhs.rank() == 3
                && lc.length == 1 && lc[0] == 1 && rc.length == 1 && rc[0] == 1
                && isF32(lhs) && isF32(rhs) && rt.elementType() instanceof FloatType ft && ft.kind() == FloatKind.F32;
    }

    private static boolean isF32(Tensor t) { return t.elementType instanceof FloatType ft && ft.kind() == FloatKind.F32; }

    /**
     * Each group's rows times that group's [k, n] matrix, on float copies of both operands made once, with
     * dot_general's f32 kernel ({@link DotKernels#matmulF32Into}) reading the group's matrix in place (no per-group
     * slices). Rows in no group stay zero. The same f32 fused multiply-adds, k ascending, as dot_general's path.
     */
    private static Tensor rowGroupsF32(Tensor lhs, Tensor rhs, boolean rhsTransposed, long[] bounds, int groups, TensorType rt) {
        int m = (int) lhs.shape[0], k = (int) lhs.shape[1], n = (int) (rhsTransposed ? rhs.shape[1] : rhs.shape[2]);
        float[] af = DotKernels.toFloats(lhs.re), cf = new float[m * n];
        float[] bf = rhsTransposed ? TransposeTiles.toFloatsTransposed(rhs.re, groups, n, k) : DotKernels.toFloats(rhs.re);
        for (int g = 0; g < groups; g++) {
            int lo = (int) Math.max(0, Math.min(bounds[g], m)), hi = (int) Math.max(lo, Math.min(bounds[g + 1], m));
            if (hi > lo) DotKernels.matmulF32Into(af, lo * k, bf, g * k * n, cf, lo * n, 1, hi - lo, k, n);
        }
        Tensor out = Tensor.zeros(rt);
        double[] o = out.re;
        FloatLoops.forRange(cf.length, (a, b) -> { for (int i = a; i < b; i++) o[i] = cf[i]; });
        return out;
    }

    private static boolean contains(long[] a, int v) {
        for (long x : a) if (x == v) return true;
        return false;
    }

    private static long[] dropDim(long[] dims, int removed) {
        long[] o = new long[dims.length];
        for (int i = 0; i < dims.length; i++) o[i] = dims[i] > removed ? dims[i] - 1 : dims[i];
        return o;
    }

    /** {@code x[..., i, ...]} along {@code dim}, with that dimension removed. */
    static Tensor selectIndex(Tensor x, int dim, int i) {
        long[] start = new long[x.rank()];
        start[dim] = i;
        long[] shape = x.shape.clone();
        shape[dim] = 1;
        Tensor s = ShapeKernels.slice(x, TensorType.of(x.elementType, shape), start, ShapeKernels.ones(x.rank()));
        long[] squeezed = new long[x.rank() - 1];
        for (int d = 0, k = 0; d < x.rank(); d++) if (d != dim) squeezed[k++] = x.shape[d];
        return s.reshaped(TensorType.of(x.elementType, squeezed));
    }

    /** Copies positions with index in [lo, hi) along {@code dim} from {@code src} to {@code dst} (same shape). */
    private static void copyRange(Tensor src, Tensor dst, int dim, long lo, long hi) {
        long[] idx = new long[src.rank()];
        for (long i0 = 0; i0 < src.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, src.size); i < iEnd; i++) {
            Layout.unflatten(i, src.shape, idx);
            if (idx[dim] >= lo && idx[dim] < hi) dst.copyElement(i, src, i);
        }
    }

    private static Tensor maskOutside(Tensor x, int dim, long lo, long hi) {
        Tensor r = x.blank();
        long[] idx = new long[x.rank()];
        for (long i0 = 0; i0 < x.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, x.size); i < iEnd; i++) {
            Layout.unflatten(i, x.shape, idx);
            if (idx[dim] >= lo && idx[dim] < hi) r.copyElement(i, x, i);
        }
        return r;
    }
}
