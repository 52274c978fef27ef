package io.hlo4j.dsltest.jnp;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.GatherDims;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Explicit fill values of {@code take} / {@code takeAlongAxis} / {@code gatherFill}, converted as JAX converts
 * {@code fill_value} (lax.full_like: a Python int through {@code np.asarray(n).astype(dtype)}, a Python float through
 * {@code np.asarray(v, dtype=dtype)}; bf16 is ml_dtypes', which goes through f32). Values by hand: x = [10, 20, 30, 40]
 * at indices [1, 7], so the result is [x[1], fill].
 */
class TakeFillValueTest {
    private static final HostArray IDX = HostArray.fromLongs(Spec.of(DType.I32, 2).tensorType(), 1, 7);

    private static HostArray x(DType d) {
        return d.isFloat() ? HostArray.fromDoubles(Spec.of(d, 4).tensorType(), 10, 20, 30, 40)
                : HostArray.fromLongs(Spec.of(d, 4).tensorType(), 10, 20, 30, 40);
    }

    private static HostArray run(DType d, TracedFunction f) { return Jit.jit("fill", f).call1(x(d), IDX); }

    /** take, takeAlongAxis and gatherFill with the same long fill, each must give [20, fill]. */
    private static long[] allThree(DType d, long fill) {
        long[] a = run(d, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, fill)).toLongArray();
        long[] b = run(d, t -> Indexing.takeAlongAxis((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, fill)).toLongArray();
        long[] c = run(d, t -> Indexing.gatherFill((Tensor) t[0], io.hlo4j.dsl.Ops.reshape((Tensor) t[1], 2, 1),
                GatherDims.of(new int[0], new int[]{0}, new int[]{0}), new long[]{1}, fill)).toLongArray();
        assertThat(b).as("takeAlongAxis").containsExactly(a);
        assertThat(c).as("gatherFill").containsExactly(a);
        return a;
    }

    @Test
    void i64FillsAreExactBeyondTwoToThe53() {
        // 2^53 + 1 has no double: the double overload would have made it 2^53
        assertThat(allThree(DType.I64, (1L << 53) + 1)).containsExactly(20, 9_007_199_254_740_993L);
        assertThat(allThree(DType.I64, Long.MIN_VALUE)).containsExactly(20, -9_223_372_036_854_775_808L);
        assertThat(allThree(DType.I64, Long.MAX_VALUE)).containsExactly(20, 9_223_372_036_854_775_807L);
    }

    @Test
    void u64FillsAreGivenByTheirBits() {
        // 2^64 - 1 and 2^63 + 1: all 64 bits read back as the long -1, and 0x8000000000000001
        assertThat(allThree(DType.U64, Long.parseUnsignedLong("18446744073709551615"))).containsExactly(20, -1);
        assertThat(allThree(DType.U64, Long.parseUnsignedLong("9223372036854775809"))).containsExactly(20, 0x8000_0000_0000_0001L);
        HostArray r = run(DType.U64, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, -1L));
        assertThat(r).isEqualTo(HostArray.fromLongs(Spec.of(DType.U64, 2).tensorType(), 20, -1));
        String text = Jit.jit("fill", t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL,
                Long.parseUnsignedLong("9223372036854775809"))).lower(x(DType.U64), IDX).asText();
        assertThat(text).contains("dense<9223372036854775809> : tensor<ui64>");
    }

    @Test
    void integerFillsOutOfANarrowDtypeWrapAsJaxDoes() {
        // np.asarray(2**32 + 5).astype(int32) == 5, np.asarray(-2**31 - 1).astype(int32) == 2**31 - 1,
        // np.asarray(300).astype(uint8) == 44, np.asarray(-1).astype(uint8) == 255, np.asarray(2).astype(bool) == True
        assertThat(allThree(DType.I32, (1L << 32) + 5)).containsExactly(20, 5);
        assertThat(allThree(DType.I32, -(1L << 31) - 1)).containsExactly(20, Integer.MAX_VALUE);
        assertThat(allThree(DType.U8, 300)).containsExactly(20, 44);
        assertThat(allThree(DType.U8, -1)).containsExactly(20, 255);
        assertThat(allThree(DType.U32, -1)).containsExactly(20, 0xFFFF_FFFFL);
        assertThat(allThree(DType.I8, 128)).containsExactly(20, -128);
        HostArray b = HostArray.fromBooleans(Spec.of(DType.BOOL, 4).tensorType(), false, true, false, false);
        assertThat(Jit.jit("fill", t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, 256L)).call1(b, IDX)
                .toBooleanArray()).as("256 is non-zero: true (its low byte would be false)").containsExactly(true, true);
    }

    @Test
    void floatFillsRoundAsNumpyCastsInt64() {
        // 2^60 + 2^36 + 1 to f32 (24 bits): nearest is 2^60 + 2^37; through a double first (53 bits) it would tie down to 2^60
        double f32 = run(DType.F32, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL,
                (1L << 60) + (1L << 36) + 1)).toDoubleArray()[1];
        assertThat(f32).isEqualTo(0x1p60 + 0x1p37).isEqualTo((double) (float) ((1L << 60) + (1L << 36) + 1));
        // 2^24 + 1 ties between 2^24 and 2^24 + 2: to even, 2^24; 2^24 + 3 ties to 2^24 + 4
        assertThat(run(DType.F32, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, (1L << 24) + 1))
                .toDoubleArray()).containsExactly(20, 16_777_216);
        assertThat(run(DType.F32, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, (1L << 24) + 3))
                .toDoubleArray()).containsExactly(20, 16_777_220);
        // bf16 keeps 8 bits: 257 ties to 256, 259 ties to 260; f16 overflows to inf past 65519
        assertThat(run(DType.BF16, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, 257L)).toDoubleArray())
                .containsExactly(20, 256);
        assertThat(run(DType.BF16, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, 259L)).toDoubleArray())
                .containsExactly(20, 260);
        // bf16 is ml_dtypes' int64 -> f32 -> bf16 (two roundings). 2^24 + 2^16 + 1: f32 (ulp 2) ties to even 2^24 + 2^16,
        // which bf16 (ulp 2^17) ties to even 2^24; rounded once it would be above the tie, 2^24 + 2^17 = 16908288
        assertThat(run(DType.BF16, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, (1L << 24) + (1L << 16) + 1))
                .toDoubleArray()).containsExactly(20, 16_777_216);
        // 2^60 + 2^52 + 1: f32 (ulp 2^37) drops the 1, bf16 (ulp 2^53) ties 2^60 + 2^52 to even 2^60 (once: 2^60 + 2^53)
        assertThat(run(DType.BF16, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, (1L << 60) + (1L << 52) + 1))
                .toDoubleArray()).containsExactly(20, 0x1p60);
        assertThat(run(DType.F16, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, 70_000L)).toDoubleArray())
                .containsExactly(20, Double.POSITIVE_INFINITY);
        assertThat(run(DType.F64, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, (1L << 53) + 1))
                .toDoubleArray()).as("ties to even in f64 too").containsExactly(20, 0x1p53);
    }

    @Test
    void doubleFillsInAFloatDtype() {
        // f32 fill 0.1 is the f32 nearest 0.1; -7.5 exact
        assertThat(run(DType.F32, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, 0.1)).toDoubleArray())
                .containsExactly(20, (double) 0.1f);
        assertThat(run(DType.F32, t -> Indexing.takeAlongAxis((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, -7.5))
                .toDoubleArray()).containsExactly(20, -7.5);
        // bf16 through f32 as ml_dtypes converts a Python float: 1 + 2^-8 + 2^-40 is f32 1 + 2^-8, a bf16 tie (ulp 2^-7)
        // to even 1.0; rounded once it would be 1 + 2^-7 = 1.0078125
        assertThat(run(DType.BF16, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, 1 + 0x1p-8 + 0x1p-40))
                .toDoubleArray()).containsExactly(20, 1.0);
        // numpy's f16 rounds a double once (npy_double_to_half): 1 + 2^-11 + 2^-40 is above the tie, 1 + 2^-10
        // (through f32 it would tie to 1.0); np.asarray(1 + 2**-11 + 2**-40, dtype=np.float16) == 1.0009765625
        assertThat(run(DType.F16, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, 1 + 0x1p-11 + 0x1p-40))
                .toDoubleArray()).containsExactly(20, 1 + 0x1p-10);
    }

    @Test
    void doubleFillsInAnIntegerDtypeTruncateOrAreRefused() {
        // np.asarray(3.7, dtype=int32) == 3, np.asarray(-3.7, dtype=int32) == -3
        assertThat(run(DType.I32, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, 3.7)).toLongArray())
                .containsExactly(20, 3);
        assertThat(run(DType.I32, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, -3.7)).toLongArray())
                .containsExactly(20, -3);
        assertThat(run(DType.U64, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, 0x1p63)).toLongArray())
                .as("2^63 is a double u64 holds").containsExactly(20, Long.MIN_VALUE);
        // out of range (numpy's OverflowError, then the backend's undefined convert in JAX): refused at the user's line
        int[] at = new int[1];
        assertThatThrownBy(() -> run(DType.I32, t -> {
            at[0] = line(); return Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, 3e9);
        })).isInstanceOf(DslException.class).hasMessage("take: fill value 3.0E9 does not fit i32 (-2147483648 to 2147483647): JAX "
                + "leaves it to the backend's float-to-integer convert; pass a long fill for an exact integer (taken modulo 2^32, "
                + "as JAX does) (at TakeFillValueTest.java:" + at[0] + ":0)");
        assertThatThrownBy(() -> run(DType.U8, t -> Indexing.takeAlongAxis((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, -1.0)))
                .hasMessageStartingWith("takeAlongAxis: fill value -1.0 does not fit ui8 (0 to 255)");
        assertThatThrownBy(() -> run(DType.I64, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.FILL, Double.NaN)))
                .hasMessageStartingWith("take: fill value NaN does not fit i64 (-9223372036854775808 to 9223372036854775807)");
        assertThatThrownBy(() -> run(DType.I64, t -> Indexing.gatherFill((Tensor) t[0], io.hlo4j.dsl.Ops.reshape((Tensor) t[1], 2, 1),
                GatherDims.of(new int[0], new int[]{0}, new int[]{0}), new long[]{1}, 0x1p63)))
                .hasMessageStartingWith("gatherFill: fill value 9.223372036854776E18 does not fit i64");
        // only FILL reads the fill (JAX ignores fill_value in the other modes): CLIP with the same value runs
        assertThat(run(DType.I32, t -> Indexing.take((Tensor) t[0], (Tensor) t[1], 0, Indexing.Mode.CLIP, 3e9)).toLongArray())
                .containsExactly(20, 40);
    }

    private static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }
}
