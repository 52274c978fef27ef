package io.hlo4j.dsltest.jnp;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The identities of min / max and the starts of argmin / argmax, cummin / cummax are the dtype's extremes (numpy's
 * iinfo): for u64 the largest is 2^64 - 1 and for i64 2^63 - 1, which a double cannot hold. Values by hand; a u64 is
 * read back as the long of its bits (2^64 - 1 is -1, 2^64 - 2 is -2, 2^63 is Long.MIN_VALUE).
 */
class IntegerExtremesTest {
    private static final long TOP = -1, TOP_1 = -2, HALF = Long.MIN_VALUE;   // u64 2^64 - 1, 2^64 - 2, 2^63

    private static long[] run(TracedFunction f, DType d, long... x) {
        return Jit.jit("f", f).call1(HostArray.fromLongs(Spec.of(d, x.length).tensorType(), x)).toLongArray();
    }

    @Test
    void u64MinAndArgminAboveTwoTo63() {
        // everything here is above 2^63, the old identity (Long.MAX_VALUE as a double), which won every comparison
        assertThat(run(a -> Reductions.min((Tensor) a[0]), DType.U64, TOP, TOP_1, TOP)).containsExactly(TOP_1);
        assertThat(run(a -> Reductions.min((Tensor) a[0]), DType.U64, TOP)).containsExactly(TOP);
        assertThat(run(a -> Reductions.argmin((Tensor) a[0], 0), DType.U64, TOP, TOP_1, TOP)).containsExactly(1);
        assertThat(run(a -> Reductions.cummin((Tensor) a[0], 0), DType.U64, TOP, TOP_1, TOP)).containsExactly(TOP, TOP_1, TOP_1);
        assertThat(run(a -> Reductions.cummin((Tensor) a[0], 0, true), DType.U64, TOP_1, TOP, TOP)).containsExactly(TOP_1, TOP, TOP);
    }

    @Test
    void u64MaxAndArgmaxCompareUnsigned() {
        assertThat(run(a -> Reductions.max((Tensor) a[0]), DType.U64, 5, TOP, HALF)).containsExactly(TOP);
        assertThat(run(a -> Reductions.argmax((Tensor) a[0], 0), DType.U64, 5, HALF, TOP, 7)).containsExactly(2);
        assertThat(run(a -> Reductions.cummax((Tensor) a[0], 0), DType.U64, 0, HALF, 3, TOP)).containsExactly(0, HALF, HALF, TOP);
    }

    @Test
    void i64ExtremesAreExact() {
        long max = Long.MAX_VALUE, min = Long.MIN_VALUE;
        assertThat(run(a -> Reductions.min((Tensor) a[0]), DType.I64, max, max - 1)).containsExactly(max - 1);
        assertThat(run(a -> Reductions.min((Tensor) a[0]), DType.I64, max)).containsExactly(max);
        assertThat(run(a -> Reductions.max((Tensor) a[0]), DType.I64, min, min + 1)).containsExactly(min + 1);
        assertThat(run(a -> Reductions.argmin((Tensor) a[0], 0), DType.I64, max, max, max - 1)).containsExactly(2);
        assertThat(run(a -> Reductions.cummin((Tensor) a[0], 0), DType.I64, max, max - 1)).containsExactly(max, max - 1);
    }

    @Test
    void narrowUnsignedExtremes() {
        assertThat(run(a -> Reductions.min((Tensor) a[0]), DType.U32, 0xFFFF_FFFFL, 0xFFFF_FFFEL)).containsExactly(0xFFFF_FFFEL);
        assertThat(run(a -> Reductions.argmin((Tensor) a[0], 0), DType.U8, 255, 254, 255)).containsExactly(1);
        assertThat(run(a -> Reductions.cummin((Tensor) a[0], 0), DType.U8, 255, 254)).containsExactly(255, 254);
    }
}
