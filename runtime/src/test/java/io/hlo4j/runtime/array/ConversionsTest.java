package io.hlo4j.runtime.array;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** convert and bitcast_convert against numpy / exact-arithmetic fixtures and hand-computed values. */
class ConversionsTest {

    static ElementType intType(String name) {
        boolean unsigned = name.startsWith("u");
        int width = Integer.parseInt(name.substring(unsigned ? 2 : 1));
        return unsigned ? IntegerType.unsigned(width) : IntegerType.signless(width);
    }

    private static void assertSameValues(HostArray got, HostArray want, String what) {
        assertThat(got.size()).isEqualTo(want.size());
        for (int k = 0; k < got.size(); k++) {
            assertThat(got.getLong(k)).as("%s element %d", what, k).isEqualTo(want.getLong(k));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"i2", "i4", "i8", "i16", "i32", "i64", "ui2", "ui4", "ui8", "ui16", "ui32", "ui64"})
    void integerWraparound(String target) {
        HostArray src = Fixtures.npy("int/src_i64.npy");
        HostArray want = Fixtures.npy("int/i64_to_" + target + ".npy");
        assertSameValues(src.convert(intType(target)), want, "i64 -> " + target);
        // The same bit patterns as ui64 wrap identically.
        HostArray usrc = Fixtures.npy("int/src_ui64.npy");
        assertSameValues(usrc.convert(intType(target)), want, "ui64 -> " + target);
    }

    @ParameterizedTest
    @ValueSource(strings = {"i2", "i4", "i8", "i16", "i32", "i64", "ui2", "ui4", "ui8", "ui16", "ui32", "ui64"})
    void floatToIntegerTruncatesAndSaturates(String target) {
        HostArray src = Fixtures.npy("f2i/src_f64.npy");
        HostArray want = Fixtures.npy("f2i/f64_to_" + target + ".npy");
        assertSameValues(src.convert(intType(target)), want, "f64 -> " + target);
    }

    @ParameterizedTest
    @ValueSource(strings = {"f64", "f32", "f16", "bf16", "f8E4M3FN", "f8E5M2"})
    void integerToFloatRoundsOnce(String target) {
        FloatType t = new FloatType(FloatKind.fromMnemonic(target));
        for (String s : new String[]{"i64", "ui64"}) {
            HostArray src = Fixtures.npy("i2f/src_" + s + ".npy");
            HostArray want = Fixtures.npy("i2f/" + s + "_to_" + target + "_bits.npy");
            HostArray got = src.convert(t);
            for (int k = 0; k < src.size(); k++) {
                assertThat(got.getBits(k)).as("%s %s -> %s", s, Long.toUnsignedString(src.getLong(k)), target).isEqualTo(want.getLong(k));
            }
        }
    }

