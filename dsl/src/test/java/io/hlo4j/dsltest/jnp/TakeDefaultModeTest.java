package io.hlo4j.dsltest.jnp;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Indexing.take(x, i, axis)} without a mode is {@code jnp.take}'s default, mode="fill" (read from JAX's
 * {@code _take}: negative indices get the axis size added once, then the gather fills what is still out of range with
 * NaN for floats, the lowest signed integer, iinfo(dtype).max for unsigned ones, true for bool). Values by hand; x = [10,
 * 20, 30, 40] along axis 0, and indices 1, 3 in range, -1 and -4 from the end, 4, -5 and 100 out of range.
 * {@code takeAlongAxis(x, i, axis)} is {@code jnp.take_along_axis}'s default, mode="fill", alike.
 */
class TakeDefaultModeTest {
    private static final long[] IDX = {1, 3, -1, -4, 4, -5, 100};

    private static HostArray take(HostArray x, long... idx) {
        HostArray i = HostArray.fromLongs(Spec.of(DType.I32, idx.length).tensorType(), idx);
        return Jit.jit("take", a -> Indexing.take((Tensor) a[0], (Tensor) a[1], 0)).call1(x, i);
    }

    @Test
    void f32FillsWithNaN() {
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 4).tensorType(), 10, 20, 30, 40);
        assertThat(take(x, IDX).toDoubleArray()).containsExactly(20, 40, 40, 10, Double.NaN, Double.NaN, Double.NaN);
    }

    @Test
    void i32FillsWithTheLowestInteger() {
        HostArray x = HostArray.fromLongs(Spec.of(DType.I32, 4).tensorType(), 10, 20, 30, 40);
        long min = Integer.MIN_VALUE;
        assertThat(take(x, IDX).toLongArray()).containsExactly(20, 40, 40, 10, min, min, min);
    }

    @Test
    void boolFillsWithTrue() {
        HostArray x = HostArray.fromBooleans(Spec.of(DType.BOOL, 4).tensorType(), false, false, true, false);
        assertThat(take(x, IDX).toBooleanArray()).containsExactly(false, false, false, false, true, true, true);
    }

    @Test
    void alongAnInnerAxisEachRowIsFilled() {
        // x [2, 3] = [[1, 2, 3], [4, 5, 6]], take along axis 1 at [2, -3, 3]: [[3, 1, nan], [6, 4, nan]]
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 2, 3).tensorType(), 1, 2, 3, 4, 5, 6);
        HostArray i = HostArray.fromLongs(Spec.of(DType.I32, 3).tensorType(), 2, -3, 3);
        HostArray r = Jit.jit("take", a -> Indexing.take((Tensor) a[0], (Tensor) a[1], 1)).call1(x, i);
        assertThat(r.shape()).containsExactly(2, 3);
        assertThat(r.toDoubleArray()).containsExactly(3, 1, Double.NaN, 6, 4, Double.NaN);
    }

    @Test
    void takeInBoundsIsTheBareGather() {
        // in range it agrees with take; out of range the gather clamps (a negative index to 0), as before the default changed
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 4).tensorType(), 10, 20, 30, 40);
        HostArray i = HostArray.fromLongs(Spec.of(DType.I32, IDX.length).tensorType(), IDX);
        HostArray r = Jit.jit("t", a -> Indexing.takeInBounds((Tensor) a[0], (Tensor) a[1], 0)).call1(x, i);
        assertThat(r.toDoubleArray()).containsExactly(20, 40, 10, 10, 40, 10, 40);
        String text = Jit.jit("t", a -> Indexing.takeInBounds((Tensor) a[0], (Tensor) a[1], 0)).lower(x, i).asText();
        assertThat(text.split("= \"?stablehlo\\.", -1).length - 1).as("one gather and nothing else:%n%s", text).isEqualTo(1);
    }

    private static HostArray takeTyped(DType d, long... x) {
        return take(HostArray.fromLongs(Spec.of(d, x.length).tensorType(), x), IDX);
    }

    @Test
    void unsignedFillsWithTheHighestValue() {
        // iinfo(uint64).max = 2^64 - 1: all 64 bits set, read back as the long -1 (a double would make it 2^63 or 2^64)
        assertThat(takeTyped(DType.U64, 10, 20, 30, -2)).as("u64, x[3] = 2^64 - 2")
                .isEqualTo(HostArray.fromLongs(Spec.of(DType.U64, 7).tensorType(), 20, -2, -2, 10, -1, -1, -1));
        assertThat(takeTyped(DType.U32, 10, 20, 30, 40).toLongArray()).as("u32").containsExactly(20, 40, 40, 10, 0xFFFF_FFFFL, 0xFFFF_FFFFL, 0xFFFF_FFFFL);
        assertThat(takeTyped(DType.U8, 10, 20, 30, 40).toLongArray()).as("u8").containsExactly(20, 40, 40, 10, 255, 255, 255);
        assertThat(takeTyped(DType.I64, 10, 20, 30, 40).toLongArray()).as("i64: iinfo(int64).min")
                .containsExactly(20, 40, 40, 10, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE);
    }

    @Test
    void takeAlongAxisWithoutAModeFills() {
        // jnp.take_along_axis([10, 20, 30, 40], [1, -1, 4, -5]) = [20, 40, nan, nan]: -1 from the end, 4 and -5 past it
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 4).tensorType(), 10, 20, 30, 40);
        HostArray i = HostArray.fromLongs(Spec.of(DType.I32, 4).tensorType(), 1, -1, 4, -5);
        assertThat(Jit.jit("along", a -> Indexing.takeAlongAxis((Tensor) a[0], (Tensor) a[1], 0)).call1(x, i).toDoubleArray())
                .containsExactly(20, 40, Double.NaN, Double.NaN);
        // i32 [2, 3] = [[1, 2, 3], [4, 5, 6]] along axis 1 at [[2, -3], [3, -1]]: [[3, 1], [min, 6]]
        HostArray xi = HostArray.fromLongs(Spec.of(DType.I32, 2, 3).tensorType(), 1, 2, 3, 4, 5, 6);
        HostArray ii = HostArray.fromLongs(Spec.of(DType.I32, 2, 2).tensorType(), 2, -3, 3, -1);
        assertThat(Jit.jit("along", a -> Indexing.takeAlongAxis((Tensor) a[0], (Tensor) a[1], 1)).call1(xi, ii).toLongArray())
                .containsExactly(3, 1, Integer.MIN_VALUE, 6);
        // u64 fills with 2^64 - 1
        HostArray xu = HostArray.fromLongs(Spec.of(DType.U64, 4).tensorType(), 10, 20, 30, 40);
        assertThat(Jit.jit("along", a -> Indexing.takeAlongAxis((Tensor) a[0], (Tensor) a[1], 0)).call1(xu, i).toLongArray())
                .containsExactly(20, 40, -1, -1);
        // non-integer indices are refused by takeAlongAxis itself, naming them
        HostArray f = HostArray.fromDoubles(Spec.of(DType.F32, 4).tensorType(), 1, 0, 2, 3);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Jit.jit("along", a -> Indexing.takeAlongAxis((Tensor) a[0], (Tensor) a[1], 0)).call1(x, f))
                .hasMessageContaining("takeAlongAxis: indices must be integers, got f32[4]");
    }

    @Test
    void takeAlongAxisInBoundsIsTheBareGather() {
        // out of range the gather clamps: -1 and -5 to 0, 4 to 3
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 4).tensorType(), 10, 20, 30, 40);
        HostArray i = HostArray.fromLongs(Spec.of(DType.I32, 4).tensorType(), 1, -1, 4, -5);
        var f = Jit.jit("t", a -> Indexing.takeAlongAxisInBounds((Tensor) a[0], (Tensor) a[1], 0));
        assertThat(f.call1(x, i).toDoubleArray()).containsExactly(20, 10, 40, 10);
        String text = f.lower(x, i).asText();
        assertThat(text.split("= \"?stablehlo\\.", -1).length - 1).as("one gather and nothing else:%n%s", text).isEqualTo(1);
    }
}
