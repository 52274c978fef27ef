package io.hlo4j.mlir.testing;

/**
 * The seed of a fuzzer's case {@code i}: SplitMix64's finaliser of {@code seed + i}, a function of (seed, i) only, so a
 * failing case is reproduced by its number. Not {@code seed + i} itself: for a power-of-two {@code n}, java.util.Random's
 * first {@code nextInt(n)} takes the top bits of its first step, which consecutive seeds barely change, so all 100
 * mutants of the 16 Shardy seed modules came from one of them.
 */
public final class CaseSeeds {
    private CaseSeeds() {}

    public static long of(long seed, int i) {
        long z = seed + i + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
