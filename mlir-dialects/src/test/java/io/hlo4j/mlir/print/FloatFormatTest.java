package io.hlo4j.mlir.print;

import io.hlo4j.mlir.types.FloatCodec;
import io.hlo4j.mlir.types.FloatFormat;
import io.hlo4j.mlir.types.FloatKind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Float spellings against the oracle: each expected string is what LLVM 22's mlir-opt printed for the same
 * value (or what the conformance files contain).
 */
class FloatFormatTest {
    private static String f32(float v) { return FloatFormat.format(FloatKind.F32, Float.floatToRawIntBits(v) & 0xFFFFFFFFL); }
    private static String f32bits(long bits) { return FloatFormat.format(FloatKind.F32, bits); }

    @Test void sixDigitScientificWhenItRoundTrips() {
        assertThat(FloatFormat.format(1.0)).isEqualTo("1.000000e+00");
        assertThat(FloatFormat.format(0.1)).isEqualTo("1.000000e-01");
        assertThat(FloatFormat.format(1e-10)).isEqualTo("1.000000e-10");
        assertThat(FloatFormat.format(1e100)).isEqualTo("1.000000e+100");
        assertThat(FloatFormat.format(Double.MIN_VALUE)).isEqualTo("4.940660e-324");
        assertThat(f32(0.1f)).isEqualTo("1.000000e-01");
        assertThat(f32(1e10f)).isEqualTo("1.000000e+10");
        assertThat(f32(3e38f)).isEqualTo("3.000000e+38");
        assertThat(f32(4.0e-3f)).isEqualTo("4.000000e-03");
        assertThat(f32(Float.MIN_VALUE)).isEqualTo("1.401300e-45");
        assertThat(f32(2.59469f)).isEqualTo("2.594690e+00");
    }

    @Test void zeros() {
        assertThat(f32(0f)).isEqualTo("0.000000e+00");
        assertThat(f32(-0f)).isEqualTo("-0.000000e+00");
        assertThat(FloatFormat.format(0.0)).isEqualTo("0.000000e+00");
    }

    @Test void shortestDigitsOtherwise() {
        assertThat(f32(-3.43464923f)).isEqualTo("-3.43464923");
        assertThat(f32(123456.7f)).isEqualTo("123456.703");
        assertThat(f32(Float.MAX_VALUE)).isEqualTo("3.40282347E+38");
        assertThat(f32(-0.992783546f)).isEqualTo("-0.992783546");
        assertThat(FloatFormat.format(123456.789)).isEqualTo("123456.789");
        assertThat(FloatFormat.format(-1e-7)).isEqualTo("-9.9999999999999995E-8");
        assertThat(FloatFormat.format(0.0039172410964965817)).isEqualTo("0.0039172410964965817");
    }

    @Test void hexWhenNoDecimalFormRoundTrips() {
        assertThat(FloatFormat.format(123456789.0)).isEqualTo("0x419D6F3454000000");
        assertThat(f32(9.999999e6f)).isEqualTo("0x4B18967F");
        assertThat(f32bits(0x7FC00000L)).isEqualTo("0x7FC00000");
        assertThat(f32bits(0xFF800000L)).isEqualTo("0xFF800000");
        assertThat(f32bits(0x7F800000L)).isEqualTo("0x7F800000");
        assertThat(FloatFormat.format(Double.NaN)).isEqualTo("0x7FF8000000000000");
        assertThat(FloatFormat.printsAsHex(FloatKind.F32, 0x7FC00000L)).isTrue();
        assertThat(FloatFormat.printsAsHex(FloatKind.F32, Float.floatToRawIntBits(1f))).isFalse();
    }

    @Test void defaultFormPadsUpToThreeZerosBeforeGoingScientific() {
        assertThat(FloatFormat.format(0.00123456789)).isEqualTo("0.0012345678899999999");
        assertThat(FloatFormat.format(0.000123456789)).isEqualTo("1.23456789E-4");
        assertThat(FloatFormat.format(1234567.25)).isEqualTo("1234567.25");
        assertThat(FloatFormat.format(12345678.5)).isEqualTo("12345678.5");
        assertThat(FloatFormat.format(1.5e17)).isEqualTo("1.500000e+17");
        assertThat(FloatFormat.format(1e20)).isEqualTo("1.000000e+20");
    }

    @Test void narrowFormatsDecodeThroughFloatCodec() {
        assertThat(FloatFormat.format(FloatKind.F16, 0x34CDL)).isEqualTo("3.000490e-01");
        assertThat(FloatFormat.format(FloatKind.F16, 0x7BFFL)).isEqualTo("6.550400e+04");
        assertThat(FloatFormat.format(FloatKind.BF16, 0x3F80L)).isEqualTo("1.000000e+00");
        assertThat(FloatFormat.format(FloatKind.BF16, 0xFF80L)).isEqualTo("0xFF80");
        assertThat(FloatFormat.format(FloatKind.BF16, FloatCodec.encode(FloatKind.BF16, 1.1))).isEqualTo("1.101560e+00");
        assertThat(FloatFormat.format(FloatKind.F16, FloatCodec.encode(FloatKind.F16, 1.1))).isEqualTo("1.099610e+00");
        assertThat(FloatFormat.format(FloatKind.BF16, FloatCodec.encode(FloatKind.BF16, 3.0e-3))).isEqualTo("3.005980e-03");
        assertThat(FloatFormat.format(FloatKind.F16, FloatCodec.encode(FloatKind.F16, 1.0e-5))).isEqualTo("1.001360e-05");
    }

    @Test void fp8Formats() {
        assertThat(FloatFormat.format(FloatKind.F8E4M3FN, FloatCodec.encode(FloatKind.F8E4M3FN, 448.0))).isEqualTo("4.480000e+02");
        assertThat(FloatFormat.format(FloatKind.F8E5M2, FloatCodec.encode(FloatKind.F8E5M2, 0.1))).isEqualTo("9.375000e-02");
    }
}
