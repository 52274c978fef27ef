package io.hlo4j.runtime.interp;

/**
 * {@code transpose} of a permutation that moves the last dimension (autodiff's [..., R, C] to [..., C, R] before a
 * weight gradient's dot, and any other such as [2, 0, 1]), in tiles of 8-element strips. The plain row loop of
 * {@link Layout#affineGather} reads the source a whole row apart per element; here each step of the inner loop
 * reads one element from each of 8 source rows and writes them as 8 adjacent elements (one 64-byte cache line of
 * doubles or longs), while the next step reads the neighbours of those 8, already in cache. Copies only, so the
 * result is the same whatever the order.
 *
 * <p>Names: the output's last dimension is L (its source stride is a whole source row, {@code sL}); the output
 * dimension q is the one the source's last dimension went to (stride 1 in the source). Every other dimension is
 * "outer": for a fixed outer index, the op is a [nL, nQ] to [nQ, nL] transpose of a plane. A unit is one tile of
 * one plane, {@link #LB} values of L by {@link #QB} values of q, so units write disjoint outputs and run in parallel.
 */
final class TransposeTiles {
    private TransposeTiles() {}

    /** Tile: 64 values of L (8 strips) by 128 values of q; 8,192 elements, 64 KiB of doubles each side (in L2). */
    static final int LB = 64, QB = 128;

    /** Planes smaller than this take the strided copy: tiles would not pay for themselves. */
    static final int MIN_PLANE = 64;

    /** Whether {@code perm} moves the source's last dimension (and the planes are large enough to tile). */
    static boolean applies(Tensor x, long[] perm) {
        int r = perm.length;
        if (r < 2 || x.size == 0 || perm[r - 1] == r - 1) return false;
        return x.shape[r - 1] * x.shape[(int) perm[r - 1]] >= MIN_PLANE;
    }

    /** Writes {@code x} transposed by {@code perm} into {@code out} (of the permuted shape). */
    static void transpose(Tensor x, long[] perm, Tensor out) {
        int r = perm.length, last = r - 1, q = 0;
        while (perm[q] != last) q++;
        int[] is = Tensor.strides(x.shape), os = Tensor.strides(out.shape);
        int nL = (int) out.shape[last], nQ = (int) out.shape[q], sL = is[(int) perm[last]], oq = os[q];
        // the outer dimensions in output order (the last one varies fastest), with their strides on both sides
        int k = 0;
        int[] size = new int[r - 2], ss = new int[r - 2], ostr = new int[r - 2];
        for (int d = 0; d < last; d++) {
            if (d == q) continue;
            size[k] = (int) out.shape[d];
            ss[k] = is[(int) perm[d]];
            ostr[k++] = os[d];
        }
        int lBlocks = (nL + LB - 1) / LB, tiles = lBlocks * ((nQ + QB - 1) / QB), units = x.size / (nL * nQ) * tiles;
        StopCheck.range(units, Math.max(1, FloatLoops.CHUNK / (LB * QB)), (long) LB * QB, (lo, hi) -> {
            for (int u = lo; u < hi; u++) {
                int o = u / tiles, t = u % tiles, sb = 0, ob = 0;
                for (int d = size.length - 1; d >= 0; d--) {
                    int i = o % size[d];
                    o /= size[d];
                    sb += i * ss[d];
                    ob += i * ostr[d];
                }
                int l0 = (t % lBlocks) * LB, l1 = Math.min(nL, l0 + LB), q0 = (t / lBlocks) * QB, q1 = Math.min(nQ, q0 + QB);
                if (x.ints != null) {
                    tile(x.ints, out.ints, sb, ob, sL, oq, l0, l1, q0, q1);
                } else {
                    tile(x.re, out.re, sb, ob, sL, oq, l0, l1, q0, q1);
                    if (x.im != null) tile(x.im, out.im, sb, ob, sL, oq, l0, l1, q0, q1);
                }
            }
        });
    }

