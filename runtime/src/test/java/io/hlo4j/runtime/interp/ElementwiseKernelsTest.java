package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Element-wise kernels against hand-computed values, per type. */
class ElementwiseKernelsTest {
    static Tensor binary(String op, Tensor a, Tensor b) {
        Ir ir = new Ir();
        Value x = ir.arg(a.type), y = ir.arg(b.type);
        Value r = ir.op("stablehlo." + op, List.of(x, y), a.type);
        return (Tensor) Ir.run(ir.func("main", r), a, b).get(0);
    }

    static Tensor unary(String op, Tensor a, TensorType rt) {
        Ir ir = new Ir();
        Value x = ir.arg(a.type);
        Value r = ir.op("stablehlo." + op, List.of(x), rt);
        return (Tensor) Ir.run(ir.func("main", r), a).get(0);
    }

    @Test
    void signedIntegersWrapAtTheirWidth() {
        Tensor a = Ir.ints(IntegerType.I8, shape(3), 127, -128, 100);
        Tensor b = Ir.ints(IntegerType.I8, shape(3), 1, -1, 100);
        assertThat(binary("add", a, b).ints).containsExactly(-128, 127, -56);
        assertThat(binary("multiply", a, b).ints).containsExactly(127, -128, 16); // 10000 mod 256 = 16
    }

    @Test
    void unsignedDivisionShiftAndCompare() {
        Tensor a = Ir.ints(IntegerType.UI8, shape(3), 250, 7, 128);
        Tensor b = Ir.ints(IntegerType.UI8, shape(3), 3, 0, 1);
        assertThat(binary("divide", a, b).ints).containsExactly(83, 255, 128); // x/0 = all ones (XLA)
        assertThat(binary("remainder", a, b).ints).containsExactly(1, 7, 0);   // x%0 = x
        assertThat(binary("shift_right_logical", a, b).ints).containsExactly(31, 7, 64);
        assertThat(binary("maximum", a, Ir.ints(IntegerType.UI8, shape(3), 1, 200, 127)).ints).containsExactly(250, 200, 128);
    }

    @Test
    void signedDivisionAndShiftsFollowXla() {
        Tensor a = Ir.ints(IntegerType.I32, shape(4), -7, Integer.MIN_VALUE, -8, 5);
        Tensor b = Ir.ints(IntegerType.I32, shape(4), 2, -1, 0, 33);
        assertThat(binary("divide", a, b).ints).containsExactly(-3, Integer.MIN_VALUE, -1, 0);
        assertThat(binary("remainder", a, b).ints).containsExactly(-1, 0, -8, 5);
        assertThat(binary("shift_right_arithmetic", a, Ir.ints(IntegerType.I32, shape(4), 1, 31, 40, -1)).ints)
                .containsExactly(-4, -1, -1, 0);
        assertThat(binary("shift_left", a, Ir.ints(IntegerType.I32, shape(4), 1, 1, 32, 2)).ints)
                .containsExactly(-14, 0, 0, 20);
    }

    @Test
    void floatResultsAreRoundedToTheElementType() {
        Tensor a = Ir.reals(FloatType.F32, shape(2), 1.0, 16777216.0);
        Tensor b = Ir.reals(FloatType.F32, shape(2), 1e-8, 1.0);
        // 1 + 1e-8 rounds to 1 in f32; 2^24 + 1 rounds to 2^24 (ties to even)
        assertThat(binary("add", a, b).re).containsExactly(1.0, 16777216.0);
        Tensor h = Ir.reals(FloatType.BF16, shape(1), 1.0);
        Tensor e = Ir.reals(FloatType.BF16, shape(1), 0.00390625); // 2^-8: below bf16's half-ulp at 1 (2^-8 is a tie)
        assertThat(binary("add", h, e).re).containsExactly(1.0);
        Tensor e2 = Ir.reals(FloatType.BF16, shape(1), 0.009765625); // 1 + 5*2^-9 -> nearest 1 + 2^-7
        assertThat(binary("add", h, e2).re).containsExactly(1.0078125);
        Tensor e3 = Ir.reals(FloatType.BF16, shape(1), 0.01171875); // 1 + 3*2^-8: a tie, to even 1 + 2^-6
        assertThat(binary("add", h, e3).re).containsExactly(1.015625);
    }

    @Test
    void ieeeMaxMinAndRounding() {
        Tensor a = Ir.reals(FloatType.F64, shape(4), Double.NaN, -0.0, 2.5, -2.5);
        Tensor b = Ir.reals(FloatType.F64, shape(4), 1.0, 0.0, 1.0, 1.0);
        assertThat(binary("maximum", a, b).re[0]).isNaN();
        assertThat(1 / binary("maximum", a, b).re[1]).isPositive();
        assertThat(unary("round_nearest_even", a, a.type).re).containsExactly(Double.NaN, -0.0, 2.0, -2.0);
        assertThat(unary("round_nearest_afz", a, a.type).re).containsExactly(Double.NaN, -0.0, 3.0, -3.0);
    }

    @Test
    void popcntClzAndNot() {
        Tensor a = Ir.ints(IntegerType.I16, shape(3), -1, 1, 0x00F0);
        assertThat(unary("popcnt", a, a.type).ints).containsExactly(16, 1, 4);
        assertThat(unary("count_leading_zeros", a, a.type).ints).containsExactly(0, 15, 8);
        assertThat(unary("not", a, a.type).ints).containsExactly(0, -2, ~0xF0);
        Tensor p = Ir.ints(IntegerType.I1, shape(2), 1, 0);
        assertThat(unary("not", p, p.type).ints).containsExactly(0, 1);
    }

