package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.testing.CaseSeeds;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link CaseSeeds}: runs with nearby seeds share no case (with {@code mix(seed + i)}, seeds 11 and 13 shared 14,998 of 15,000). */
class CaseSeedsTest {
    @Test void nearbySeedsShareNoCase() {
        Set<Long> seen = new HashSet<>();
        for (long seed = 10; seed <= 13; seed++) {
            for (int i = 0; i < 15_000; i++) assertThat(seen.add(CaseSeeds.of(seed, i))).as("case %d of seed %d", i, seed).isTrue();
        }
        assertThat(CaseSeeds.of(11, 5)).isEqualTo(CaseSeeds.of(11, 5)); // a function of (seed, i) only
    }
}
