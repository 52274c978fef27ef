package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TransposeTiles} (a swap of the last two dimensions, in tiles) against the general strided copy
 * ({@link Layout#affineGather}, what transpose ran before) on random shapes: batches of 0 to 3 leading dimensions,
 * sides that are not multiples of the tile, one row or one column, floats with their signs of zero and NaN, integers.
 */
class TransposeTilesTest {
    @Test
    void swapsTheLastTwoDimensionsLikeTheStridedCopy() {
        SplittableRandom rng = new SplittableRandom(8);
        int checked = 0;
        for (int trial = 0; trial < 60; trial++) {
            int lead = rng.nextInt(3);
            long[] shape = new long[lead + 2];
            for (int d = 0; d < lead; d++) shape[d] = 1 + rng.nextInt(3);
            shape[lead] = trial % 9 == 0 ? 1 : 1 + rng.nextInt(120);
            shape[lead + 1] = trial % 11 == 0 ? 1 : 1 + rng.nextInt(120);
            long[] perm = new long[shape.length];
            for (int d = 0; d < perm.length; d++) perm[d] = d;
            perm[lead] = lead + 1;
            perm[lead + 1] = lead;
            boolean ints = trial % 3 == 0;
            TensorType type = TensorType.of(ints ? IntegerType.I32 : FloatType.F32, shape);
            Tensor x = Tensor.zeros(type);
            for (int i = 0; i < x.size; i++) {
                if (ints) x.ints[i] = rng.nextInt();
                else x.re[i] = rng.nextInt(50) == 0 ? (rng.nextBoolean() ? -0.0 : Double.NaN) : (float) rng.nextGaussian();
            }
            long[] outShape = shape.clone();
            outShape[lead] = shape[lead + 1];
            outShape[lead + 1] = shape[lead];
            TensorType rt = TensorType.of(type.elementType(), outShape);
            Tensor got = ShapeKernels.transpose(x, rt, perm);
            Tensor want = Tensor.zeros(rt);
            int[] os = Tensor.strides(x.shape);
            long[] ss = new long[perm.length];
            for (int d = 0; d < perm.length; d++) ss[d] = os[(int) perm[d]];
            Layout.affineGather(want, x, 0, ss);
            if (TransposeTiles.applies(x, perm)) checked++;
            assertThat(ScatterRowsTest.bits(got)).as("trial %d shape %s", trial, java.util.Arrays.toString(shape)).containsExactly(ScatterRowsTest.bits(want));
        }
        assertThat(checked).as("cases that took the tiled path").isGreaterThan(30);
    }
}
