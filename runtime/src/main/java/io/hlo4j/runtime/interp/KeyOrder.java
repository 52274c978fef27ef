package io.hlo4j.runtime.interp;

/**
 * How {@code stablehlo.sort}'s fast paths and {@code chlo.top_k} order one element type: each element read as a signed
 * long whose order is the element type's ({@link #key}). One definition, so that the per-pair test of the merge sort,
 * {@link SortRows}' keys and top_k's ranking cannot drift apart.
 */
enum KeyOrder {
    /** Signed integers (and index): the value itself. */
    SIGNED,
    /** Unsigned integers and booleans: the value with its top bit flipped, which maps unsigned order onto signed. */
    UNSIGNED,
    /** Floats in IEEE total order: -NaN < -inf < ... < -0.0 < 0.0 < ... < inf < NaN, payloads ordered too. */
    TOTAL,
    /**
     * Floats under IEEE {@code <}: both zeros are one key; exact only for rows without NaN (a NaN is unordered with
     * everything), which callers test first.
     */
    IEEE;

    /** The order of elements {@code e} ({@code totalOrder}: a float compare of type TOTALORDER); null for complex numbers. */
    static KeyOrder of(Elem e, boolean totalOrder) {
        return switch (e) {
            case SIGNED -> SIGNED;
            case UNSIGNED, BOOL -> UNSIGNED;
            case FLOAT -> totalOrder ? TOTAL : IEEE;
            case COMPLEX -> null;
        };
    }

    /** Element {@code at} of {@code t}, read through {@code k} (JAX's canonical sort key, or as it is), as an ordered long. */
    long key(Tensor t, int at, SortKernels.Key k) {
        return switch (this) {
            case SIGNED -> t.ints[at];
            case UNSIGNED -> t.ints[at] ^ Long.MIN_VALUE;
            case TOTAL -> Compare.totalKey(k.of(t.re[at]));
            case IEEE -> {
                double v = k.of(t.re[at]);
                yield Compare.totalKey(v == 0 ? 0.0 : v); // -0.0 == 0.0 under IEEE: one key
            }
        };
    }
}
