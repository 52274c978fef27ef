package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;

import java.util.List;

/** {@code gather} and {@code scatter} exactly as the spec defines their index mapping (batching dims included). */
final class GatherScatterKernels {
    private GatherScatterKernels() {}

    static void register() {
        Kernels.put("stablehlo.gather", (op, a, f) -> List.of(gather(op, (Tensor) a.get(0), (Tensor) a.get(1),
                Attrs.typed(op, "dimension_numbers", GatherDimensionNumbers.class), Attrs.required(op, "slice_sizes"))));
        Kernels.put("stablehlo.dynamic_gather", (op, a, f) -> List.of(gather(op, (Tensor) a.get(0), (Tensor) a.get(1),
                Attrs.typed(op, "dimension_numbers", GatherDimensionNumbers.class), ((Tensor) a.get(2)).ints)));
        Kernels.put("stablehlo.scatter", GatherScatterKernels::scatter);
    }

    /** Reads the start index vector for batch position {@code batch} (index_vector_dim inserted). */
    private static void startIndex(Tensor idx, long[] batch, int ivd, long[] out, long[] tmp) {
        int r = idx.rank();
        int[] st = Tensor.strides(idx.shape);
        if (ivd >= r) {
            long off = 0;
            for (int d = 0; d < r; d++) off += batch[d] * st[d];
            out[0] = readIndex(idx, (int) off);
            return;
        }
        long off = 0;
        for (int d = 0, b = 0; d < r; d++) {
            if (d == ivd) continue;
            off += batch[b++] * st[d];
        }
        for (int k = 0; k < idx.shape[ivd]; k++) out[k] = readIndex(idx, (int) (off + (long) k * st[ivd]));
    }

    static long readIndex(Tensor t, int i) {
        long v = t.ints[i];
        return t.elem == Elem.UNSIGNED && v < 0 ? Long.MAX_VALUE : v;
    }

    static Tensor gather(Operation op, Tensor x, Tensor idx, GatherDimensionNumbers dn, long[] sliceSizes) {
        long[] offsetDims = dn.offsetDims().toArray();
        long[] collapsed = dn.collapsedSliceDims().toArray();
        long[] opBatch = dn.operandBatchingDims().toArray();
        long[] idxBatch = dn.startIndicesBatchingDims().toArray();
        long[] startMap = dn.startIndexMap().toArray();
        int ivd = Math.toIntExact(dn.indexVectorDim());
        Tensor r = Tensor.blank(op.result().type());
        if (rowGather(x, idx, r, offsetDims, collapsed, opBatch, startMap, ivd, sliceSizes)) return r;
        int rrank = r.rank(), xrank = x.rank();
        boolean[] isOffset = new boolean[rrank];
        for (long d : offsetDims) isOffset[(int) d] = true;
        // operand dims that receive offset indices, in order
        boolean[] skip = new boolean[xrank];
        for (long d : collapsed) skip[(int) d] = true;
        for (long d : opBatch) skip[(int) d] = true;
        int[] offsetTarget = new int[offsetDims.length];
        for (int d = 0, k = 0; d < xrank; d++) if (!skip[d]) offsetTarget[k++] = d;
        int nBatch = rrank - offsetDims.length;
        int[] xst = Tensor.strides(x.shape);
        // result elements are independent: chunks in parallel, polling the op's stop between them
        StopCheck.range(r.size, FloatLoops.CHUNK, 1, (lo, end) -> {
            long[] ridx = new long[rrank], batch = new long[Math.max(1, nBatch)], start = new long[Math.max(1, startMap.length)];
            long[] operandIdx = new long[xrank];
            for (int i = lo; i < end; i++) {
                Layout.unflatten(i, r.shape, ridx);
                java.util.Arrays.fill(operandIdx, 0);
                for (int d = 0, b = 0, o = 0; d < rrank; d++) {
                    if (isOffset[d]) operandIdx[offsetTarget[o++]] += ridx[d];
                    else batch[b++] = ridx[d];
                }
                startIndex(idx, batch, ivd, start, null);
                for (int k = 0; k < startMap.length; k++) {
                    int d = (int) startMap[k];
                    long s = Math.max(0, Math.min(start[k], x.shape[d] - sliceSizes[d]));
                    operandIdx[d] += s;
                }
                for (int k = 0; k < opBatch.length; k++) {
                    int ds = (int) idxBatch[k];
                    operandIdx[(int) opBatch[k]] += batch[ds < ivd ? ds : ds - 1];
                }
                long off = 0;
                for (int d = 0; d < xrank; d++) off += operandIdx[d] * xst[d];
                r.copyElement(i, x, (int) off);
            }
        });
        return r;
    }

