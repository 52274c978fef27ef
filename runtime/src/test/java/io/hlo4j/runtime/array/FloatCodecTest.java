package io.hlo4j.runtime.array;

import io.hlo4j.mlir.types.FloatCodec;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.runtime.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * FloatCodec against independent oracles: numpy's own f64->f32/f16 casts, and exact rational rounding
 * (scripts/gen_dtype_fixtures.py) for bf16, tf32 and every f8/f6/f4 kind, including ties, subnormals,
 * overflow, infinities and NaN.
 */
class FloatCodecTest {

    @ParameterizedTest
    @EnumSource(value = FloatKind.class, names = {"F16", "F32", "F64"}, mode = EnumSource.Mode.EXCLUDE)
    void encodeMatchesExactRationalRounding(FloatKind kind) {
        HostArray in = Fixtures.npy("float/" + kind.mnemonic() + "_inputs.npy");
        HostArray bits = Fixtures.npy("float/" + kind.mnemonic() + "_bits.npy");
        assertThat(in.size()).isEqualTo(bits.size()).isGreaterThan(50);
        int mismatches = 0;
        StringBuilder first = new StringBuilder();
        for (int k = 0; k < in.size(); k++) {
            double x = in.getDouble(k);
            long got = FloatCodec.encode(kind, x);
            long want = bits.getLong(k);
            if (got != want) {
                if (mismatches++ < 5) first.append(String.format("%n  %s (%s): got 0x%x want 0x%x", x, Double.toHexString(x), got, want));
            }
        }
        assertThat(mismatches).as("%s mismatches of %d:%s", kind, in.size(), first).isZero();
    }

    @Test
    void f32AndF16MatchNumpyCasts() {
        HostArray in = Fixtures.npy("numpy/f64_inputs.npy");
        HostArray f32 = Fixtures.npy("numpy/f64_to_f32_bits.npy");
        HostArray f16 = Fixtures.npy("numpy/f64_to_f16_bits.npy");
        assertThat(in.size()).isGreaterThan(10000);
        for (int k = 0; k < in.size(); k++) {
            double x = in.getDouble(k);
            assertThat(FloatCodec.encode(FloatKind.F32, x)).as("f32 of %s", x).isEqualTo(f32.getLong(k));
            assertThat(FloatCodec.encode(FloatKind.F16, x)).as("f16 of %s", x).isEqualTo(f16.getLong(k));
        }
    }

    @Test
    void f16DecodeMatchesNumpyForEveryPattern() {
        HostArray dec = Fixtures.npy("numpy/f16_all_decoded.npy");
        for (int b = 0; b < 65536; b++) {
            double want = dec.getDouble(b);
            double got = FloatCodec.decode(FloatKind.F16, b);
            if (Double.isNaN(want)) assertThat(got).as("0x%x", b).isNaN();
            else assertThat(Double.doubleToRawLongBits(got)).as("0x%x", b).isEqualTo(Double.doubleToRawLongBits(want));
        }
    }

    @ParameterizedTest
    @EnumSource(value = FloatKind.class, names = {"F8.*", "F4E.*", "F6E.*"}, mode = EnumSource.Mode.MATCH_ANY)
    void smallFormatDecodeMatchesExactValues(FloatKind kind) {
        HostArray dec = Fixtures.npy("float/" + kind.mnemonic() + "_decode.npy");
        assertThat(dec.size()).isEqualTo(1 << kind.bitWidth());
        for (int b = 0; b < dec.size(); b++) {
            double want = dec.getDouble(b);
            double got = FloatCodec.decode(kind, b);
            if (Double.isNaN(want)) assertThat(got).as("%s 0x%x", kind, b).isNaN();
            else assertThat(Double.doubleToRawLongBits(got)).as("%s 0x%x", kind, b).isEqualTo(Double.doubleToRawLongBits(want));
        }
    }

