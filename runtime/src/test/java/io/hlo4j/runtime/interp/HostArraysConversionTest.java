package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * f32 and f64 move between host arrays and the interpreter's tensors element by element; the oracle is the
 * little-endian bytes' path ({@link Bytes}) that every other type takes, bit for bit: signed zeros, infinities,
 * subnormals, NaNs with payloads, quiet and signalling, random bit patterns, over more than one {@link StopCheck#STEP}
 * chunk. An f32 array comes back as it went, bit for bit, as numpy and JAX keep an f32 array's bits: a signalling NaN
 * too, which a plain widening to a double (and the narrowing back) would quiet (0x7F800001 back as 0x7FC00001).
 */
class HostArraysConversionTest {
    private static final int N = 3 * StopCheck.STEP + 17;

    @Test
    void f32TakesTheSameBitsBothWaysAsTheBytesPath() {
        SplittableRandom r = new SplittableRandom(11);
        float[] v = new float[N];
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_NORMAL / 3, Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7FC01234), Float.intBitsToFloat(0xFFC00001), 1f / 3,
                Float.intBitsToFloat(0x7F800001), Float.intBitsToFloat(0xFFA00000), Float.intBitsToFloat(0x7FBFFFFF)};   // signalling
        for (int i = 0; i < N; i++) {
            // one in 128 random patterns a NaN's, of every kind (its exponent all ones, a random payload, sign and quiet bit)
            v[i] = i < special.length ? special[i] : Float.intBitsToFloat(r.nextInt(128) == 0 ? r.nextInt() | 0x7F80_0001 : r.nextInt());
        }
        HostArray h = HostArray.fromFloats(TensorType.of(FloatType.F32, N), v);
        int signalling = 0;
        for (float f : h.toFloatArray()) if ((Float.floatToRawIntBits(f) & 0x7FC0_0000) == 0x7F80_0000 && (Float.floatToRawIntBits(f) & 0x3F_FFFF) != 0) signalling++;
        assertThat(signalling).as("signalling NaNs in the input").isGreaterThan(10);
        sameBothWays(h);
    }

    @Test
    void f64TakesTheSameBitsBothWaysAsTheBytesPath() {
        SplittableRandom r = new SplittableRandom(12);
        double[] v = new double[N];
        double[] special = {0d, -0d, Double.MIN_VALUE, -Double.MIN_NORMAL / 3, Double.MAX_VALUE, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.NaN, Double.longBitsToDouble(0x7FF8_0000_0000_1234L), 1d / 3};
        for (int i = 0; i < N; i++) v[i] = i < special.length ? special[i] : Double.longBitsToDouble(r.nextLong());
        sameBothWays(HostArray.fromDoubles(TensorType.of(FloatType.F64, N), v));
    }

    private static void sameBothWays(HostArray h) {
        Tensor fast = HostArrays.toTensor(h), bytes = Bytes.decode(h.type(), h.toLittleEndianBytes(), false);
        assertThat(fast.type).isEqualTo(h.type());
        for (int i = 0; i < h.size(); i++) {
            if (Double.doubleToRawLongBits(fast.re[i]) != Double.doubleToRawLongBits(bytes.re[i])) {
                throw new AssertionError("element " + i + ": " + fast.re[i] + " against the bytes path's " + bytes.re[i]);
            }
        }
        HostArray back = HostArrays.toHost(fast);
        assertThat(back.type()).isEqualTo(h.type());
        assertThat(back.toLittleEndianBytes()).isEqualTo(HostArray.fromLittleEndianBytes(bytes.type, Bytes.encode(bytes)).toLittleEndianBytes())
                .isEqualTo(h.toLittleEndianBytes());
    }
}