    /**
     * The embedding-lookup form (whole rows of dimension 0 picked by scalar indices, offset dims trailing): bulk row
     * copies, rows in parallel when large. Same result as the general path, which handles anything else (false).
     */
    static boolean rowGather(Tensor x, Tensor idx, Tensor r, long[] offsetDims, long[] collapsed, long[] opBatch,
                             long[] startMap, int ivd, long[] sliceSizes) {
        int xrank = x.rank(), rrank = r.rank();
        if (xrank == 0 || opBatch.length != 0 || startMap.length != 1 || startMap[0] != 0 || collapsed.length != 1
                || collapsed[0] != 0 || sliceSizes[0] != 1) return false;
        for (int d = 1; d < xrank; d++) if (sliceSizes[d] != x.shape[d]) return false;
        if (!(ivd == idx.rank() || (ivd == idx.rank() - 1 && idx.shape[ivd] == 1))) return false;
        int nb = rrank - (xrank - 1);
        if (offsetDims.length != xrank - 1) return false;
        for (int k = 0; k < offsetDims.length; k++) if (offsetDims[k] != nb + k) return false;
        int row = x.size / (int) Math.max(1, x.shape[0]);
        int rows = idx.size;
        if (x.shape[0] == 0 || (long) rows * row != r.size) return false;
        long last = x.shape[0] - 1;
        StopCheck.range(rows, Math.max(1, FloatLoops.CHUNK / Math.max(1, row)), row, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int from = (int) Math.max(0, Math.min(readIndex(idx, i), last)) * row;
                int to = i * row;
                if (x.ints != null) System.arraycopy(x.ints, from, r.ints, to, row);
                else {
                    System.arraycopy(x.re, from, r.re, to, row);
                    if (x.im != null) System.arraycopy(x.im, from, r.im, to, row);
                }
            }
        });
        return true;
    }

    private static List<RtValue> scatter(Operation op, List<RtValue> args, Frame f) {
        int n = (args.size() - 1) / 2;
        Tensor[] res = new Tensor[n], upd = new Tensor[n];
        for (int k = 0; k < n; k++) {
            Tensor in = (Tensor) args.get(k);
            res[k] = in.blank();
            Layout.copy(in, 0, res[k], 0, in.size);
            upd[k] = (Tensor) args.get(n + 1 + k);
        }
        Tensor idx = (Tensor) args.get(n);
        ScatterDimensionNumbers dn = Attrs.typed(op, "scatter_dimension_numbers", ScatterDimensionNumbers.class);
        long[] windowDims = dn.updateWindowDims().toArray();
        long[] inserted = dn.insertedWindowDims().toArray();
        long[] inBatch = dn.inputBatchingDims().toArray();
        long[] idxBatch = dn.scatterIndicesBatchingDims().toArray();
        long[] toOperand = dn.scatterDimsToOperandDims().toArray();
        int ivd = Math.toIntExact(dn.indexVectorDim());
        Region body = op.region(0);
        ScalarOp fast = n == 1 ? ScalarOp.of(body, res[0].elementType) : null;
        boolean replace = n == 1 && returnsSecondArgument(body);
        Tensor x = res[0], u = upd[0];
        int urank = u.rank(), xrank = x.rank();
        boolean[] isWindow = new boolean[urank];
        for (long d : windowDims) isWindow[(int) d] = true;
        boolean[] skip = new boolean[xrank];
        for (long d : inserted) skip[(int) d] = true;
        for (long d : inBatch) skip[(int) d] = true;
        int[] windowTarget = new int[windowDims.length];
        for (int d = 0, k = 0; d < xrank; d++) if (!skip[d]) windowTarget[k++] = d;
        long[] uidx = new long[urank], batch = new long[Math.max(1, urank - windowDims.length)];
        long[] start = new long[Math.max(1, toOperand.length)], xidx = new long[xrank];
        if (n == 1 && ScatterRows.apply(x, idx, u, windowDims, inserted, inBatch, toOperand, ivd, fast, replace)) {
            return List.of((RtValue[]) res); // whole rows by scalar indices: one index read per row
        }
        int[] xst = Tensor.strides(x.shape);
        // in order: later updates of one element combine with earlier ones
        for (long i0 = 0; i0 < u.size; i0 += StopCheck.STEP) outer: for (int i = (int) i0, iEnd = StopCheck.end(i0, u.size); i < iEnd; i++) {
            Layout.unflatten(i, u.shape, uidx);
            java.util.Arrays.fill(xidx, 0);
            for (int d = 0, b = 0, w = 0; d < urank; d++) {
                if (isWindow[d]) xidx[windowTarget[w++]] += uidx[d];
                else batch[b++] = uidx[d];
            }
            startIndex(idx, batch, ivd, start, null);
            for (int k = 0; k < toOperand.length; k++) xidx[(int) toOperand[k]] += start[k];
            for (int k = 0; k < inBatch.length; k++) {
                int ds = (int) idxBatch[k];
                xidx[(int) inBatch[k]] += batch[ds < ivd ? ds : ds - 1];
            }
            long off = 0;
            for (int d = 0; d < xrank; d++) {
                if (xidx[d] < 0 || xidx[d] >= x.shape[d]) continue outer;
                off += xidx[d] * xst[d];
            }
            int o = (int) off;
            if (replace) x.copyElement(o, u, i);
            else if (fast != null) fast.accumulate(x, o, u, i);
            else ReduceKernels.combine(f, body, res, o, upd, i);
        }
        return List.of((RtValue[]) res);
    }

    /** {@code ^bb0(%a, %b): return %b}: scatter that overwrites. */
    static boolean returnsSecondArgument(Region r) {
        if (r.blocks().size() != 1) return false;
        Block b = r.entry();
        if (b.operations().size() != 1 || b.arguments().size() != 2) return false;
        Operation ret = b.operations().get(0);
        return ret.numOperands() == 1 && ret.operand(0) == b.argument(1);
    }
}
