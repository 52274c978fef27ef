package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * chlo.ragged_dot in the MoE form ([m, k] rows in groups x [groups, k, n]) on f32, wide enough for the float fast
 * path: every row equals its group's product computed here as a float fused multiply-add per term, k ascending
 * (XLA's CPU accumulation, which the interpreter reproduces bit for bit); rows in no group are zero.
 */
class RaggedDotF32Test {
    @Test
    void eachGroupsRowsTimesItsMatrixBitForBit() {
        int m = 37, k = 19, n = 53, groups = 3;
        long[] sizes = {10, 0, 20}; // rows 30..36 belong to no group
        SplittableRandom rng = new SplittableRandom(5);
        double[] a = new double[m * k], b = new double[groups * k * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextDouble() * 2 - 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextDouble() * 2 - 1);
        Tensor lhs = Ir.reals(FloatType.F32, shape(m, k), a.clone()), rhs = Ir.reals(FloatType.F32, shape(groups, k, n), b.clone());
        Tensor gs = Ir.ints(IntegerType.I64, shape(groups), sizes.clone());
        Ir ir = new Ir();
        Value l = ir.arg(lhs.type), r = ir.arg(rhs.type), g = ir.arg(gs.type);
        Value o = ir.op("chlo.ragged_dot", List.of(l, r, g), t(FloatType.F32, m, n), "ragged_dot_dimension_numbers",
                Ir.text(MoeKernelsTest.RAGGED_MODE1));
        double[] got = ((Tensor) Ir.run(ir.func("main", o), lhs, rhs, gs).get(0)).re;
        int row = 0;
        for (int grp = 0; grp <= groups; grp++) {
            int end = grp < groups ? row + (int) sizes[grp] : m;
            for (; row < end; row++) {
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    if (grp < groups) for (int q = 0; q < k; q++) s = Math.fma((float) a[row * k + q], (float) b[(grp * k + q) * n + j], s);
                    assertThat(got[row * n + j]).as("row %d col %d", row, j).isEqualTo((double) s);
                }
            }
        }
    }
}
