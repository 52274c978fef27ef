package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ScatterRows}, scatter's row form (whole rows of dimension 0 by scalar indices), against two oracles: the
 * general element loop of the kernel, run on the same scatter written with a unit window dimension instead of an
 * inserted one (updates [N, 1, W...], which the row form does not take), and, for f32 add, a loop written here.
 * Random shapes with duplicate and out-of-bounds indices (negative, past the end, unsigned with the top bit set),
 * empty and one-element cases, and the unsorted/unique flags (which the interpreter does not rely on).
 */
class ScatterRowsTest {
    static final String ROW_DN = "#stablehlo.scatter<update_window_dims = [%s], inserted_window_dims = [0], "
            + "scatter_dims_to_operand_dims = [0], index_vector_dim = %d>";
    static final String UNIT_DN = "#stablehlo.scatter<update_window_dims = [%s], inserted_window_dims = [], "
            + "scatter_dims_to_operand_dims = [0], index_vector_dim = %d>";

    @Test
    void randomShapesMatchTheGeneralLoopBitForBit() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int trial = 0; trial < 60; trial++) {
            int xRows = 1 + rng.nextInt(6), rows = rng.nextInt(3) == 0 ? rng.nextInt(2) : rng.nextInt(40);
            long[] window = rng.nextBoolean() ? new long[] {1 + rng.nextInt(9)} : new long[] {1 + rng.nextInt(3), 1 + rng.nextInt(4)};
            if (trial % 10 == 0) window = new long[0]; // x is [R]: one element per row
            String combine = List.of("stablehlo.add", "stablehlo.maximum", "replace", "stablehlo.multiply").get(trial % 4);
            ElementType et = trial % 3 == 2 ? IntegerType.I32 : trial % 5 == 4 ? FloatType.F64 : FloatType.F32;
            if (et == IntegerType.I32 && combine.equals("stablehlo.multiply")) combine = "stablehlo.add";
            boolean idxColumn = rng.nextBoolean(); // indices [N, 1] with index_vector_dim 1, else [N] with index_vector_dim 1
            ElementType it = trial % 7 == 3 ? IntegerType.UI64 : IntegerType.I32;
            long[] ids = new long[rows];
            for (int i = 0; i < rows; i++) {
                ids[i] = rng.nextInt(4) == 0 ? List.of(-1L, (long) xRows, xRows + 3L, -7L).get(rng.nextInt(4)) : rng.nextInt(xRows);
                if (it != IntegerType.I32 && ids[i] < 0) ids[i] = -1L; // ui64 2^64 - 1: out of bounds
            }
            check(trial, xRows, rows, window, combine, et, it, idxColumn, ids, rng);
        }
    }

    @Test
    void duplicateIndicesAddInUpdateOrderAndOutOfBoundsRowsAreDropped() {
        // an f32 sum whose value depends on the order: 1, 1e8, -1e8 added in update order is 0 (1e8 absorbs the 1),
        // in reverse order 1
        Tensor x = Ir.reals(FloatType.F32, shape(3, 2), 0, 0, 0, 0, 5, 5);
        Tensor idx = Ir.ints(IntegerType.I32, shape(5), 1, 1, 1, 3, -1);
        Tensor u = Ir.reals(FloatType.F32, shape(5, 2), 1, 1, 1e8, 2, -1e8, 3, 9, 9, 7, 7);
        Tensor got = scatter(x, idx, u, ROW_DN.formatted("1", 1), Ir.combiner("stablehlo.add", FloatType.F32), x.type);
        float forward = (float) ((float) (0f + 1f) + 1e8f) + -1e8f, reverse = (float) ((float) (0f + -1e8f) + 1e8f) + 1f;
        assertThat(forward).isEqualTo(0f);
        assertThat(reverse).isEqualTo(1f);
        assertThat(got.re).containsExactly(0, 0, forward, 1f + 2f + 3f, 5, 5);
    }

    @Test
    void emptyUpdatesAndZeroRowOperands() {
        Tensor x = Ir.reals(FloatType.F32, shape(2, 3), 1, 2, 3, 4, 5, 6);
        Tensor got = scatter(x, Ir.ints(IntegerType.I32, shape(0)), Tensor.zeros(t(FloatType.F32, 0, 3)), ROW_DN.formatted("1", 1),
                Ir.combiner("stablehlo.add", FloatType.F32), x.type);
        assertThat(got.re).containsExactly(1, 2, 3, 4, 5, 6);
        Tensor none = Tensor.zeros(t(FloatType.F32, 0, 3)); // every index is out of bounds of zero rows
        Tensor got0 = scatter(none, Ir.ints(IntegerType.I32, shape(2), 0, 1), Ir.reals(FloatType.F32, shape(2, 3), 1, 1, 1, 1, 1, 1),
                ROW_DN.formatted("1", 1), Ir.combiner("stablehlo.add", FloatType.F32), none.type);
        assertThat(got0.size).isZero();
        Tensor one = Ir.reals(FloatType.F32, shape(1), 2);
        Tensor got1 = scatter(one, Ir.ints(IntegerType.I32, shape(1, 1), 0), Ir.reals(FloatType.F32, shape(1), 3),
                ROW_DN.formatted("", 1), Ir.combiner("stablehlo.multiply", FloatType.F32), one.type);
        assertThat(got1.re).containsExactly(6);
    }

    /** Batch dimensions of rank 2 (indices [2, 3]): the update rows are the batch positions in row-major order. */
    @Test
    void twoBatchDimensionsAreRowsInRowMajorOrder() {
        SplittableRandom rng = new SplittableRandom(3);
        Tensor x = random(rng, FloatType.F32, shape(4, 5));
        Tensor idx = Ir.ints(IntegerType.I64, shape(2, 3), 3, 0, 3, 9, 1, 3);
        Tensor u = random(rng, FloatType.F32, shape(2, 3, 5));
        Tensor got = scatter(x, idx, u, ROW_DN.formatted("2", 2), Ir.combiner("stablehlo.add", FloatType.F32), x.type);
        double[] want = x.re.clone();
        for (int i = 0; i < 6; i++) {
            int r = (int) idx.ints[i];
            if (r < 0 || r >= 4) continue;
            for (int c = 0; c < 5; c++) want[r * 5 + c] = (float) (want[r * 5 + c] + u.re[i * 5 + c]);
        }
        assertThat(got.re).containsExactly(want);
        Tensor general = scatter(x, idx, u.reshaped(t(FloatType.F32, 2, 3, 1, 5)), UNIT_DN.formatted("2, 3", 2),
                Ir.combiner("stablehlo.add", FloatType.F32), x.type);
        assertThat(bits(got)).containsExactly(bits(general));
    }

    private static void check(int trial, int xRows, int rows, long[] window, String combine, ElementType et, ElementType it,
                              boolean idxColumn, long[] ids, SplittableRandom rng) {
        long[] xs = new long[window.length + 1], us = new long[window.length + 1], unit = new long[window.length + 2];
        xs[0] = xRows;
        us[0] = rows;
        unit[0] = rows;
        unit[1] = 1;
        for (int d = 0; d < window.length; d++) {
            xs[d + 1] = window[d];
            us[d + 1] = window[d];
            unit[d + 2] = window[d];
        }
        Tensor x = random(rng, et, xs), u = random(rng, et, us);
        Tensor idx = Ir.ints(it, idxColumn ? shape(rows, 1) : shape(rows), ids);
        StringBuilder wd = new StringBuilder(), uwd = new StringBuilder();
        for (int d = 0; d < window.length; d++) wd.append(d == 0 ? "" : ", ").append(d + 1);
        for (int d = 0; d <= window.length; d++) uwd.append(d == 0 ? "" : ", ").append(d + 1);
        Region body = combine.equals("replace") ? replace(et) : Ir.combiner(combine, et);
        Tensor got = scatter(x, idx, u, ROW_DN.formatted(wd, 1), body, x.type, trial % 2 == 1); // flags: hints only
        Region body2 = combine.equals("replace") ? replace(et) : Ir.combiner(combine, et);
        Tensor want = scatter(x, idx, u.reshaped(TensorType.of(et, unit)), UNIT_DN.formatted(uwd, 1), body2, x.type);
        assertThat(bits(got)).as("trial %d: %s %s rows %d window %s", trial, combine, et, rows, java.util.Arrays.toString(window))
                .containsExactly(bits(want));
        // the row form went through ScatterRows (x is not read again: apply may write it)
        long[] windowDims = new long[window.length];
        for (int d = 0; d < window.length; d++) windowDims[d] = d + 1;
        boolean replace = combine.equals("replace");
        assertThat(ScatterRows.apply(x, idx, u, windowDims, new long[] {0}, new long[0], new long[] {0}, 1,
                replace ? null : ScalarOp.of(body, et), replace)).as("trial %d: ScatterRows applies", trial).isTrue();
    }

    static Tensor scatter(Tensor x, Tensor idx, Tensor u, String dn, Region body, TensorType result) {
        return scatter(x, idx, u, dn, body, result, false);
    }

    static Tensor scatter(Tensor x, Tensor idx, Tensor u, String dn, Region body, TensorType result, boolean unique) {
        Ir ir = new Ir();
        Value a = ir.arg(x.type), i = ir.arg(idx.type), up = ir.arg(u.type);
        Value r = ir.ops("stablehlo.scatter", List.of(a, i, up), List.of(result), List.of(body),
                "scatter_dimension_numbers", Ir.text(dn), "unique_indices", io.hlo4j.mlir.attr.BoolAttr.of(unique),
                "indices_are_sorted", io.hlo4j.mlir.attr.BoolAttr.of(unique)).get(0);
        return (Tensor) Ir.run(ir.func("main", r), x, idx, u).get(0);
    }

    static Region replace(ElementType e) {
        TensorType s = TensorType.scalar(e);
        return Ir.region(List.of(s, s), r -> List.of(r.blockArg(1)));
    }

    static Tensor random(SplittableRandom rng, ElementType et, long[] shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        if (et instanceof IntegerType) {
            long[] v = new long[n];
            for (int i = 0; i < n; i++) v[i] = rng.nextInt(200) - 100;
            return Ir.ints(et, shape, v);
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double d = rng.nextDouble() * 2 - 1;
            v[i] = et == FloatType.F32 ? (float) (d * Math.pow(10, rng.nextInt(9) - 4)) : d;
        }
        return Ir.reals(et, shape, v);
    }

    static long[] bits(Tensor t) {
        long[] b = new long[t.size];
        for (int i = 0; i < t.size; i++) b[i] = t.ints != null ? t.ints[i] : Double.doubleToRawLongBits(t.re[i]);
        return b;
    }
}
