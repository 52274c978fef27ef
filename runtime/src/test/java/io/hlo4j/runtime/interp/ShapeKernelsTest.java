package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.runtime.interp.Ir.i64s;
import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/** Data-movement kernels against hand-computed values. */
class ShapeKernelsTest {
    static final TensorType I2x3 = t(IntegerType.I32, 2, 3);
    static final Tensor X = Ir.ints(IntegerType.I32, shape(2, 3), 1, 2, 3, 4, 5, 6);

    static Tensor apply(String op, TensorType rt, Object... props) {
        Ir ir = new Ir();
        Value x = ir.arg(X.type);
        Value r = ir.op("stablehlo." + op, List.of(x), rt, props);
        return (Tensor) Ir.run(ir.func("main", r), X).get(0);
    }

    @Test
    void transposeBroadcastReverse() {
        assertThat(apply("transpose", t(IntegerType.I32, 3, 2), "permutation", i64s(1, 0)).ints).containsExactly(1, 4, 2, 5, 3, 6);
        assertThat(apply("broadcast_in_dim", t(IntegerType.I32, 2, 2, 3), "broadcast_dimensions", i64s(0, 2)).ints)
                .containsExactly(1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6);
        assertThat(apply("reverse", I2x3, "dimensions", i64s(1)).ints).containsExactly(3, 2, 1, 6, 5, 4);
        assertThat(apply("reverse", I2x3, "dimensions", i64s(0, 1)).ints).containsExactly(6, 5, 4, 3, 2, 1);
    }

    @Test
    void sliceAndPad() {
        assertThat(apply("slice", t(IntegerType.I32, 2, 2), "start_indices", i64s(0, 0), "limit_indices", i64s(2, 3),
                "strides", i64s(1, 2)).ints).containsExactly(1, 3, 4, 6);
        Ir ir = new Ir();
        Value x = ir.arg(X.type), p = ir.arg(t(IntegerType.I32));
        Value r = ir.op("stablehlo.pad", List.of(x, p), t(IntegerType.I32, 3, 4), "edge_padding_low", i64s(0, 1),
                "edge_padding_high", i64s(0, -1), "interior_padding", i64s(1, 0));
        Tensor out = (Tensor) Ir.run(ir.func("main", r), X, Ir.ints(IntegerType.I32, shape(), 9)).get(0);
        assertThat(out.ints).containsExactly(9, 1, 2, 3, 9, 9, 9, 9, 9, 4, 5, 6);
    }

    @Test
    void concatenateAndIota() {
        Ir ir = new Ir();
        Value x = ir.arg(X.type);
        Value r = ir.op("stablehlo.concatenate", List.of(x, x), t(IntegerType.I32, 2, 6), "dimension", Ir.i64(1));
        assertThat(((Tensor) Ir.run(ir.func("main", r), X).get(0)).ints).containsExactly(1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6);
        Ir i2 = new Ir();
        Value io = i2.op("stablehlo.iota", List.of(), t(FloatType.F32, 2, 3), "iota_dimension", Ir.i64(1));
        assertThat(((Tensor) Ir.run(i2.func("main", io)).get(0)).re).containsExactly(0, 1, 2, 0, 1, 2);
    }

    @Test
    void dynamicSliceClampsStartIndices() {
        Ir ir = new Ir();
        Value x = ir.arg(X.type), i = ir.arg(t(IntegerType.I64)), j = ir.arg(t(IntegerType.I64));
        Value r = ir.op("stablehlo.dynamic_slice", List.of(x, i, j), t(IntegerType.I32, 1, 2), "slice_sizes", i64s(1, 2));
        Tensor out = (Tensor) Ir.run(ir.func("main", r), X, Tensor.scalarInt(IntegerType.I64, 5),
                Tensor.scalarInt(IntegerType.I64, -3)).get(0);
        assertThat(out.ints).containsExactly(4, 5); // row clamped to 1, column to 0
        Ir u = new Ir();
        Value ux = u.arg(X.type), upd = u.arg(t(IntegerType.I32, 1, 2)), ui = u.arg(t(IntegerType.I64)), uj = u.arg(t(IntegerType.I64));
        Value ur = u.op("stablehlo.dynamic_update_slice", List.of(ux, upd, ui, uj), X.type);
        Tensor uo = (Tensor) Ir.run(u.func("main", ur), X, Ir.ints(IntegerType.I32, shape(1, 2), 8, 9),
                Tensor.scalarInt(IntegerType.I64, 0), Tensor.scalarInt(IntegerType.I64, 7)).get(0);
        assertThat(uo.ints).containsExactly(1, 8, 9, 4, 5, 6);
    }

    @Test
    void padDroppingAnElementKeepsTheRestOfItsChunk() {
        // low = -1 drops element 0; the element loop runs in chunks of 4,096 (StopCheck.end), and skipping the
        // dropped element once skipped the rest of its chunk: every kept element must land at its index - 1
        int n = 10_000;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = i;
        Tensor r = ShapeKernels.pad(Ir.reals(FloatType.F64, shape(n), v), Ir.reals(FloatType.F64, shape(), -1),
                t(FloatType.F64, n - 1), new long[] {-1}, new long[] {0});
        for (int j = 0; j < n - 1; j++) assertThat(r.re[j]).as("element %d", j).isEqualTo(j + 1);
    }
}
