package io.hlo4j.runtime.interp;

/**
 * {@code transpose} of the last two dimensions ([..., R, C] to [..., C, R], the transposes autodiff puts before a
 * weight gradient's dot), copied in square tiles: the plain row loop of {@link Layout#affineGather} reads the source
 * with a stride of a whole row per element, one cache miss per element on large matrices, where a tile's reads stay
 * within a few rows. Copies only, so the result is the same whatever the order.
 */
final class TransposeTiles {
    private TransposeTiles() {}

    /** Tile side: 32 doubles (or longs) are four cache lines of a source row. */
    static final int T = 32;

    /** Whether {@code perm} swaps exactly the last two dimensions (and the tensor is large enough to care). */
    static boolean applies(Tensor x, long[] perm) {
        int r = perm.length;
        if (r < 2 || x.im != null || x.size < T * T) return false;
        for (int d = 0; d < r - 2; d++) if (perm[d] != d) return false;
        return perm[r - 2] == r - 1 && perm[r - 1] == r - 2;
    }

    /** Writes {@code x} ([..., R, C]) transposed into {@code out} ([..., C, R]). */
    static void transpose(Tensor x, Tensor out) {
        int r = x.rank();
        int rows = (int) x.shape[r - 2], cols = (int) x.shape[r - 1];
        if (rows == 0 || cols == 0) return;
        int batch = x.size / (rows * cols), blocks = (cols + T - 1) / T;
        // a unit is T output rows (T source columns) of one matrix: disjoint outputs, so units may run in parallel
        StopCheck stop = StopCheck.current(); // the workers poll for the op's thread, once per tile
        StopCheck.range(batch * blocks, Math.max(1, FloatLoops.CHUNK / (T * rows)), 1, (lo, hi) -> {
            for (int u = lo; u < hi; u++) {
                int b = u / blocks, j0 = (u % blocks) * T, j1 = Math.min(cols, j0 + T);
                int base = b * rows * cols;
                for (int i0 = 0; i0 < rows; i0 += T) {
                    int i1 = Math.min(rows, i0 + T);
                    stop.poll((long) T * T);
                    if (x.ints != null) {
                        long[] s = x.ints, d = out.ints;
                        for (int j = j0; j < j1; j++) for (int i = i0, o = base + j * rows; i < i1; i++) d[o + i] = s[base + i * cols + j];
                    } else {
                        double[] s = x.re, d = out.re;
                        for (int j = j0; j < j1; j++) for (int i = i0, o = base + j * rows; i < i1; i++) d[o + i] = s[base + i * cols + j];
                    }
                }
            }
        });
    }
}
