package io.hlo4j.runtime.interp;

/**
 * {@code stablehlo.sort} of short rows (a router's [tokens, experts] logits: rows of 8) by a primitive key. The merge
 * sort with a per-pair comparator cost far more per row than sorting 8 keys does.
 *
 * <p>It applies only when the comparator ({@link SortKernels.Direct}) is a strict weak order on the row: {@code LT} or
 * {@code GT} of one operand's elements, integers or floats in total order (JAX's canonical keys included), or floats
 * under IEEE {@code <} / {@code >} in a row without NaN (a NaN is unordered with everything, so its row keeps the
 * merge sort). Under a strict weak order, a stable sort has exactly one result, whatever the algorithm: this
 * insertion sort returns the merge sort's permutation, ties (-0.0 beside 0.0 under IEEE, equal keys, NaNs made one
 * key) in input order. {@code is_stable = false} sorts stably too, as the merge sort does.
 */
final class SortRows {
    /** Rows up to this length take the insertion sort; longer rows keep the general path. */
    static final int MAX_LEN = 16;

    private enum Kind { SIGNED, UNSIGNED, TOTAL, IEEE }

    private final Tensor t;
    private final SortKernels.Key key;
    private final Kind kind;
    private final boolean descending;

    private SortRows(Tensor t, SortKernels.Key key, Kind kind, boolean descending) {
        this.t = t;
        this.key = key;
        this.kind = kind;
        this.descending = descending;
    }

    /** The key reader for comparator {@code d} over operands {@code xs}, or null when it is not a strict weak order. */
    static SortRows of(SortKernels.Direct d, Tensor[] xs) {
        if (d == null) return null;
        SortKernels.Key kx = d.x();
        Tensor t = xs[kx.arg() / 2];
        if (kx.canonical() && t.elem != Elem.FLOAT) return null;
        String dir = Attrs.enumValue(d.compare(), "comparison_direction");
        if (!"LT".equals(dir) && !"GT".equals(dir)) return null;
        Kind kind = switch (t.elem) {
            case SIGNED -> Kind.SIGNED;
            case UNSIGNED, BOOL -> Kind.UNSIGNED;
            case FLOAT -> "TOTALORDER".equals(Attrs.enumValue(d.compare(), "compare_type")) ? Kind.TOTAL : Kind.IEEE;
            case COMPLEX -> null;
        };
        if (kind == null) return null;
        // less(p, q) is key(p) < key(q) for LT; GT, or the comparator reading (rhs, lhs), reverses it
        boolean descending = dir.equals("GT") != (kx.arg() % 2 == 1);
        return new SortRows(t, kx, kind, descending);
    }

    /**
     * The row's stable order into {@code perm[0..len)} ({@code keys} is scratch of at least {@code len}); false,
     * with {@code perm} unspecified, when the row needs the general path (a NaN under an IEEE comparator).
     */
    boolean order(int base, int stride, int len, long[] keys, int[] perm) {
        for (int i = 0; i < len; i++) {
            int at = base + i * stride;
            long k;
            switch (kind) {
                case SIGNED -> k = t.ints[at];
                case UNSIGNED -> k = t.ints[at] ^ Long.MIN_VALUE;
                case TOTAL -> k = Compare.totalKey(key.of(t.re[at]));
                default -> {
                    double v = key.of(t.re[at]);
                    if (v != v) return false;
                    k = Compare.totalKey(v == 0 ? 0.0 : v); // -0.0 == 0.0 under IEEE: one key
                }
            }
            keys[i] = descending ? ~k : k; // ~ reverses the order of longs without overflow
        }
        insertionOrder(keys, len, perm);
        return true;
    }

    /** Positions {@code 0..len-1} in the stable ascending order of {@code keys} (which is permuted alongside). */
    static void insertionOrder(long[] keys, int len, int[] perm) {
        for (int i = 0; i < len; i++) {
            long k = keys[i];
            int j = i;
            while (j > 0 && keys[j - 1] > k) { // strictly greater: an equal key stays after the earlier one
                keys[j] = keys[j - 1];
                perm[j] = perm[j - 1];
                j--;
            }
            keys[j] = k;
            perm[j] = i;
        }
    }
}
