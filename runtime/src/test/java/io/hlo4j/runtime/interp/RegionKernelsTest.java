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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reduce, reduce_window, gather, scatter, sort, while, dot_general against hand-computed values. */
class RegionKernelsTest {
    @Test
    void reduceSumsAlongADimension() {
        Ir ir = new Ir();
        Tensor x = Ir.reals(FloatType.F32, shape(2, 3), 1, 2, 3, 4, 5, 6);
        Value a = ir.arg(x.type), z = ir.arg(t(FloatType.F32));
        Value r = ir.ops("stablehlo.reduce", List.of(a, z), List.of(t(FloatType.F32, 3)),
                List.of(Ir.combiner("stablehlo.add", FloatType.F32)), "dimensions", i64s(0)).get(0);
        assertThat(((Tensor) Ir.run(ir.func("main", r), x, Tensor.scalarDouble(FloatType.F32, 10)).get(0)).re)
                .containsExactly(15, 17, 19);
    }

    @Test
    void largeReductionsRunInParallelWithTheSameResult() {
        int n = 300; // 90,000 elements: above the parallel threshold
        double[] v = new double[n * n];
        for (int i = 0; i < v.length; i++) v[i] = i % 7;
        Tensor x = Ir.reals(FloatType.F32, shape(n, n), v);
        for (int dim = 0; dim < 2; dim++) {
            Ir ir = new Ir();
            Value a = ir.arg(x.type), z = ir.arg(t(FloatType.F32));
            Value r = ir.ops("stablehlo.reduce", List.of(a, z), List.of(t(FloatType.F32, n)),
                    List.of(Ir.combiner("stablehlo.add", FloatType.F32)), "dimensions", i64s(dim)).get(0);
            double[] out = ((Tensor) Ir.run(ir.func("main", r), x, Tensor.scalarDouble(FloatType.F32, 0)).get(0)).re;
            for (int o = 0; o < n; o++) {
                double want = 0;
                for (int k = 0; k < n; k++) want += dim == 1 ? (o * n + k) % 7 : (k * n + o) % 7;
                assertThat(out[o]).as("dim " + dim + " output " + o).isEqualTo(want);
            }
        }
    }

    @Test
    void variadicArgmaxReduceEvaluatesTheRegion() {
        TensorType f = t(FloatType.F32), i = t(IntegerType.I32);
        Ir ir = new Ir();
        Tensor v = Ir.reals(FloatType.F32, shape(4), 3, 9, 9, 1);
        Tensor idx = Ir.ints(IntegerType.I32, shape(4), 0, 1, 2, 3);
        Value a = ir.arg(v.type), b = ir.arg(idx.type), z = ir.arg(f), zi = ir.arg(i);
        var body = Ir.region(List.of(f, i, f, i), r -> {
            Value gt = r.op("stablehlo.compare", List.of(r.blockArg(0), r.blockArg(2)), t(IntegerType.I1),
                    "comparison_direction", Ir.text("#stablehlo<comparison_direction GE>"));
            Value mv = r.op("stablehlo.select", List.of(gt, r.blockArg(0), r.blockArg(2)), f);
            Value mi = r.op("stablehlo.select", List.of(gt, r.blockArg(1), r.blockArg(3)), i);
            return List.of(mv, mi);
        });
        var rs = ir.ops("stablehlo.reduce", List.of(a, b, z, zi), List.of(f, i), List.of(body), "dimensions", i64s(0));
        List<RtValue> out = Ir.run(ir.func("main", rs.get(0), rs.get(1)), v, idx,
                Tensor.scalarDouble(FloatType.F32, Double.NEGATIVE_INFINITY), Tensor.scalarInt(IntegerType.I32, -1));
        assertThat(((Tensor) out.get(0)).re).containsExactly(9);
        assertThat(((Tensor) out.get(1)).ints).containsExactly(1); // first of the tied maxima
    }

    @Test
    void reduceWindowCumulativeSum() {
        Ir ir = new Ir();
        Tensor x = Ir.ints(IntegerType.I32, shape(4), 1, 2, 3, 4);
        Value a = ir.arg(x.type), z = ir.arg(t(IntegerType.I32));
        Value r = ir.ops("stablehlo.reduce_window", List.of(a, z), List.of(x.type),
                List.of(Ir.combiner("stablehlo.add", IntegerType.I32)), "window_dimensions", i64s(4),
                "padding", io.hlo4j.mlir.attr.DenseElementsAttr.of(t(IntegerType.I64, 1, 2),
                        Bytes.encode(Ir.ints(IntegerType.I64, shape(1, 2), 3, 0)))).get(0);
        assertThat(((Tensor) Ir.run(ir.func("main", r), x, Tensor.scalarInt(IntegerType.I32, 0)).get(0)).ints)
                .containsExactly(1, 3, 6, 10);
    }