    /**
     * One tile of doubles: out[ob + iq * oq + l] = x[sb + l * sL + iq] for l in [l0, l1), iq in [q0, q1). Strips of 8
     * values of l write 8 adjacent outputs per iq; the rows left over (fewer than 8) go one at a time.
     */
    static void tile(double[] s, double[] d, int sb, int ob, int sL, int oq, int l0, int l1, int q0, int q1) {
        int l = l0;
        for (; l + 8 <= l1; l += 8) {
            for (int iq = q0, p = sb + l * sL + q0, o = ob + q0 * oq + l; iq < q1; iq++, p++, o += oq) {
                d[o] = s[p];
                d[o + 1] = s[p + sL];
                d[o + 2] = s[p + 2 * sL];
                d[o + 3] = s[p + 3 * sL];
                d[o + 4] = s[p + 4 * sL];
                d[o + 5] = s[p + 5 * sL];
                d[o + 6] = s[p + 6 * sL];
                d[o + 7] = s[p + 7 * sL];
            }
        }
        for (; l < l1; l++) {
            for (int iq = q0, p = sb + l * sL + q0, o = ob + q0 * oq + l; iq < q1; iq++, p++, o += oq) d[o] = s[p];
        }
    }

    /** {@link #tile(double[], double[], int, int, int, int, int, int, int, int)} for integers and booleans. */
    static void tile(long[] s, long[] d, int sb, int ob, int sL, int oq, int l0, int l1, int q0, int q1) {
        int l = l0;
        for (; l + 8 <= l1; l += 8) {
            for (int iq = q0, p = sb + l * sL + q0, o = ob + q0 * oq + l; iq < q1; iq++, p++, o += oq) {
                d[o] = s[p];
                d[o + 1] = s[p + sL];
                d[o + 2] = s[p + 2 * sL];
                d[o + 3] = s[p + 3 * sL];
                d[o + 4] = s[p + 4 * sL];
                d[o + 5] = s[p + 5 * sL];
                d[o + 6] = s[p + 6 * sL];
                d[o + 7] = s[p + 7 * sL];
            }
        }
        for (; l < l1; l++) {
            for (int iq = q0, p = sb + l * sL + q0, o = ob + q0 * oq + l; iq < q1; iq++, p++, o += oq) d[o] = s[p];
        }
    }

    /**
     * {@code groups} matrices [rows, cols] of f32 values held as doubles, as floats transposed to [cols, rows] each
     * (a folded transpose's operand read by a kernel that packs floats: {@link TransposeFolding}); the conversion and
     * the transpose in one pass, in the tiles of {@link #transpose}. Values exact in f32, so each is the float the
     * transposed tensor's {@code DotKernels.toFloats} would give.
     */
    static float[] toFloatsTransposed(double[] s, int groups, int rows, int cols) {
        float[] d = new float[groups * rows * cols];
        if (d.length == 0) return d;
        int plane = rows * cols, lBlocks = (rows + LB - 1) / LB, tiles = lBlocks * ((cols + QB - 1) / QB);
        StopCheck.range(groups * tiles, Math.max(1, FloatLoops.CHUNK / (LB * QB)), (long) LB * QB, (lo, hi) -> {
            for (int u = lo; u < hi; u++) {
                int g = u / tiles, t = u % tiles;
                int l0 = (t % lBlocks) * LB, l1 = Math.min(rows, l0 + LB), q0 = (t / lBlocks) * QB, q1 = Math.min(cols, q0 + QB);
                tile(s, d, g * plane, g * plane, cols, rows, l0, l1, q0, q1);
            }
        });
        return d;
    }

    /** {@link #tile(double[], double[], int, int, int, int, int, int, int, int)} into floats (values exact in f32). */
    static void tile(double[] s, float[] d, int sb, int ob, int sL, int oq, int l0, int l1, int q0, int q1) {
        int l = l0;
        for (; l + 8 <= l1; l += 8) {
            for (int iq = q0, p = sb + l * sL + q0, o = ob + q0 * oq + l; iq < q1; iq++, p++, o += oq) {
                d[o] = (float) s[p];
                d[o + 1] = (float) s[p + sL];
                d[o + 2] = (float) s[p + 2 * sL];
                d[o + 3] = (float) s[p + 3 * sL];
                d[o + 4] = (float) s[p + 4 * sL];
                d[o + 5] = (float) s[p + 5 * sL];
                d[o + 6] = (float) s[p + 6 * sL];
                d[o + 7] = (float) s[p + 7 * sL];
            }
        }
        for (; l < l1; l++) {
            for (int iq = q0, p = sb + l * sL + q0, o = ob + q0 * oq + l; iq < q1; iq++, p++, o += oq) d[o] = (float) s[p];
        }
    }
}
