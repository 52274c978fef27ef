package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An f32 signalling NaN keeps its bits where XLA moves bits unchanged: through a bitcast_convert from i32 and back, a
 * reshape and a constant, as numpy's {@code a.view(np.float32).view(np.int32)} gives the same ints, and through the other
 * ops that move values and the sign-bit ops negate and abs. Arithmetic quiets it, as IEEE 754 says (x + 0 is 0x7FC00001
 * for 0x7F800001, x86's and numpy's answer), and so does a convert to another format. The interpreter used to widen the
 * f32 to a double with a cast, which set the quiet bit everywhere. Expected bits are written out by hand below.
 */
class F32SignallingNanTest {
    private static final int[] BITS = {0x7F80_0001, 0xFFA0_0000, 0x7FBF_FFFF, 0x7FC0_1234, 0x3F80_0000};

    @Test
    void bitcastReshapeAndConstantKeepTheBitsAndArithmeticQuietsThem() {
        Module m = MlirParser.parseModule("""
                func.func @main(%i: tensor<5xi32>) -> (tensor<5xi32>, tensor<5xi32>, tensor<i32>, tensor<5xf32>) {
                  %f = stablehlo.bitcast_convert %i : (tensor<5xi32>) -> tensor<5xf32>
                  %r = stablehlo.reshape %f : (tensor<5xf32>) -> tensor<1x5xf32>
                  %s = stablehlo.reshape %r : (tensor<1x5xf32>) -> tensor<5xf32>
                  %back = stablehlo.bitcast_convert %s : (tensor<5xf32>) -> tensor<5xi32>
                  %z = stablehlo.constant dense<0.0> : tensor<5xf32>
                  %a = stablehlo.add %f, %z : tensor<5xf32>
                  %q = stablehlo.bitcast_convert %a : (tensor<5xf32>) -> tensor<5xi32>
                  %c = stablehlo.constant dense<0x7F800001> : tensor<f32>
                  %cb = stablehlo.bitcast_convert %c : (tensor<f32>) -> tensor<i32>
                  return %back, %q, %cb, %s : tensor<5xi32>, tensor<5xi32>, tensor<i32>, tensor<5xf32>
                }
                """, "snan.mlir");
        long[] in = new long[BITS.length];
        for (int k = 0; k < in.length; k++) in[k] = BITS[k];
        List<HostArray> out = HostArrays.toHost(new Interpreter(m).call(m.entryFunction(),
                List.of(HostArrays.toTensor(HostArray.fromLongs(TensorType.of(IntegerType.I32, 5), in))), Process.single()));
        assertThat(ints(out.get(0))).containsExactly(BITS);
        // + 0: NaNs quieted (payload kept), 1.0 unchanged
        assertThat(ints(out.get(1))).containsExactly(0x7FC0_0001, 0xFFE0_0000, 0x7FFF_FFFF, 0x7FC0_1234, 0x3F80_0000);
        assertThat(ints(out.get(2))).containsExactly(0x7F80_0001);
        // the f32 result as a host array: the same bits
        float[] f = out.get(3).toFloatArray();
        for (int k = 0; k < BITS.length; k++) assertThat(Float.floatToRawIntBits(f[k])).as("element %d", k).isEqualTo(BITS[k]);
        assertThat(out.get(3).type()).isEqualTo(TensorType.of(FloatType.F32, 5));
    }

    /** {@code text}'s @main on {@code in}, its results as host arrays. */
    private static List<HostArray> run(String text, HostArray... in) {
        Module m = MlirParser.parseModule(text, "snan.mlir");
        List<RtValue> args = new java.util.ArrayList<>();
        for (HostArray a : in) args.add(HostArrays.toTensor(a));
        return HostArrays.toHost(new Interpreter(m).call(m.entryFunction(), args, Process.single()));
    }

    private static HostArray i32(int... bits) {
        long[] l = new long[bits.length];
        for (int k = 0; k < l.length; k++) l[k] = bits[k];
        return HostArray.fromLongs(TensorType.of(IntegerType.I32, bits.length), l);
    }

