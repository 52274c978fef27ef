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
 * reshape and a constant, as numpy's {@code a.view(np.float32).view(np.int32)} gives the same ints. Arithmetic quiets it,
 * as IEEE 754 says (x + 0 is 0x7FC00001 for 0x7F800001, x86's and numpy's answer). The interpreter used to widen the
 * f32 to a double with a cast, which set the quiet bit everywhere.
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

    private static int[] ints(HostArray a) {
        long[] l = a.toLongArray();
        int[] out = new int[l.length];
        for (int k = 0; k < l.length; k++) out[k] = (int) l[k];
        return out;
    }
}
