package io.hlo4j.mlir.dialect.stablehlo;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ring byte counts, worked by hand: a ring of g devices passes g-1 of the g blocks each way. */
class RingBytesTest {
    @Test
    void handCounts() {
        // all_reduce of 16 B over 4: reduce_scatter 3 x 4 B + all_gather 3 x 4 B = 24 B
        assertThat(RingBytes.received("stablehlo.all_reduce", 4, 16, 16)).isEqualTo(24);
        assertThat(RingBytes.received("sdy.all_reduce", 4, 16, 16)).isEqualTo(24);
        // all_gather to 96 B over 3: the 2 blocks of 32 B it lacks
        assertThat(RingBytes.received("stablehlo.all_gather", 3, 32, 96)).isEqualTo(64);
        // reduce_scatter / all_to_all / collective_reduce of 30 B over 4: 3/4 of 30 = 22.5, rounded up
        for (String op : new String[] {"stablehlo.reduce_scatter", "stablehlo.all_to_all", "stablehlo.collective_reduce"})
            assertThat(RingBytes.received(op, 4, 30, 8)).as(op).isEqualTo(23);
        assertThat(RingBytes.received("stablehlo.all_reduce", 1, 16, 16)).isZero();
        assertThat(RingBytes.covers("stablehlo.collective_permute")).isFalse();
        assertThatThrownBy(() -> RingBytes.received("stablehlo.collective_permute", 2, 8, 8))
                .hasMessage("no ring byte count for collective stablehlo.collective_permute");
    }

    /** Past 64 bits an ArithmeticException, never a wrapped (negative) count; the rounding itself cannot overflow. */
    @Test
    void overflowThrowsInsteadOfWrapping() {
        long in = 1L << 61;
        assertThatThrownBy(() -> RingBytes.received("stablehlo.all_reduce", 4, in, in)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> RingBytes.received("stablehlo.all_gather", 5, in, in)).isInstanceOf(ArithmeticException.class);
        // 2 x 1 x (2^62 - 1) / 2 rounds up to 2^62 - 1 without passing 64 bits
        assertThat(RingBytes.received("stablehlo.all_reduce", 2, Long.MAX_VALUE / 2, 0)).isEqualTo(Long.MAX_VALUE / 2);
        assertThat(RingBytes.received("stablehlo.all_gather", 2, 0, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE / 2 + 1);
    }
}