    @Test
    void compareTotalOrderAndFloat() {
        Tensor a = Ir.reals(FloatType.F32, shape(3), -0.0, Double.NaN, 1.0);
        Tensor b = Ir.reals(FloatType.F32, shape(3), 0.0, Double.NaN, Double.NaN);
        assertThat(compare(a, b, "LT", "TOTALORDER").ints).containsExactly(1, 0, 1);
        assertThat(compare(a, b, "EQ", "FLOAT").ints).containsExactly(1, 0, 0);
        assertThat(compare(a, b, "NE", "FLOAT").ints).containsExactly(0, 1, 1);
        Tensor u = Ir.ints(IntegerType.UI32, shape(1), 0xFFFFFFFFL);
        Tensor v = Ir.ints(IntegerType.UI32, shape(1), 1);
        assertThat(compare(u, v, "GT", "UNSIGNED").ints).containsExactly(1);
    }

    static Tensor compare(Tensor a, Tensor b, String dir, String type) {
        Ir ir = new Ir();
        Value x = ir.arg(a.type), y = ir.arg(b.type);
        Value r = ir.op("stablehlo.compare", List.of(x, y), a.type.withElementType(IntegerType.I1),
                "comparison_direction", Ir.text("#stablehlo<comparison_direction " + dir + ">"),
                "compare_type", Ir.text("#stablehlo<comparison_type " + type + ">"));
        return (Tensor) Ir.run(ir.func("main", r), a, b).get(0);
    }

    @Test
    void convertSaturatesAndTruncates() {
        Tensor a = Ir.reals(FloatType.F32, shape(5), 300.7, -300.2, Double.NaN, -1.9, 1e10);
        assertThat(unary("convert", a, t(IntegerType.I8, 5)).ints).containsExactly(127, -128, 0, -1, 127);
        assertThat(unary("convert", a, t(IntegerType.UI8, 5)).ints).containsExactly(255, 0, 0, 0, 255);
        Tensor u = Ir.ints(IntegerType.UI64, shape(1), -1L);
        assertThat(unary("convert", u, t(FloatType.F64, 1)).re).containsExactly(18446744073709551615.0);
        Tensor i = Ir.ints(IntegerType.I32, shape(2), 258, -1);
        assertThat(unary("convert", i, t(IntegerType.UI8, 2)).ints).containsExactly(2, 255);
        assertThat(unary("convert", i, t(IntegerType.I1, 2)).ints).containsExactly(1, 1);
    }

    @Test
    void convertToFp8RoundsToNearest() {
        Tensor a = Ir.reals(FloatType.F32, shape(3), 0.1, 1.0, -3.3);
        FloatType e4m3 = new FloatType(io.hlo4j.mlir.types.FloatKind.F8E4M3FN), e5m2 = new FloatType(io.hlo4j.mlir.types.FloatKind.F8E5M2);
        // e4m3: 3 mantissa bits: 0.1 lies between 0.09375 and 0.1015625; -3.3 between -3.25 and -3.5
        assertThat(unary("convert", a, t(e4m3, 3)).re).containsExactly(0.1015625, 1.0, -3.25);
        // e5m2: 2 mantissa bits: 0.1 between 0.09375 and 0.109375; -3.3 between -3.0 and -3.5
        assertThat(unary("convert", a, t(e5m2, 3)).re).containsExactly(0.09375, 1.0, -3.5);
        // adding in e4m3 rounds the sum: 1 + 0.1015625 = 1.1015625 -> 1.125 (spacing 0.125 above 1)
        Tensor x = Ir.reals(e4m3, shape(1), 1.0), y = Ir.reals(e4m3, shape(1), 0.1015625);
        assertThat(binary("add", x, y).re).containsExactly(1.125);
    }

    @Test
    void bitcastConvertUsesLittleEndianBits() {
        Tensor a = Ir.reals(FloatType.F32, shape(1), 1.0);
        assertThat(unary("bitcast_convert", a, t(IntegerType.I32, 1)).ints).containsExactly(0x3F800000L);
        assertThat(unary("bitcast_convert", a, t(IntegerType.UI8, 1, 4)).ints).containsExactly(0, 0, 0x80, 0x3F);
    }

    @Test
    void reducePrecisionToBf16Bits() {
        Ir ir = new Ir();
        Tensor a = Ir.reals(FloatType.F32, shape(2), 1.00390625, 1e39 > 3.4e38 ? 3.0e38 : 0);
        Value x = ir.arg(a.type);
        Value r = ir.op("stablehlo.reduce_precision", List.of(x), a.type, "exponent_bits", Ir.i64(5), "mantissa_bits", Ir.i64(10));
        Tensor out = (Tensor) Ir.run(ir.func("main", r), a).get(0);
        // f16-like: 1 + 2^-8 rounds to 1 (tie to even at 10 mantissa bits: 2^-8 is below half-ulp 2^-11? no: ulp 2^-10)
        assertThat(out.re[0]).isEqualTo(1.00390625);
        assertThat(out.re[1]).isEqualTo(Double.POSITIVE_INFINITY); // exponent overflows 5 bits
    }

    @Test
    void unsupportedTypeIsRefusedByName() {
        Tensor a = Ir.reals(FloatType.F32, shape(1), 1.0);
        assertThatThrownBy(() -> binary("and", a, a)).hasMessageContaining("not supported by the interpreter: stablehlo.and on f32");
    }

    static ElementType i32() { return IntegerType.I32; }
}
