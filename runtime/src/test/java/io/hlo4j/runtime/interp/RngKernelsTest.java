package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/** The bit generators against Random123's published known-answer vectors, and XLA's output layout and state update. */
class RngKernelsTest {
    @Test
    void threeFry2x32MatchesKnownAnswers() {
        assertThat(RngKernels.threeFry2x32(0, 0, 0, 0)).containsExactly(0x6b200159, 0x99ba4efe);
        assertThat(RngKernels.threeFry2x32(-1, -1, -1, -1)).containsExactly(0x1cb996fc, 0xbb002be7);
        assertThat(RngKernels.threeFry2x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344)).containsExactly(0xc4923a9c, 0x483df7a0);
    }

    @Test
    void philox4x32MatchesKnownAnswers() {
        assertThat(RngKernels.philox4x32(new int[] {0, 0, 0, 0}, 0, 0)).containsExactly(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
        assertThat(RngKernels.philox4x32(new int[] {-1, -1, -1, -1}, -1, -1)).containsExactly(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
    }

    static List<RtValue> generate(String alg, Tensor state, io.hlo4j.mlir.types.TensorType out) {
        Ir ir = new Ir();
        Value s = ir.arg(state.type);
        var rs = ir.ops("stablehlo.rng_bit_generator", List.of(s), List.of(state.type, out), List.of(),
                "rng_algorithm", Ir.text("#stablehlo<rng_algorithm " + alg + ">"));
        return Ir.run(ir.func("main", rs.get(0), rs.get(1)), state);
    }

    @Test
    void threeFry64DrawsOneBlockPerElementFromTheCounter() {
        Tensor state = Ir.ints(IntegerType.UI64, shape(2), 7, 100);
        List<RtValue> r = generate("THREE_FRY", state, t(IntegerType.UI64, 3));
        long[] bits = ((Tensor) r.get(1)).ints;
        for (int i = 0; i < 3; i++) {
            int[] x = RngKernels.threeFry2x32(100 + i, 0, 7, 0);
            assertThat(bits[i]).isEqualTo((x[0] & 0xFFFFFFFFL) | ((long) x[1] << 32));
        }
        assertThat(((Tensor) r.get(0)).ints).containsExactly(7, 103);
    }

    @Test
    void threeFry32PairsNeighboursOfTheFirstEvenDimension() {
        Tensor state = Ir.ints(IntegerType.UI64, shape(2), 7, 100);
        List<RtValue> r = generate("THREE_FRY", state, t(IntegerType.UI32, 3, 2));
        long[] bits = ((Tensor) r.get(1)).ints;
        // shape 3x2 splits dim 1 into halves of 1: block h (over the 3x1 half shape) fills [h, 0] and [h, 1]
        for (int h = 0; h < 3; h++) {
            int[] x = RngKernels.threeFry2x32(100 + h, 0, 7, 0);
            assertThat(bits[2 * h]).isEqualTo(x[0] & 0xFFFFFFFFL);
            assertThat(bits[2 * h + 1]).isEqualTo(x[1] & 0xFFFFFFFFL);
        }
        assertThat(((Tensor) r.get(0)).ints).containsExactly(7, 103);
    }

    @Test
    void philox32DealsBlockWordsRoundRobinAndAdvancesThe128BitCounter() {
        Tensor state = Ir.ints(IntegerType.UI64, shape(3), 5, -1L, 0);
        List<RtValue> r = generate("PHILOX", state, t(IntegerType.UI32, 6));
        long[] bits = ((Tensor) r.get(1)).ints;
        int[] b0 = RngKernels.philox4x32(new int[] {-1, -1, 0, 0}, 5, 0);
        int[] b1 = RngKernels.philox4x32(new int[] {0, 0, 1, 0}, 5, 0); // counter + 1 carries into the high word
        assertThat(bits).containsExactly(b0[0] & 0xFFFFFFFFL, b0[1] & 0xFFFFFFFFL, b0[2] & 0xFFFFFFFFL, b0[3] & 0xFFFFFFFFL,
                b1[0] & 0xFFFFFFFFL, b1[1] & 0xFFFFFFFFL);
        assertThat(((Tensor) r.get(0)).ints).containsExactly(5, 1, 1);
    }
}