    @Test
    void floatToFloatUsesTheCodec() {
        HostArray in = Fixtures.npy("float/bf16_inputs.npy");
        HostArray bits = Fixtures.npy("float/bf16_bits.npy");
        HostArray got = in.convert(FloatType.BF16);
        for (int k = 0; k < in.size(); k++) assertThat(got.getBits(k)).isEqualTo(bits.getLong(k));
        // f64 -> f16 -> f32 is exact widening after the first rounding.
        HostArray x = Fixtures.npy("numpy/f64_inputs.npy");
        HostArray f16 = Fixtures.npy("numpy/f64_to_f16_bits.npy");
        HostArray viaF16 = x.convert(FloatType.F16).convert(FloatType.F32).convert(FloatType.F16);
        for (int k = 0; k < x.size(); k++) assertThat(viaF16.getBits(k)).isEqualTo(f16.getLong(k));
        HostArray nan = HostArray.fromDoubles(TensorType.of(FloatType.F32, 1), Double.NaN);
        assertThatThrownBy(() -> nan.convert(new FloatType(FloatKind.F4E2M1FN))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("f4E2M1FN").hasMessageContaining("NaN");
    }

    @Test
    void booleanConversions() {
        HostArray f = HostArray.fromDoubles(TensorType.of(FloatType.F32, 5), 0.0, -0.0, 0.5, Double.NaN, -3);
        assertThat(f.convert(IntegerType.I1).toBooleanArray()).containsExactly(false, false, true, true, true);
        HostArray i = HostArray.fromLongs(TensorType.of(IntegerType.I8, 3), 0, -1, 2);
        assertThat(i.convert(IntegerType.I1).toBooleanArray()).containsExactly(false, true, true);
        HostArray b = HostArray.fromBooleans(TensorType.of(IntegerType.I1, 2), true, false);
        assertThat(b.convert(IntegerType.I32).toLongArray()).containsExactly(1, 0);
        assertThat(b.convert(IntegerType.UI64).toLongArray()).containsExactly(1, 0);
        assertThat(b.convert(FloatType.BF16).toDoubleArray()).containsExactly(1.0, 0.0);
        assertThat(b.convert(ComplexType.C64).getComplex(0)).isEqualTo(new Complex(1, 0));
    }

    @Test
    void complexConversions() {
        HostArray c = HostArray.fromComplex(TensorType.of(ComplexType.C128, 2), new double[]{1.1, -2}, new double[]{3, 0.1});
        HostArray c64 = c.convert(ComplexType.C64);
        assertThat(c64.getReal(0)).isEqualTo((double) 1.1f);
        assertThat(c64.getImag(1)).isEqualTo((double) 0.1f);
        HostArray r = HostArray.fromDoubles(TensorType.of(FloatType.F16, 1), 2.5).convert(ComplexType.C128);
        assertThat(r.getComplex(0)).isEqualTo(new Complex(2.5, 0));
        HostArray fromInt = HostArray.fromLongs(TensorType.of(IntegerType.UI64, 1), -1L).convert(ComplexType.C64);
        assertThat(fromInt.getReal(0)).isEqualTo(0x1p64);
        // StableHLO's interpret/convert.mlir: complex -> real types take the real part.
        HostArray up = HostArray.fromComplex(TensorType.of(ComplexType.C128, 3), new double[]{-1, 0, 1}, new double[]{0, 1, 0});
        assertThat(up.convert(IntegerType.I1).toBooleanArray()).containsExactly(true, false, true);
        assertThat(up.convert(IntegerType.I64).toLongArray()).containsExactly(-1, 0, 1);
        assertThat(up.convert(FloatType.F64).toDoubleArray()).containsExactly(-1.0, 0.0, 1.0);
        assertThat(up.convert(IntegerType.UI64).toLongArray()).containsExactly(0, 0, 1);
    }

    @Test
    void bitcastSameWidth() {
        HostArray f = HostArray.fromDoubles(TensorType.of(FloatType.F32, 2), 1.0, -2.0);
        assertThat(f.bitcastConvert(IntegerType.I32).toLongArray()).containsExactly(0x3F800000L, (long) (int) 0xC0000000);
        assertThat(f.bitcastConvert(IntegerType.UI32).toLongArray()).containsExactly(0x3F800000L, 0xC0000000L);
        HostArray h = HostArray.fromLongs(TensorType.of(IntegerType.unsigned(16), 2), 0x3C00, 0x7E00);
        HostArray hf = h.bitcastConvert(FloatType.F16);
        assertThat(hf.getDouble(0)).isEqualTo(1.0);
        assertThat(hf.getDouble(1)).isNaN();
        assertThat(hf.bitcastConvert(FloatType.BF16).getBits(0)).isEqualTo(0x3C00L);
        HostArray nibbles = HostArray.fromLongs(TensorType.of(IntegerType.signless(4), 2), -1, 7);
        assertThat(nibbles.bitcastConvert(IntegerType.unsigned(4)).toLongArray()).containsExactly(15, 7);
    }

    @Test
    void bitcastSplitsLowBitsFirstAndJoinsBack() {
        HostArray x = HostArray.fromLongs(TensorType.of(IntegerType.I32, 2), 0x01020304, 0xA0B0C0D0L - (1L << 32));
        HostArray bytes = x.bitcastConvert(IntegerType.UI8);
        assertThat(bytes.shape()).containsExactly(2, 4);
        assertThat(bytes.toLongArray()).containsExactly(4, 3, 2, 1, 0xD0, 0xC0, 0xB0, 0xA0);
        assertThat(bytes.bitcastConvert(IntegerType.I32)).isEqualTo(x);
        HostArray d = HostArray.fromDoubles(TensorType.of(FloatType.F64), 1.0);
        HostArray halves = d.bitcastConvert(FloatType.F32);
        assertThat(halves.shape()).containsExactly(2);
        assertThat(halves.getBits(0)).isEqualTo(0L);
        assertThat(halves.getBits(1)).isEqualTo(0x3FF00000L);
        HostArray c = HostArray.fromComplex(TensorType.of(ComplexType.C64, 1), new double[]{1.0}, new double[]{-2.0});
        HostArray ci = c.bitcastConvert(IntegerType.I64);
        assertThat(ci.getLong(0)).isEqualTo(0xC0000000_3F800000L);
        assertThat(ci.bitcastConvert(ComplexType.C64)).isEqualTo(c);
        HostArray n4 = HostArray.fromLongs(TensorType.of(IntegerType.UI8, 1), 0xA5).bitcastConvert(IntegerType.unsigned(4));
        assertThat(n4.toLongArray()).containsExactly(0x5, 0xA);
        assertThatThrownBy(() -> HostArray.zeros(IntegerType.UI8, 3).bitcastConvert(IntegerType.I32))
                .hasMessageContaining("last dimension must be 4");
        assertThatThrownBy(() -> HostArray.zeros(IntegerType.UI8, 3).bitcastConvert(new IntegerType(3, IntegerType.Signedness.SIGNLESS)))
                .hasMessageContaining("not multiples");
    }

    /** The expected values of StableHLO's interpret/bitcast_convert.mlir (upstream's own oracle). */
    @Test
    void bitcastMatchesUpstreamInterpreterExamples() {
        long pattern = 0x0123456789ABCDEFL;
        boolean[] bits = new boolean[64];
        for (int k = 0; k < 64; k++) bits[k] = ((pattern >>> k) & 1) != 0;
        // Upstream lists the i1 operand as true,true,true,true, false,true,true,true, ... (element 0 = bit 0).
        assertThat(bits).startsWith(true, true, true, true, false, true, true, true, true, false, true, true);
        HostArray i1 = HostArray.fromBooleans(TensorType.of(IntegerType.I1, 64), bits);
        assertThat(i1.bitcastConvert(IntegerType.I64).getLong(0)).isEqualTo(pattern);
        HostArray f64 = HostArray.fromLongs(TensorType.of(IntegerType.I64), pattern).bitcastConvert(FloatType.F64);
        assertThat(Double.doubleToRawLongBits(f64.getDouble(0))).isEqualTo(pattern);
        assertThat(f64.bitcastConvert(IntegerType.I1).toBooleanArray()).containsExactly(bits);
        HostArray c128 = MutableHostArray.zeros(TensorType.of(ComplexType.C128)).setComplexBits(0, pattern, 0x11111111L).freeze();
        HostArray c64 = c128.bitcastConvert(ComplexType.C64);
        assertThat(c64.shape()).containsExactly(2);
        assertThat(c64.getPartBits(0, 0)).isEqualTo(0x89ABCDEFL);
        assertThat(c64.getPartBits(0, 1)).isEqualTo(0x01234567L);
        assertThat(c64.getPartBits(1, 0)).isEqualTo(0x11111111L);
        assertThat(c64.getPartBits(1, 1)).isEqualTo(0L);
    }
}
