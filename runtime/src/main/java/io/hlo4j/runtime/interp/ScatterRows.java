package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.FloatKind;

/**
 * {@code scatter}'s row form, the gradient of a row gather (an embedding lookup, a MoE's token gather): whole rows of
 * dimension 0 of the one operand picked by scalar indices, the update's window dimensions trailing and as wide as the
 * operand's rows, no batching dimensions, a combiner that adds, multiplies, takes the max or min ({@link ScalarOp}) or
 * overwrites. Each index is read once per row instead of decoding every element's index vector.
 *
 * <p>Same result as the general loop of {@link GatherScatterKernels}: that loop visits update elements in row-major
 * order, so each operand element receives its updates in ascending update-row order, and so does this loop (rows in
 * order, each row's elements in order, the same combine per element); an index outside [0, rows) drops the whole row
 * there (every element of it fails the bounds test on dimension 0, the window never does).
 */
final class ScatterRows {
    private ScatterRows() {}

    /**
     * Scatters {@code u} into {@code x} (already a copy of the operand) when the op has the row form; false (nothing
     * written) otherwise.
     */
    static boolean apply(Tensor x, Tensor idx, Tensor u, long[] windowDims, long[] inserted, long[] inBatch, long[] toOperand,
                         int ivd, ScalarOp fast, boolean replace) {
        int xrank = x.rank(), urank = u.rank(), irank = idx.rank();
        if ((fast == null && !replace) || xrank == 0 || inBatch.length != 0 || inserted.length != 1 || inserted[0] != 0
                || toOperand.length != 1 || toOperand[0] != 0 || windowDims.length != xrank - 1) return false;
        boolean scalarIndex = ivd == irank || (ivd == irank - 1 && idx.shape[ivd] == 1);
        if (!scalarIndex) return false;
        int nb = urank - windowDims.length;
        if (nb != (ivd == irank ? irank : irank - 1)) return false;
        for (int d = 0; d < nb; d++) if (u.shape[d] != idx.shape[d]) return false;
        for (int j = 0; j < windowDims.length; j++) {
            if (windowDims[j] != nb + j || u.shape[nb + j] != x.shape[1 + j]) return false;
        }
        long w = 1;
        for (int d = 1; d < xrank; d++) w *= x.shape[d];
        int width = (int) w, rows = idx.size;
        if ((long) rows * width != u.size) return false;
        long xRows = x.shape[0];
        int[] target = new int[rows]; // the operand row of each update row, or -1: dropped
        for (long i0 = 0; i0 < rows; i0 += StopCheck.STEP) {
            for (int i = (int) i0, iEnd = StopCheck.end(i0, rows); i < iEnd; i++) {
                long v = GatherScatterKernels.readIndex(idx, i);
                target[i] = v >= 0 && v < xRows ? (int) v : -1;
            }
        }
        if (width == 0) return true;
        FloatKind kind = fast != null && fast.floatType() != null ? fast.floatType().kind() : null;
        boolean add = fast != null && fast.name.equals("stablehlo.add");
        boolean addF32 = add && kind == FloatKind.F32, addF64 = add && kind == FloatKind.F64;
        double[] xr = x.re, ur = u.re;
        // in order: a row's later updates combine with its earlier ones
        StopCheck.serial(rows, Math.max(1, FloatLoops.CHUNK / width), width, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int t = target[i];
                if (t < 0) continue;
                int xo = t * width, uo = i * width;
                if (addF32) for (int c = 0; c < width; c++) xr[xo + c] = (float) (xr[xo + c] + ur[uo + c]);
                else if (addF64) for (int c = 0; c < width; c++) xr[xo + c] += ur[uo + c];
                else if (replace) for (int c = 0; c < width; c++) x.copyElement(xo + c, u, uo + c);
                else for (int c = 0; c < width; c++) fast.accumulate(x, xo + c, u, uo + c);
            }
        });
        return true;
    }
}