    /**
     * convert quiets a NaN (IEEE 754's convertFormat): to f64 the f32 payload stays in the top bits with the quiet bit set,
     * numpy's {@code np.float32 -> np.float64} bits; to bf16 and f16 any NaN becomes the format's quiet NaN with its sign,
     * what XLA's casts (Eigen's bfloat16 and half) give (numpy keeps 0x7D00 for f16: the interpreter stands in for XLA).
     * A convert to the operand's own type is no conversion (XLA's simplifier removes it): the bits move unchanged. f64 to
     * f32 quiets too (x86's cvtsd2ss). It used to hold the f32 sNaN as a double sNaN and hand that out: f64 0x7FF0000020000000.
     */
    @Test
    void convertQuietsANaNAndAConvertToTheSameTypeKeepsIt() {
        int[] in = {0x7F80_0001, 0xFFA0_0000, 0x7FA0_0000, 0x7FC0_1234, 0x3F80_0000};
        List<HostArray> out = run("""
                func.func @main(%i: tensor<5xi32>, %w: tensor<2xi64>) -> (tensor<5xi64>, tensor<5xi16>, tensor<5xi16>, tensor<5xi32>, tensor<2xi32>, tensor<2xi16>) {
                  %f = stablehlo.bitcast_convert %i : (tensor<5xi32>) -> tensor<5xf32>
                  %d = stablehlo.convert %f : (tensor<5xf32>) -> tensor<5xf64>
                  %db = stablehlo.bitcast_convert %d : (tensor<5xf64>) -> tensor<5xi64>
                  %b = stablehlo.convert %f : (tensor<5xf32>) -> tensor<5xbf16>
                  %bb = stablehlo.bitcast_convert %b : (tensor<5xbf16>) -> tensor<5xi16>
                  %h = stablehlo.convert %f : (tensor<5xf32>) -> tensor<5xf16>
                  %hb = stablehlo.bitcast_convert %h : (tensor<5xf16>) -> tensor<5xi16>
                  %s = stablehlo.convert %f : (tensor<5xf32>) -> tensor<5xf32>
                  %sb = stablehlo.bitcast_convert %s : (tensor<5xf32>) -> tensor<5xi32>
                  %wf = stablehlo.bitcast_convert %w : (tensor<2xi64>) -> tensor<2xf64>
                  %n = stablehlo.convert %wf : (tensor<2xf64>) -> tensor<2xf32>
                  %nb = stablehlo.bitcast_convert %n : (tensor<2xf32>) -> tensor<2xi32>
                  %m = stablehlo.convert %wf : (tensor<2xf64>) -> tensor<2xbf16>
                  %mb = stablehlo.bitcast_convert %m : (tensor<2xbf16>) -> tensor<2xi16>
                  return %db, %bb, %hb, %sb, %nb, %mb : tensor<5xi64>, tensor<5xi16>, tensor<5xi16>, tensor<5xi32>, tensor<2xi32>, tensor<2xi16>
                }
                """, i32(in), HostArray.fromLongs(TensorType.of(IntegerType.I64, 2), 0x7FF4_0000_0000_0000L, 0xFFF0_0000_2000_0000L));
        assertThat(out.get(0).toLongArray()).containsExactly(0x7FF8_0000_2000_0000L, 0xFFFC_0000_0000_0000L, 0x7FFC_0000_0000_0000L,
                0x7FF8_0246_8000_0000L, 0x3FF0_0000_0000_0000L);
        assertThat(out.get(1).toLongArray()).containsExactly(0x7FC0, (long) (short) 0xFFC0, 0x7FC0, 0x7FC0, 0x3F80);
        assertThat(out.get(2).toLongArray()).containsExactly(0x7E00, (long) (short) 0xFE00, 0x7E00, 0x7E00, 0x3C00);
        assertThat(ints(out.get(3))).containsExactly(in);
        // f64 sNaNs: 0x7FF4... (payload in f32's reach) and -0x...20000000 (f32 payload 1) -> f32 quiet, payload kept
        assertThat(ints(out.get(4))).containsExactly(0x7FE0_0000, 0xFFC0_0001);
        assertThat(out.get(5).toLongArray()).containsExactly(0x7FC0, (long) (short) 0xFFC0);
    }