    @Test
    void gatherRowsAndScatterAddBack() {
        Tensor tokens = Ir.reals(FloatType.F32, shape(3, 2), 1, 2, 3, 4, 5, 6);
        Tensor idx = Ir.ints(IntegerType.I32, shape(4, 1), 2, 0, 2, 7);
        Ir ir = new Ir();
        Value x = ir.arg(tokens.type), i = ir.arg(idx.type);
        Value g = ir.op("stablehlo.gather", List.of(x, i), t(FloatType.F32, 4, 2),
                "dimension_numbers", Ir.text("#stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>"),
                "slice_sizes", i64s(1, 2));
        Tensor out = (Tensor) Ir.run(ir.func("main", g), tokens, idx).get(0);
        assertThat(out.re).containsExactly(5, 6, 1, 2, 5, 6, 5, 6); // index 7 clamps to row 2

        Ir s = new Ir();
        Value base = s.arg(tokens.type), si = s.arg(idx.type), upd = s.arg(t(FloatType.F32, 4, 2));
        Value r = s.ops("stablehlo.scatter", List.of(base, si, upd), List.of(tokens.type),
                List.of(Ir.combiner("stablehlo.add", FloatType.F32)),
                "scatter_dimension_numbers", Ir.text("#stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>")).get(0);
        Tensor updates = Ir.reals(FloatType.F32, shape(4, 2), 10, 10, 20, 20, 30, 30, 40, 40);
        Tensor so = (Tensor) Ir.run(s.func("main", r), tokens, idx, updates).get(0);
        assertThat(so.re).containsExactly(21, 22, 3, 4, 45, 46); // index 7 is out of bounds: skipped
    }

    @Test
    void largeGatherRunsInParallelChunks() {
        int rows = 50_000; // result 50,000 x 2: several chunks
        Tensor table = Ir.reals(FloatType.F32, shape(7, 2), 0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51, 60, 61);
        long[] ids = new long[rows];
        for (int i = 0; i < rows; i++) ids[i] = (i * 5L) % 7;
        Tensor idx = Ir.ints(IntegerType.I32, shape(rows, 1), ids);
        Ir ir = new Ir();
        Value x = ir.arg(table.type), i = ir.arg(idx.type);
        Value g = ir.op("stablehlo.gather", List.of(x, i), t(FloatType.F32, rows, 2),
                "dimension_numbers", Ir.text("#stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>"),
                "slice_sizes", i64s(1, 2));
        double[] out = ((Tensor) Ir.run(ir.func("main", g), table, idx).get(0)).re;
        for (int r = 0; r < rows; r++) {
            assertThat(out[2 * r]).isEqualTo(10.0 * ids[r]);
            assertThat(out[2 * r + 1]).isEqualTo(10.0 * ids[r] + 1);
        }
    }

    @Test
    void stableSortByKeyCarriesValues() {
        TensorType i = t(IntegerType.I32);
        Tensor keys = Ir.ints(IntegerType.I32, shape(5), 2, 1, 2, 0, 1);
        Tensor vals = Ir.ints(IntegerType.I32, shape(5), 0, 1, 2, 3, 4);
        Ir ir = new Ir();
        Value k = ir.arg(keys.type), v = ir.arg(vals.type);
        var cmp = Ir.region(List.of(i, i, i, i), r -> List.of(r.op("stablehlo.compare", List.of(r.blockArg(0), r.blockArg(1)),
                t(IntegerType.I1), "comparison_direction", Ir.text("#stablehlo<comparison_direction LT>"))));
        var rs = ir.ops("stablehlo.sort", List.of(k, v), List.of(keys.type, vals.type), List.of(cmp),
                "dimension", Ir.i64(0), "is_stable", io.hlo4j.mlir.attr.BoolAttr.TRUE);
        List<RtValue> out = Ir.run(ir.func("main", rs.get(0), rs.get(1)), keys, vals);
        assertThat(((Tensor) out.get(0)).ints).containsExactly(0, 1, 1, 2, 2);
        assertThat(((Tensor) out.get(1)).ints).containsExactly(3, 1, 4, 0, 2);
    }

    @Test
    void whileLoopCountsToTen() {
        TensorType i = t(IntegerType.I32);
        Ir ir = new Ir();
        Value n = ir.arg(i);
        var cond = Ir.region(List.of(i), r -> {
            Value ten = r.op("stablehlo.constant", List.of(), i, "value", io.hlo4j.mlir.attr.DenseElementsAttr.of(i, new byte[] {10, 0, 0, 0}));
            return List.of(r.op("stablehlo.compare", List.of(r.blockArg(0), ten), t(IntegerType.I1),
                    "comparison_direction", Ir.text("#stablehlo<comparison_direction LT>")));
        });
        var body = Ir.region(List.of(i), r -> {
            Value one = r.op("stablehlo.constant", List.of(), i, "value", io.hlo4j.mlir.attr.DenseElementsAttr.of(i, new byte[] {1, 0, 0, 0}));
            return List.of(r.op("stablehlo.add", List.of(r.blockArg(0), one), i));
        });
        Value w = ir.ops("stablehlo.while", List.of(n), List.of(i), List.of(cond, body)).get(0);
        assertThat(((Tensor) Ir.run(ir.func("main", w), Tensor.scalarInt(IntegerType.I32, 3)).get(0)).ints).containsExactly(10);
    }

