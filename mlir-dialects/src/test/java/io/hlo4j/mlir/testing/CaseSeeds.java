package io.hlo4j.mlir.testing;

/**
 * The seed of a fuzzer's case {@code i}: {@code mix(mix(seed) + i)}, SplitMix64's finaliser, a function of (seed, i)
 * only, so a failing case is reproduced by its number. The inner mix keeps seeds apart: with {@code mix(seed + i)},
 * case {@code i} of seed {@code S} was case {@code i + 1} of seed {@code S - 1}, so two runs with nearby seeds repeated
 * each other's cases. The outer mix keeps cases apart: for a power-of-two {@code n}, java.util.Random's first
 * {@code nextInt(n)} takes the top bits of its first step, which consecutive seeds barely change, so unmixed, all 100
 * mutants of the 16 Shardy seed modules came from one of them.
 */
public final class CaseSeeds {
    private CaseSeeds() {}

    public static long of(long seed, int i) { return mix(mix(seed) + i); }

    static long mix(long x) {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
