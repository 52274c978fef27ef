package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

/**
 * {@code chlo.ragged_dot} mode 2 in f32, the form a MoE's weight gradient takes: lhs [k, m] or [m, k] whose m rows
 * (the ragged, contracting dimension) fall into consecutive groups, rhs [m, n] or [n, m], result [groups, k, n] with
 * group g = lhs's group-g rows transposed times rhs's group-g rows. {@link RaggedDot}'s general mode 2 runs one full
 * dot per group on a copy of lhs that is zero outside the group, so it costs groups times the product; this one
 * multiplies each group's rows only.
 *
 * <p>Bit-identical to the general path. That path accumulates each output element in f32 with one fused
 * multiply-add per row, rows ascending from +0 ({@link DotKernels#matmulF32}); this one does the same over the group's
 * rows. The zeroed rows it skips add {@code fma(+0, b, acc)}: before the group acc is +0 and stays +0; after it they
 * change acc only when acc is -0 and some later b has its sign bit clear (+0 + -0 = +0), which is redone here
 * ({@link #signFix}); and 0 x inf or NaN would be NaN, so an rhs with a value that is not finite takes the general
 * path. Returns null where it does not apply.
 */
final class RaggedContractF32 {
    private RaggedContractF32() {}

    static Tensor evalOrNull(Operation op, Tensor lhs, Tensor rhs, long[] bounds, int groups, int ragged,
                             long[] lb, long[] rb, long[] lc, long[] rc, TensorType rt) {
        if (lb.length != 0 || rb.length != 0 || lc.length != 1 || rc.length != 1 || lhs.rank() != 2 || rhs.rank() != 2
                || op.attr("algorithm") != null || !isF32(lhs) || !isF32(rhs) || !(rt.elementType() instanceof FloatType ft)
                || ft.kind() != FloatKind.F32 || rt.rank() != 3 || lc[0] != ragged) return null;
        int rcd = (int) rc[0];
        int m = (int) lhs.shape[ragged], k = (int) lhs.shape[1 - ragged], n = (int) rhs.shape[1 - rcd];
        if (rhs.shape[rcd] != m || rt.shape()[0] != groups || rt.shape()[1] != k || rt.shape()[2] != n) return null;
        float[] b = rowsByN(rhs, rcd, m, n);
        if (b == null) return null; // a value that is not finite: the masked rows' 0 x b is NaN there
        float[] c = new float[groups * k * n];
        int[] lastClear = lastSignClear(b, m, n);
        for (int g = 0; g < groups; g++) {
            int lo = (int) Math.max(0, Math.min(bounds[g], m)), hi = (int) Math.min(bounds[g + 1], m);
            if (hi <= lo) continue; // no row in the group: every row was masked, the sums stay +0
            int len = hi - lo;
            float[] a = groupColumns(lhs, ragged, m, k, lo, len);
            multiply(a, b, lo * n, c, g * k * n, k, len, n);
            signFix(c, g * k * n, k, n, lastClear, hi);
        }
        Tensor out = Tensor.zeros(rt);
        double[] o = out.re;
        FloatLoops.forRange(c.length, (x, y) -> { for (int i = x; i < y; i++) o[i] = c[i]; });
        return out;
    }

    private static boolean isF32(Tensor t) { return t.elementType instanceof FloatType f && f.kind() == FloatKind.F32; }

    /** rhs as floats in [m, n] order (transposed when its contracting dimension is 1); null if a value is not finite. */
    private static float[] rowsByN(Tensor rhs, int rcd, int m, int n) {
        float[] b = new float[m * n];
        double[] re = rhs.re;
        boolean[] bad = new boolean[1];
        if (rcd == 0) {
            FloatLoops.forRange(b.length, (x, y) -> {
                boolean finite = true;
                for (int i = x; i < y; i++) {
                    double v = re[i];
                    finite &= Double.isFinite(v);
                    b[i] = (float) v;
                }
                if (!finite) bad[0] = true;
            });
        } else { // rhs [n, m]: row r of b is column r of rhs
            StopCheck.range(m, Math.max(1, FloatLoops.CHUNK / Math.max(1, n)), n, (x, y) -> {
                boolean finite = true;
                for (int r = x; r < y; r++) {
                    for (int j = 0; j < n; j++) {
                        double v = re[j * m + r];
                        finite &= Double.isFinite(v);
                        b[r * n + j] = (float) v;
                    }
                }
                if (!finite) bad[0] = true;
            });
        }
        return bad[0] ? null : b;
    }

    /** Per column j, the last row whose value has its sign bit clear (+0 included), or -1. */
    private static int[] lastSignClear(float[] b, int m, int n) {
        int[] last = new int[n];
        java.util.Arrays.fill(last, -1);
        int found = 0;
        StopCheck stop = StopCheck.current();
        for (int r = m - 1; r >= 0 && found < n; r--) {
            stop.poll(n);
            for (int j = 0, o = r * n; j < n; j++) {
                if (last[j] < 0 && Float.floatToRawIntBits(b[o + j]) >= 0) {
                    last[j] = r;
                    found++;
                }
            }
        }
        return last;
    }

    /** lhs's rows [lo, lo + len) of the ragged dimension, as a [k, len] float matrix. */
    private static float[] groupColumns(Tensor lhs, int ragged, int m, int k, int lo, int len) {
        float[] a = new float[k * len];
        double[] re = lhs.re;
        StopCheck.range(k, Math.max(1, FloatLoops.CHUNK / len), len, (x, y) -> {
            int i = x;
            // lhs [m, k]: a folded transpose's operand, or an unfolded lhs ragged in dimension 0
            if (ragged == 0) { // 8 values of k per row read, as TransposeTiles does
                for (; i + 8 <= y; i += 8) TransposeTiles.tile(re, a, lo * k, 0, k, len, 0, len, i, i + 8);
            }
            for (; i < y; i++) {
                int ao = i * len;
                if (ragged == 1) for (int r = 0, s = i * m + lo; r < len; r++) a[ao + r] = (float) re[s + r];
                else for (int r = 0, s = lo * k + i; r < len; r++) a[ao + r] = (float) re[s + r * k];
            }
        });
        return a;
    }

    /**
     * c[cOff..] (k x n) = a (k x len) x b[bOff..] (len x n), by dot_general's choice of kernel
     * ({@link DotKernels#matmulF32Into}); every kernel is one f32 fma per term, rows ascending from +0.
     */
    static void multiply(float[] a, float[] b, int bOff, float[] c, int cOff, int k, int len, int n) {
        DotKernels.matmulF32Into(a, 0, b, bOff, c, cOff, 1, k, len, n);
    }

    /** {@link #multiply} without the vector module: {@link DotKernels#matmulF32Scalar}'s loop. */
    static void multiplyScalar(float[] a, float[] b, int bOff, float[] c, int cOff, int k, int len, int n) {
        DotKernels.matmulF32Scalar(a, 0, b, bOff, c, cOff, 1, k, len, n);
    }

    /** A -0 sum becomes +0 where the general path's zeroed rows after the group add a +0 product (see the class comment). */
    private static void signFix(float[] c, int off, int k, int n, int[] lastClear, int hi) {
        for (long i0 = 0; i0 < (long) k * n; i0 += StopCheck.STEP) {
            for (int i = (int) i0, iEnd = StopCheck.end(i0, (long) k * n); i < iEnd; i++) {
                if (Float.floatToRawIntBits(c[off + i]) == 0x80000000 && lastClear[i % n] >= hi) c[off + i] = 0f;
            }
        }
    }
}
