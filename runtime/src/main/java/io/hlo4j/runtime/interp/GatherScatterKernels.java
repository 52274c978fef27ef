package io.hlo4j.runtime.interp;

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
                Attrs.struct(op, "dimension_numbers"), Attrs.required(op, "slice_sizes"))));
        Kernels.put("stablehlo.dynamic_gather", (op, a, f) -> List.of(gather(op, (Tensor) a.get(0), (Tensor) a.get(1),
                Attrs.struct(op, "dimension_numbers"), ((Tensor) a.get(2)).ints)));
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

    private static long readIndex(Tensor t, int i) {
        long v = t.ints[i];
        return t.elem == Elem.UNSIGNED && v < 0 ? Long.MAX_VALUE : v;
    }

    static Tensor gather(Operation op, Tensor x, Tensor idx, Attribute dn, long[] sliceSizes) {
        long[] offsetDims = Attrs.field(dn, "offset_dims");
        long[] collapsed = Attrs.field(dn, "collapsed_slice_dims");
        long[] opBatch = Attrs.field(dn, "operand_batching_dims");
        long[] idxBatch = Attrs.field(dn, "start_indices_batching_dims");
        long[] startMap = Attrs.field(dn, "start_index_map");
        int ivd = (int) Attrs.scalarField(dn, "index_vector_dim", 0);
        Tensor r = Tensor.blank(op.result().type());
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
        int chunk = 1 << 14;
        int chunks = (r.size + chunk - 1) / chunk;
        java.util.stream.IntStream ids = java.util.stream.IntStream.range(0, chunks);
        if (chunks > 1) ids = ids.parallel(); // result elements are independent
        ids.forEach(c -> {
            long[] ridx = new long[rrank], batch = new long[Math.max(1, nBatch)], start = new long[Math.max(1, startMap.length)];
            long[] operandIdx = new long[xrank];
            int end = Math.min(r.size, (c + 1) * chunk);
            for (int i = c * chunk; i < end; i++) {
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
        Attribute dn = Attrs.struct(op, "scatter_dimension_numbers");
        long[] windowDims = Attrs.field(dn, "update_window_dims");
        long[] inserted = Attrs.field(dn, "inserted_window_dims");
        long[] inBatch = Attrs.field(dn, "input_batching_dims");
        long[] idxBatch = Attrs.field(dn, "scatter_indices_batching_dims");
        long[] toOperand = Attrs.field(dn, "scatter_dims_to_operand_dims");
        int ivd = (int) Attrs.scalarField(dn, "index_vector_dim", 0);
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
        int[] xst = Tensor.strides(x.shape);
        outer:
        for (int i = 0; i < u.size; i++) {
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
