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
 * negate of a complex number flips the sign bit of each part and nothing else, as XLA's CPU emitter does (an LLVM
 * {@code fneg} of the real and of the imaginary part): a signalling NaN in either part keeps its payload and stays
 * signalling. complex<f32> used to round each part through a float cast, which set the quiet bit. Expected bits: the
 * inputs' with bit 31 (f32) or bit 63 (f64) flipped, written out by hand.
 */
class ComplexNegateNanTest {
    private static List<HostArray> run(String text, HostArray... in) {
        Module m = MlirParser.parseModule(text, "cnegate.mlir");
        List<RtValue> args = new java.util.ArrayList<>();
        for (HostArray a : in) args.add(HostArrays.toTensor(a));
        return HostArrays.toHost(new Interpreter(m).call(m.entryFunction(), args, Process.single()));
    }

    @Test
    void complexF32NegateKeepsSignallingNansInBothParts() {
        // real: an sNaN with payload 1, a negative sNaN, a quiet NaN with a payload, 1.0; imaginary: others of each kind
        long[] re = {0x7F80_0001, 0xFFA0_0000, 0x7FC0_1234, 0x3F80_0000};   // int literals: i32 values, sign-extended
        long[] im = {0xFF80_0003, 0x7FBF_FFFF, 0x4000_0000, 0x7F80_0100};
        List<HostArray> out = run("""
                func.func @main(%r: tensor<4xi32>, %i: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>) {
                  %rf = stablehlo.bitcast_convert %r : (tensor<4xi32>) -> tensor<4xf32>
                  %if = stablehlo.bitcast_convert %i : (tensor<4xi32>) -> tensor<4xf32>
                  %c = stablehlo.complex %rf, %if : tensor<4xcomplex<f32>>
                  %n = stablehlo.negate %c : tensor<4xcomplex<f32>>
                  %nr = stablehlo.real %n : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
                  %ni = stablehlo.imag %n : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
                  %rb = stablehlo.bitcast_convert %nr : (tensor<4xf32>) -> tensor<4xi32>
                  %ib = stablehlo.bitcast_convert %ni : (tensor<4xf32>) -> tensor<4xi32>
                  return %rb, %ib : tensor<4xi32>, tensor<4xi32>
                }
                """, HostArray.fromLongs(TensorType.of(IntegerType.I32, 4), re), HostArray.fromLongs(TensorType.of(IntegerType.I32, 4), im));
        assertThat(ints(out.get(0))).as("real parts").containsExactly(0xFF80_0001, 0x7FA0_0000, 0xFFC0_1234, 0xBF80_0000);
        assertThat(ints(out.get(1))).as("imaginary parts").containsExactly(0x7F80_0003, 0xFFBF_FFFF, 0xC000_0000, 0xFF80_0100);
    }

    @Test
    void complexF64NegateKeepsSignallingNansInBothParts() {
        long[] re = {0x7FF0_0000_0000_0001L, 0xFFF4_0000_0000_0000L, 0x3FF0_0000_0000_0000L};
        long[] im = {0x7FF7_FFFF_FFFF_FFFFL, 0x0000_0000_0000_0000L, 0xFFF0_0000_2000_0000L};
        List<HostArray> out = run("""
                func.func @main(%r: tensor<3xi64>, %i: tensor<3xi64>) -> (tensor<3xi64>, tensor<3xi64>) {
                  %rf = stablehlo.bitcast_convert %r : (tensor<3xi64>) -> tensor<3xf64>
                  %if = stablehlo.bitcast_convert %i : (tensor<3xi64>) -> tensor<3xf64>
                  %c = stablehlo.complex %rf, %if : tensor<3xcomplex<f64>>
                  %n = stablehlo.negate %c : tensor<3xcomplex<f64>>
                  %nr = stablehlo.real %n : (tensor<3xcomplex<f64>>) -> tensor<3xf64>
                  %ni = stablehlo.imag %n : (tensor<3xcomplex<f64>>) -> tensor<3xf64>
                  %rb = stablehlo.bitcast_convert %nr : (tensor<3xf64>) -> tensor<3xi64>
                  %ib = stablehlo.bitcast_convert %ni : (tensor<3xf64>) -> tensor<3xi64>
                  return %rb, %ib : tensor<3xi64>, tensor<3xi64>
                }
                """, HostArray.fromLongs(TensorType.of(IntegerType.I64, 3), re), HostArray.fromLongs(TensorType.of(IntegerType.I64, 3), im));
        assertThat(out.get(0).toLongArray()).as("real parts")
                .containsExactly(0xFFF0_0000_0000_0001L, 0x7FF4_0000_0000_0000L, 0xBFF0_0000_0000_0000L);
        assertThat(out.get(1).toLongArray()).as("imaginary parts")
                .containsExactly(0xFFF7_FFFF_FFFF_FFFFL, 0x8000_0000_0000_0000L, 0x7FF0_0000_2000_0000L);
    }

    private static int[] ints(HostArray a) {
        long[] l = a.toLongArray();
        int[] out = new int[l.length];
        for (int k = 0; k < l.length; k++) out[k] = (int) l[k];
        return out;
    }
}