    /**
     * negate and abs change the sign bit only (IEEE 754's sign-bit operations, numpy's {@code -a} and {@code abs(a)}): a
     * signalling NaN stays signalling, its payload as it was. They used to round through a float cast, which quieted it.
     */
    @Test
    void negateAndAbsKeepASignallingNan() {
        int[] in = {0x7F80_0001, 0xFFA0_0000, 0x7FC0_1234, 0xBF80_0000};
        List<HostArray> out = run("""
                func.func @main(%i: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>) {
                  %f = stablehlo.bitcast_convert %i : (tensor<4xi32>) -> tensor<4xf32>
                  %n = stablehlo.negate %f : tensor<4xf32>
                  %a = stablehlo.abs %f : tensor<4xf32>
                  %nb = stablehlo.bitcast_convert %n : (tensor<4xf32>) -> tensor<4xi32>
                  %ab = stablehlo.bitcast_convert %a : (tensor<4xf32>) -> tensor<4xi32>
                  return %nb, %ab : tensor<4xi32>, tensor<4xi32>
                }
                """, i32(in));
        assertThat(ints(out.get(0))).containsExactly(0xFF80_0001, 0x7FA0_0000, 0xFFC0_1234, 0x3F80_0000);
        assertThat(ints(out.get(1))).containsExactly(0x7F80_0001, 0x7FA0_0000, 0x7FC0_1234, 0x3F80_0000);
    }

    /** Ops that move values without computing keep an f32 signalling NaN's bits, as XLA moves them. */
    @Test
    void opsThatMoveValuesKeepTheBits() {
        int[] in = {0x7F80_0001, 0xFFA0_0000};
        List<HostArray> out = run("""
                func.func @main(%i: tensor<2xi32>, %p: tensor<2xi1>) -> (tensor<2xi32>, tensor<2xi32>, tensor<4xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) {
                  %f = stablehlo.bitcast_convert %i : (tensor<2xi32>) -> tensor<2xf32>
                  %z = stablehlo.constant dense<1.0> : tensor<2xf32>
                  %t = stablehlo.transpose %f, dims = [0] : (tensor<2xf32>) -> tensor<2xf32>
                  %r = stablehlo.reverse %t, dims = [0] : tensor<2xf32>
                  %c = stablehlo.concatenate %f, %r, dim = 0 : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
                  %s = stablehlo.select %p, %f, %z : tensor<2xi1>, tensor<2xf32>
                  %re = stablehlo.real %f : (tensor<2xf32>) -> tensor<2xf32>
                  %cx = stablehlo.complex %f, %f : tensor<2xcomplex<f32>>
                  %cr = stablehlo.real %cx : (tensor<2xcomplex<f32>>) -> tensor<2xf32>
                  %ci = stablehlo.imag %cx : (tensor<2xcomplex<f32>>) -> tensor<2xf32>
                  %b = stablehlo.broadcast_in_dim %f, dims = [1] : (tensor<2xf32>) -> tensor<1x2xf32>
                  %bs = stablehlo.reshape %b : (tensor<1x2xf32>) -> tensor<2xf32>
                  %rb = stablehlo.bitcast_convert %r : (tensor<2xf32>) -> tensor<2xi32>
                  %cb = stablehlo.bitcast_convert %c : (tensor<4xf32>) -> tensor<4xi32>
                  %sb = stablehlo.bitcast_convert %s : (tensor<2xf32>) -> tensor<2xi32>
                  %reb = stablehlo.bitcast_convert %re : (tensor<2xf32>) -> tensor<2xi32>
                  %crb = stablehlo.bitcast_convert %cr : (tensor<2xf32>) -> tensor<2xi32>
                  %cib = stablehlo.bitcast_convert %ci : (tensor<2xf32>) -> tensor<2xi32>
                  %bsb = stablehlo.bitcast_convert %bs : (tensor<2xf32>) -> tensor<2xi32>
                  return %rb, %sb, %cb, %reb, %crb, %cib, %bsb : tensor<2xi32>, tensor<2xi32>, tensor<4xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>
                }
                """, i32(in), HostArray.fromLongs(TensorType.of(IntegerType.I1, 2), 1, 0));
        assertThat(ints(out.get(0))).as("reverse").containsExactly(in[1], in[0]);
        assertThat(ints(out.get(1))).as("select").containsExactly(in[0], 0x3F80_0000);
        assertThat(ints(out.get(2))).as("concatenate").containsExactly(in[0], in[1], in[1], in[0]);
        assertThat(ints(out.get(3))).as("real of f32").containsExactly(in);
        assertThat(ints(out.get(4))).as("real of complex").containsExactly(in);
        assertThat(ints(out.get(5))).as("imag of complex").containsExactly(in);
        assertThat(ints(out.get(6))).as("broadcast_in_dim").containsExactly(in);
    }

    private static int[] ints(HostArray a) {
        long[] l = a.toLongArray();
        int[] out = new int[l.length];
        for (int k = 0; k < l.length; k++) out[k] = (int) l[k];
        return out;
    }
}
