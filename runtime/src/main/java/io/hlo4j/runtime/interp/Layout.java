package io.hlo4j.runtime.interp;

/** Index arithmetic shared by data-movement kernels: affine gathers over row-major arrays. */
final class Layout {
    private Layout() {}

    /**
     * Fills every element of {@code dst} from {@code src} at {@code base + sum(idx[d] * srcStride[d])}, where idx
     * walks {@code dst}'s shape in row-major order (an odometer, no per-element division).
     */
    static void affineGather(Tensor dst, Tensor src, long base, long[] srcStride) {
        int rank = dst.rank();
        int n = dst.size;
        if (n == 0) return;
        if (rank == 0) { dst.copyElement(0, src, (int) base); return; }
        int lastDim = (int) dst.shape[rank - 1];
        if (lastDim == 0) return;
        int rows = n / lastDim;
        // rows of the last dimension in chunks, on both cores when the tensor is large
        StopCheck.range(rows, Math.max(1, FloatLoops.CHUNK / lastDim), lastDim, (lo, hi) -> gatherRows(dst, src, base, srcStride, lo, hi));
    }

    /** {@link #affineGather} for the rows [lo, hi) of the last dimension (an odometer, no per-element division). */
    private static void gatherRows(Tensor dst, Tensor src, long base, long[] srcStride, int lo, int hi) {
        int rank = dst.rank();
        long[] shape = dst.shape;
        int[] idx = new int[rank];
        int last = rank - 1;
        long off = base;
        long r = lo;
        for (int d = last - 1; d >= 0; d--) { // the odometer at row lo
            idx[d] = (int) (r % shape[d]);
            r /= shape[d];
            off += idx[d] * srcStride[d];
        }
        long lastStride = srcStride[last];
        int lastDim = (int) shape[last];
        for (int row = lo, i = lo * lastDim; row < hi; row++) {
            // inner loop over the last dimension
            if (dst.ints != null) {
                long[] d = dst.ints, s = src.ints;
                long o = off;
                if (lastStride == 0) java.util.Arrays.fill(d, i, i + lastDim, s[(int) o]);
                else if (lastStride == 1) System.arraycopy(s, (int) o, d, i, lastDim);
                else for (int k = 0; k < lastDim; k++, o += lastStride) d[i + k] = s[(int) o];
            } else {
                double[] d = dst.re, s = src.re;
                long o = off;
                if (lastStride == 0) java.util.Arrays.fill(d, i, i + lastDim, s[(int) o]); // broadcast row
                else if (lastStride == 1) System.arraycopy(s, (int) o, d, i, lastDim);
                else for (int k = 0; k < lastDim; k++, o += lastStride) d[i + k] = s[(int) o];
                if (dst.im != null) {
                    o = off;
                    for (int k = 0; k < lastDim; k++, o += lastStride) dst.im[i + k] = src.im[(int) o];
                }
            }
            i += lastDim;
            // advance the odometer from the second-to-last dimension
            int d = last - 1;
            while (d >= 0) {
                idx[d]++;
                off += srcStride[d];
                if (idx[d] < shape[d]) break;
                off -= srcStride[d] * shape[d];
                idx[d] = 0;
                d--;
            }
        }
    }

    /** Elements per block of a long {@link #copy}, between two polls of the op's stop. */
    private static final int COPY_BLOCK = 1 << 20;

    /** Copies {@code len} elements; a long copy goes in blocks, polling the op's stop between them. */
    static void copy(Tensor src, int srcOff, Tensor dst, int dstOff, int len) {
        if (len > COPY_BLOCK) {
            StopCheck.serial(len, COPY_BLOCK, 1, (lo, hi) -> copyBlock(src, srcOff + lo, dst, dstOff + lo, hi - lo));
            return;
        }
        copyBlock(src, srcOff, dst, dstOff, len);
    }

    private static void copyBlock(Tensor src, int srcOff, Tensor dst, int dstOff, int len) {
        if (src.ints != null) System.arraycopy(src.ints, srcOff, dst.ints, dstOff, len);
        else {
            System.arraycopy(src.re, srcOff, dst.re, dstOff, len);
            if (src.im != null) System.arraycopy(src.im, srcOff, dst.im, dstOff, len);
        }
    }

    /** Multi-index of flat position {@code flat} in {@code shape}, into {@code out}. */
    static void unflatten(long flat, long[] shape, long[] out) {
        for (int d = shape.length - 1; d >= 0; d--) {
            long s = shape[d];
            out[d] = flat % s;
            flat /= s;
        }
    }

    static long product(long[] shape) {
        long p = 1;
        for (long d : shape) p *= d;
        return p;
    }
}
