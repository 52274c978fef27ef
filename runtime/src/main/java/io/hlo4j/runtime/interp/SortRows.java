package io.hlo4j.runtime.interp;

/**
 * {@code stablehlo.sort} of short rows (a router's [tokens, experts] logits: rows of 8) by a primitive key. The merge
 * sort with a per-pair comparator cost far more per row than sorting 8 keys does.
 *
 * <p>It applies only when the comparator ({@link SortKernels.Plan}) is a strict weak order on the row: {@code LT} or
 * {@code GT} of one operand's elements, integers or floats in total order (JAX's canonical keys included), or floats
 * under IEEE {@code <} / {@code >} in a row without NaN (a NaN is unordered with everything, so its row keeps the
 * merge sort). Under a strict weak order, a stable sort has exactly one result, whatever the algorithm: this
 * insertion sort returns the merge sort's permutation, ties (-0.0 beside 0.0 under IEEE, equal keys, NaNs made one
 * key) in input order. {@code is_stable = false} sorts stably too, as the merge sort does.
 */
final class SortRows {
    /** Rows up to this length take the insertion sort; longer rows keep the general path. */
    static final int MAX_LEN = 16;

    private final SortKernels.Plan plan;
    private final boolean descending;

    private SortRows(SortKernels.Plan plan, boolean descending) {
        this.plan = plan;
        this.descending = descending;
    }

    /** The key reader for comparator {@code plan}, or null when it is none or not a strict weak order. */
    static SortRows of(SortKernels.Plan plan) {
        if (plan == null || (plan.dir() != Compare.Dir.LT && plan.dir() != Compare.Dir.GT)) return null;
        // less(p, q) is key(p) < key(q) for LT; GT, or the comparator reading (rhs, lhs), reverses it
        return new SortRows(plan, (plan.dir() == Compare.Dir.GT) != plan.swapped());
    }

    /**
     * The row's stable order into {@code perm[0..len)} ({@code keys} is scratch of at least {@code len}); false,
     * with {@code perm} unspecified, when the row needs the general path (a NaN under an IEEE comparator).
     */
    boolean order(int base, int stride, int len, long[] keys, int[] perm) {
        Tensor t = plan.t();
        KeyOrder order = plan.order();
        boolean ieee = order == KeyOrder.IEEE;
        for (int i = 0; i < len; i++) {
            int at = base + i * stride;
            if (ieee && t.re[at] != t.re[at]) return false; // JAX's canonical key of a NaN is a NaN too
            long k = order.key(t, at, plan.key());
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