    @Test
    void dotGeneralBatchedMatmulAccumulatesOnce() {
        Tensor a = Ir.reals(FloatType.BF16, shape(1, 2, 3), 1, 2, 3, 4, 5, 6);
        Tensor b = Ir.reals(FloatType.BF16, shape(1, 3, 2), 1, 0, 0, 1, 1, 1);
        Ir ir = new Ir();
        Value x = ir.arg(a.type), y = ir.arg(b.type);
        Value r = ir.op("stablehlo.dot_general", List.of(x, y), t(FloatType.F32, 1, 2, 2), "dot_dimension_numbers",
                Ir.text("#stablehlo.dot<lhs_batching_dimensions = [0], rhs_batching_dimensions = [0], lhs_contracting_dimensions = [2], rhs_contracting_dimensions = [1]>"));
        assertThat(((Tensor) Ir.run(ir.func("main", r), a, b).get(0)).re).containsExactly(4, 5, 10, 11);
    }

    @Test
    void convolutionWithStrideAndPadding() {
        // input [1, 2, 3, 4] (batch 1, feature 1), kernel [1, 10], stride 2, padding 1 on the left:
        // padded [0, 1, 2, 3, 4] -> windows at 0 and 2: 0*1 + 1*10 = 10, 2*1 + 3*10 = 32
        Tensor x = Ir.reals(FloatType.F32, shape(1, 1, 4), 1, 2, 3, 4);
        Tensor k = Ir.reals(FloatType.F32, shape(1, 1, 2), 1, 10);
        Ir ir = new Ir();
        Value a = ir.arg(x.type), b = ir.arg(k.type);
        Value r = ir.op("stablehlo.convolution", List.of(a, b), t(FloatType.F32, 1, 1, 2),
                "dimension_numbers", Ir.text("#stablehlo.conv<[b, f, 0]x[o, i, 0]->[b, f, 0]>"), "window_strides", i64s(2),
                "padding", io.hlo4j.mlir.attr.DenseElementsAttr.of(t(IntegerType.I64, 1, 2), Bytes.encode(Ir.ints(IntegerType.I64, shape(1, 2), 1, 0))),
                "feature_group_count", Ir.i64(1), "batch_group_count", Ir.i64(1));
        assertThat(((Tensor) Ir.run(ir.func("main", r), x, k).get(0)).re).containsExactly(10, 32);
    }

    @Test
    void quantizeRoundsToNearestEvenAndClamps() {
        var q = new io.hlo4j.mlir.types.QuantizedType(IntegerType.I8, null, null, FloatType.F32, null, List.of(0.5), List.of(1L));
        Tensor x = Ir.reals(FloatType.F32, shape(4), 0.25, 0.75, 100, -1);
        Ir ir = new Ir();
        Value a = ir.arg(x.type);
        Value qv = ir.op("stablehlo.uniform_quantize", List.of(a), t(q, 4));
        Value back = ir.op("stablehlo.uniform_dequantize", List.of(qv), t(FloatType.F32, 4));
        List<RtValue> out = Ir.run(ir.func("main", qv, back), x);
        // x / 0.5 + 1: 1.5 -> 2, 2.5 -> 2 (ties to even), 201 -> 127 (clamped), -1 -> -1
        assertThat(((Tensor) out.get(0)).ints).containsExactly(2, 2, 127, -1);
        assertThat(((Tensor) out.get(1)).re).containsExactly(0.5, 0.5, 63, -1);
    }

    @Test
    void opWithoutKernelIsRefusedWithItsLocation() {
        Ir ir = new Ir();
        Value x = ir.arg(t(FloatType.F32, 2));
        Value r = ir.op("sdy.manual_computation", List.of(x), t(FloatType.F32, 2)); // listed in KernelRegistryTest.WITHOUT_KERNEL
        assertThatThrownBy(() -> Ir.run(ir.func("main", r), Ir.reals(FloatType.F32, shape(2), 1, 2)))
                .hasMessage("not supported by the interpreter: sdy.manual_computation")
                // no location known: format() (what the CLI prints) is the message alone, which still names the op
                .extracting(e -> ((InterpreterException) e).format()).isEqualTo("not supported by the interpreter: sdy.manual_computation");
    }
}
