package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert} to f32 of a NaN from every format that widens exactly to f32, by bits. bf16 -> f32 keeps the bits
 * (XLA's CPU emitter shifts a bf16 16 places, as ml_dtypes does: a signalling NaN stays signalling); the other IEEE
 * formats are widened by a float conversion there (LLVM's fpext), which quiets: sign and payload kept, the quiet bit
 * set. Formats with one NaN and no payload give f32's quiet NaN. Expected bits worked out by hand from the formats'
 * layouts (sign, exponent, fraction) below each case; the interpreter used to quiet bf16's signalling NaNs too.
 */
class ConvertNanToF32Test {
    /** {@code bits} (as {@code int}) of {@code type}, converted to f32, as f32 bits. */
    private static int[] toF32(String type, int width, long... bits) {
        String it = "i" + width, n = String.valueOf(bits.length);
        Module m = MlirParser.parseModule("""
                func.func @main(%i: tensor<{n}x{it}>) -> tensor<{n}xi32> {
                  %x = stablehlo.bitcast_convert %i : (tensor<{n}x{it}>) -> tensor<{n}x{t}>
                  %f = stablehlo.convert %x : (tensor<{n}x{t}>) -> tensor<{n}xf32>
                  %b = stablehlo.bitcast_convert %f : (tensor<{n}xf32>) -> tensor<{n}xi32>
                  return %b : tensor<{n}xi32>
                }
                """.replace("{it}", it).replace("{t}", type).replace("{n}", n), "convert.mlir");
        long[] signed = new long[bits.length];   // the bit patterns as the signless integers' values
        for (int k = 0; k < bits.length; k++) signed[k] = bits[k] << (64 - width) >> (64 - width);
        HostArray in = HostArray.fromLongs(TensorType.of(IntegerType.signless(width), bits.length), signed);
        List<HostArray> out = HostArrays.toHost(new Interpreter(m).call(m.entryFunction(), List.of(HostArrays.toTensor(in)), Process.single()));
        long[] l = out.getFirst().toLongArray();
        int[] r = new int[l.length];
        for (int k = 0; k < l.length; k++) r[k] = (int) l[k];
        return r;
    }

    @Test
    void bf16KeepsItsBitsASignallingNanIncluded() {
        // bf16 is f32's top 16 bits: 0x7F81 (sNaN, payload 1), 0xFFA0 (negative sNaN), 0x7FC1 (quiet, payload), 1.5, -inf
        assertThat(toF32("bf16", 16, 0x7F81, 0xFFA0, 0x7FC1, 0x3FC0, 0xFF80))
                .containsExactly(0x7F81_0000, 0xFFA0_0000, 0x7FC1_0000, 0x3FC0_0000, 0xFF80_0000);
    }

    @Test
    void otherIeeeFormatsQuietASignallingNanKeepingSignAndPayload() {
        // f16 (1-5-10): 0x7C01 sNaN fraction 1 -> 1 << 13 | quiet; 0xFD00 negative sNaN fraction 0x100 -> 0x100 << 13 | quiet
        assertThat(toF32("f16", 16, 0x7C01, 0xFD00, 0x7E01, 0x3C00))
                .containsExactly(0x7FC0_2000, 0xFFE0_0000, 0x7FC0_2000, 0x3F80_0000);
        // tf32 (1-8-10, 19 bits: sign bit 18, exponent 17..10, quiet bit 9): f32's exponent, so the fraction moves up
        // 23 - 10 = 13 places. 0x3FC01 sNaN fraction 1 -> 1 << 13 | quiet; 0x7FD00 negative sNaN fraction 0x100 ->
        // 0x100 << 13 | quiet; 0x3FE01 quiet fraction 0x201 -> 0x201 << 13; 1.5 (0x1FE00) and -inf (0x7FC00) are f32's
        // top 19 bits; 0x00001, the smallest subnormal (2^-136), is f32's subnormal 1 << 13
        assertThat(toF32("tf32", 19, 0x3FC01, 0x7FD00, 0x3FE01, 0x1FE00, 0x7FC00, 0x00001))
                .containsExactly(0x7FC0_2000, 0xFFE0_0000, 0x7FC0_2000, 0x3FC0_0000, 0xFF80_0000, 0x0000_2000);
        // f8E5M2 (1-5-2): 0x7D sNaN fraction 01 -> 1 << 21 | quiet; 0xFE quiet fraction 10 -> 2 << 21 = the quiet bit
        assertThat(toF32("f8E5M2", 8, 0x7D, 0xFE, 0x3C)).containsExactly(0x7FE0_0000, 0xFFC0_0000, 0x3F80_0000);
        // f8E4M3 (1-4-3, IEEE): 0x79 sNaN fraction 001 -> 1 << 20 | quiet; 0xFB fraction 011 -> 3 << 20 | quiet
        assertThat(toF32("f8E4M3", 8, 0x79, 0xFB, 0x38)).containsExactly(0x7FD0_0000, 0xFFF0_0000, 0x3F80_0000);
        // f8E3M4 (1-3-4, IEEE): 0x71 sNaN fraction 0001 -> 1 << 19 | quiet
        assertThat(toF32("f8E3M4", 8, 0x71, 0x30)).containsExactly(0x7FC8_0000, 0x3F80_0000);
    }

    @Test
    void formatsWithOneNanGiveF32sQuietNan() {
        // their one NaN has no payload to keep: f32's quiet NaN (exponent all ones, the quiet bit, nothing below it)
        for (String[] t : new String[][] {{"f8E4M3FN", "127"}, {"f8E4M3FNUZ", "128"}, {"f8E5M2FNUZ", "128"}, {"f8E4M3B11FNUZ", "128"},
                {"f8E8M0FNU", "255"}}) {
            int got = toF32(t[0], 8, Long.parseLong(t[1]))[0];
            assertThat(got & 0x7FFF_FFFF).as(t[0]).isEqualTo(0x7FC0_0000);
        }
    }
}
