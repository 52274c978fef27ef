package io.hlo4j.mlir.testing;

import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Greedy shrinking of a failing fuzz case, shared by the fuzzers' minimisers: take the first smaller candidate that
 * still fails, and start again from it, until none does. Cheap (each try is one check of a small case), not minimal.
 */
public final class GreedyShrink {
    private GreedyShrink() {}

    /** The last case reached from {@code start} through candidates that still fail. */
    public static <T> T shrink(T start, Function<T, List<T>> candidates, Predicate<T> fails) {
        T best = start;
        for (boolean progress = true; progress; ) {
            progress = false;
            for (T c : candidates.apply(best)) {
                if (fails.test(c)) {
                    best = c;
                    progress = true;
                    break;
                }
            }
        }
        return best;
    }
}
