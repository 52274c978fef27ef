package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.moe.ep.EpMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/** RING: the EP FUSED block equals the unpartitioned FUSED one on every factorisation of 8 devices (see {@link EpEquivalence}). */
class EpRingEquivalenceTest {
    static Stream<int[]> eight() { return EpEquivalence.eight(); }

    static Stream<int[]> sixteen() { return EpEquivalence.sixteen(); }

    @ParameterizedTest(name = "(dp, fsdp, ep, tp, sp) = {0}")
    @MethodSource("eight")
    void everyFactorisationOfEightDevices(int[] f) { EpEquivalence.check(EpEquivalence.TOP2, f, EpMode.RING); }

    @ParameterizedTest(name = "16 devices {0}")
    @MethodSource("sixteen")
    void sampleOfSixteenDevices(int[] f) { EpEquivalence.check(EpEquivalence.TOP2_BIAS_32, f, EpMode.RING); }

    @ParameterizedTest(name = "with biases {0}")
    @MethodSource("eight")
    void withBiases(int[] f) {
        EpEquivalence.check(EpEquivalence.TOP2_BIAS, f, EpMode.RING);
    }
}