    /** Every bit pattern of the formats up to 19 bits survives decode then encode, NaN payloads included. */
    @ParameterizedTest
    @EnumSource(value = FloatKind.class, names = {"F32", "F64"}, mode = EnumSource.Mode.EXCLUDE)
    void everyPatternRoundTrips(FloatKind kind) {
        int n = 1 << kind.bitWidth();
        for (int b = 0; b < n; b++) {
            double v = FloatCodec.decode(kind, b);
            long back = FloatCodec.encode(kind, v);
            assertThat(back).as("%s 0x%x -> %s", kind, b, v).isEqualTo(b);
        }
    }

    @Test
    void handPickedCases() {
        // f64 -> bf16 straight from the double: 1 + 2^-8 + 2^-30 is above the bf16 tie, but rounds to the tie
        // 1 + 2^-8 in f32 first (it is below f32's half ulp), which would then round to even 1.0.
        double x = 1 + 0x1p-8 + 0x1p-30;
        assertThat(FloatCodec.encode(FloatKind.BF16, x)).isEqualTo(0x3F81L);
        assertThat(FloatCodec.encode(FloatKind.BF16, 1 + 0x1p-8)).isEqualTo(0x3F80L);
        // E4M3FN: 464 is the tie between 448 (even) and the NaN slot: stays 448; above it is NaN.
        assertThat(FloatCodec.encode(FloatKind.F8E4M3FN, 464)).isEqualTo(0x7EL);
        assertThat(FloatCodec.encode(FloatKind.F8E4M3FN, 464.5)).isEqualTo(0x7FL);
        assertThat(FloatCodec.encode(FloatKind.F8E4M3FN, Double.NEGATIVE_INFINITY)).isEqualTo(0xFFL);
        // FNUZ: -0 becomes +0, NaN is 0x80.
        assertThat(FloatCodec.encode(FloatKind.F8E4M3FNUZ, -0.0)).isEqualTo(0L);
        assertThat(FloatCodec.encode(FloatKind.F8E5M2FNUZ, Double.NaN)).isEqualTo(0x80L);
        // MX saturates: f4E2M1FN max is 6.
        assertThat(FloatCodec.encode(FloatKind.F4E2M1FN, 1e9)).isEqualTo(0x7L);
        assertThat(FloatCodec.encode(FloatKind.F4E2M1FN, Double.NEGATIVE_INFINITY)).isEqualTo(0xFL);
        assertThat(FloatCodec.maxFinite(FloatKind.F6E3M2FN)).isEqualTo(28.0);
        // E8M0FNU: powers of two only, 0xFF NaN, negatives NaN, no zero.
        assertThat(FloatCodec.encode(FloatKind.F8E8M0FNU, 1.0)).isEqualTo(127L);
        assertThat(FloatCodec.encode(FloatKind.F8E8M0FNU, -1.0)).isEqualTo(0xFFL);
        assertThat(FloatCodec.decode(FloatKind.F8E8M0FNU, 0)).isEqualTo(0x1p-127);
        // f16 subnormal tie: 2^-25 is half the smallest subnormal: rounds to even (0).
        assertThat(FloatCodec.encode(FloatKind.F16, 0x1p-25)).isEqualTo(0L);
        assertThat(FloatCodec.encode(FloatKind.F16, 0x1.8p-24)).isEqualTo(2L);
        // tf32: 19 bits, f32's exponent, 10 mantissa bits.
        assertThat(FloatCodec.encode(FloatKind.TF32, 1.0)).isEqualTo(0x1FC00L);
        assertThat(FloatCodec.decode(FloatKind.TF32, 0x1FC01L)).isEqualTo(1 + 0x1p-10);
    }

    @Test
    void nanIntoFormatWithoutNanIsRefused() {
        for (FloatKind k : new FloatKind[]{FloatKind.F4E2M1FN, FloatKind.F6E2M3FN, FloatKind.F6E3M2FN}) {
            assertThatThrownBy(() -> FloatCodec.encode(k, Double.NaN)).isInstanceOf(ArithmeticException.class)
                    .hasMessageContaining(k.mnemonic()).hasMessageContaining("NaN");
        }
    }
}
