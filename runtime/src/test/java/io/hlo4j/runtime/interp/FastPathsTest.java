package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import static io.hlo4j.runtime.interp.Ir.i64s;
import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The performance paths (primitive sort comparator, JAX's canonicalising one included, row gather, contiguous f32 reductions, parallel element-wise
 * loops) on inputs large or odd enough to take them, against oracles computed here independently: Java's stable
 * List.sort, float arithmetic, direct row indexing with clamping.
 */
class FastPathsTest {
    /** The comparator of jax.lax.sort (and the DSL's sort) on an f32 key: zeros and NaNs canonicalised, then total order. */
    private static final String CANONICAL_SORT = """
            func.func @main(%k: tensor<{N}x{T}>, %i: tensor<{N}xi32>) -> (tensor<{N}x{T}>, tensor<{N}xi32>) {
              %0:2 = "stablehlo.sort"(%k, %i) <{dimension = 0 : i64, is_stable = true}> ({
              ^bb0(%a: tensor<{T}>, %b: tensor<{T}>, %c: tensor<i32>, %d: tensor<i32>):
                %z = stablehlo.constant dense<0.0> : tensor<{T}>
                %ea = stablehlo.compare EQ, %a, %z, FLOAT : (tensor<{T}>, tensor<{T}>) -> tensor<i1>
                %sa = stablehlo.select %ea, %z, %a : tensor<i1>, tensor<{T}>
                %na = stablehlo.compare NE, %a, %a, FLOAT : (tensor<{T}>, tensor<{T}>) -> tensor<i1>
                %nan = stablehlo.constant dense<0x7FC00000> : tensor<{T}>
                %ka = stablehlo.select %na, %nan, %sa : tensor<i1>, tensor<{T}>
                %eb = stablehlo.compare EQ, %z, %b, FLOAT : (tensor<{T}>, tensor<{T}>) -> tensor<i1>
                %sb = stablehlo.select %eb, %z, %b : tensor<i1>, tensor<{T}>
                %nb = stablehlo.compare NE, %b, %b : (tensor<{T}>, tensor<{T}>) -> tensor<i1>
                %kb = stablehlo.select %nb, %nan, %sb : tensor<i1>, tensor<{T}>
                %lt = stablehlo.compare {CMP}, %ka, %kb, TOTALORDER : (tensor<{T}>, tensor<{T}>) -> tensor<i1>
                stablehlo.return %lt : tensor<i1>
              }) : (tensor<{N}x{T}>, tensor<{N}xi32>) -> (tensor<{N}x{T}>, tensor<{N}xi32>)
              return %0#0, %0#1 : tensor<{N}x{T}>, tensor<{N}xi32>
            }""";

    @Test
    void sortWithJaxsCanonicalisingComparatorTiesTheZerosAndPutsNansLast() {
        SplittableRandom rng = new SplittableRandom(9);
        int n = 3000;
        double[] k = new double[n];
        long[] iota = new long[n];
        for (int i = 0; i < n; i++) {
            iota[i] = i;
            int r = rng.nextInt(6);
            k[i] = r == 0 ? 0.0 : r == 1 ? -0.0 : r == 2 ? Double.NaN : r == 3 ? -Double.NaN : rng.nextInt(20) - 10;
        }
        for (String cmp : List.of("LT", "GT")) {
            String text = "module {\n" + CANONICAL_SORT.replace("{N}", String.valueOf(n)).replace("{T}", "f32").replace("{CMP}", cmp) + "\n}";
            io.hlo4j.mlir.ir.Module m = io.hlo4j.mlir.parse.MlirParser.parseModule(text, "canon.mlir");
            io.hlo4j.mlir.ir.Operation sort = m.functions().get(0).region(0).entry().operations().get(0);
            assertThat(SortKernels.direct(sort.region(0))).as("the comparator is recognised").isNotNull();
            var keys = io.hlo4j.runtime.array.HostArray.fromDoubles(TensorType.of(FloatType.F32, n), k);
            var idx = io.hlo4j.runtime.array.HostArray.fromLongs(TensorType.of(IntegerType.I32, n), iota);
            long[] perm = new io.hlo4j.runtime.interp.Interpreter(m).runHost("main", List.of(keys, idx)).get(1).toLongArray();
            // oracle: Java's stable sort by the canonical key (every NaN one value above +inf, the zeros one value)
            List<Integer> want = new ArrayList<>();
            for (int i = 0; i < n; i++) want.add(i);
            Comparator<Integer> byKey = Comparator.comparingDouble(i -> Double.isNaN(k[i]) ? Double.POSITIVE_INFINITY * 2 : k[i] == 0 ? 0.0 : k[i]);
            Comparator<Integer> nanLast = Comparator.<Integer, Boolean>comparing(i -> Double.isNaN(k[i])).thenComparing(byKey);
            want.sort(cmp.equals("LT") ? nanLast : nanLast.reversed());
            for (int i = 0; i < n; i++) assertThat(perm[i]).as("%s position %d", cmp, i).isEqualTo((long) want.get(i));
        }
        // a comparator that is not the canonical form (zeros compared in total order) is evaluated as a region
        String other = "module {\n" + CANONICAL_SORT.replace("{N}", "4").replace("{T}", "f32").replace("{CMP}", "LT")
                .replace("%ea = stablehlo.compare EQ, %a, %z, FLOAT", "%ea = stablehlo.compare EQ, %a, %z, TOTALORDER") + "\n}";
        io.hlo4j.mlir.ir.Operation sort = io.hlo4j.mlir.parse.MlirParser.parseModule(other, "other.mlir").functions().get(0)
                .region(0).entry().operations().get(0);
        assertThat(SortKernels.direct(sort.region(0))).isNull();
    }

    @Test
    void sortWithACompareComparatorIsAStableArgsort() {
        SplittableRandom rng = new SplittableRandom(3);
        int n = 5000;
        long[] iota = new long[n];
        for (int i = 0; i < n; i++) iota[i] = i;
        // i32 and ui32 (packed primitive sort; ui32 values above 2^31), i64 (merge sort with a primitive comparator)
        for (IntegerType kt : List.of(IntegerType.I32, IntegerType.unsigned(32), IntegerType.I64))
        for (String dir : List.of("LT", "GT")) {
            for (boolean swapped : List.of(false, true)) {
                long[] k = new long[n];
                for (int i = 0; i < n; i++) {
                    k[i] = kt.isUnsigned() ? rng.nextInt(50) * 85_000_000L : (rng.nextInt(50) - 25) * (kt.width() == 64 ? 1L << 40 : 40_000_000L);
                }
                TensorType i32 = t(kt);
                Tensor keys = Ir.ints(kt, shape(n), k.clone()), vals = Ir.ints(IntegerType.I32, shape(n), iota.clone());
                Ir ir = new Ir();
                Value kv = ir.arg(keys.type), vv = ir.arg(vals.type);
                var cmp = Ir.region(List.of(i32, i32, t(IntegerType.I32), t(IntegerType.I32)), r -> List.of(r.op("stablehlo.compare",
                        swapped ? List.of(r.blockArg(1), r.blockArg(0)) : List.of(r.blockArg(0), r.blockArg(1)), t(IntegerType.I1),
                        "comparison_direction", Ir.text("#stablehlo<comparison_direction " + dir + ">"))));
                var rs = ir.ops("stablehlo.sort", List.of(kv, vv), List.of(keys.type, vals.type), List.of(cmp),
                        "dimension", Ir.i64(0), "is_stable", BoolAttr.TRUE);
                long[] perm = ((Tensor) Ir.run(ir.func("main", rs.get(0), rs.get(1)), keys, vals).get(1)).ints;
                // LT(a, b), or GT(b, a): ascending; GT(a, b) or LT(b, a): descending. Ties keep input order.
                boolean ascending = dir.equals("LT") != swapped;
                List<Integer> want = new ArrayList<>();
                for (int i = 0; i < n; i++) want.add(i);
                Comparator<Integer> byKey = Comparator.comparingLong(i -> k[i]);
                want.sort(ascending ? byKey : byKey.reversed());
                for (int i = 0; i < n; i++) assertThat(perm[i]).as("%s %s swapped=%s position %d", kt, dir, swapped, i).isEqualTo((long) want.get(i));
            }
        }
    }

    @Test
    void rowGatherCopiesWholeRowsAndClampsIndices() {
        int rows = 300, cols = 257, n = 400; // 102,800 result elements: the parallel row path
        double[] table = new double[rows * cols];
        for (int i = 0; i < table.length; i++) table[i] = i * 0.5;
        long[] idx = new long[n];
        for (int i = 0; i < n; i++) idx[i] = (i * 37L % (rows + 20)) - 10; // some below 0, some past the end
        Tensor x = Ir.reals(FloatType.F32, shape(rows, cols), table), ix = Ir.ints(IntegerType.I32, shape(n, 1), idx);
        Ir ir = new Ir();
        Value a = ir.arg(x.type), b = ir.arg(ix.type);
        Value r = ir.op("stablehlo.gather", List.of(a, b), t(FloatType.F32, n, cols),
                "dimension_numbers", Ir.text("#stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>"),
                "slice_sizes", i64s(1, cols));
        double[] out = ((Tensor) Ir.run(ir.func("main", r), x, ix).get(0)).re;
        for (int i = 0; i < n; i++) {
            long row = Math.max(0, Math.min(idx[i], rows - 1));
            for (int j = 0; j < cols; j++) assertThat(out[i * cols + j]).as("row %d col %d", i, j).isEqualTo(table[(int) row * cols + j]);
        }
    }

    @Test
    void lastAxisF32SumAndMaxMatchFloatArithmetic() {
        SplittableRandom rng = new SplittableRandom(5);
        int rows = 1027, len = 67; // 68,809 elements, rows not a multiple of four
        double[] v = new double[rows * len];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() * 200 - 100) / 7f;
        Tensor x = Ir.reals(FloatType.F32, shape(rows, len), v);
        for (String op : List.of("stablehlo.add", "stablehlo.maximum")) {
            Ir ir = new Ir();
            Value a = ir.arg(x.type), z = ir.arg(t(FloatType.F32));
            Value r = ir.ops("stablehlo.reduce", List.of(a, z), List.of(t(FloatType.F32, rows)),
                    List.of(Ir.combiner(op, FloatType.F32)), "dimensions", i64s(1)).get(0);
            float init = op.equals("stablehlo.add") ? 0.25f : Float.NEGATIVE_INFINITY;
            double[] out = ((Tensor) Ir.run(ir.func("main", r), x, Tensor.scalarDouble(FloatType.F32, init)).get(0)).re;
            for (int o = 0; o < rows; o++) {
                float want = init;
                for (int i = 0; i < len; i++) want = op.equals("stablehlo.add") ? want + (float) v[o * len + i] : Math.max(want, (float) v[o * len + i]);
                assertThat(out[o]).as("%s row %d", op, o).isEqualTo((double) want);
            }
        }
    }

    @Test
    void middleAndLeadingF32SumsMatchFloatArithmetic() {
        SplittableRandom rng = new SplittableRandom(11);
        int a = 37, b = 45, c = 41; // 68,265 elements
        double[] v = new double[a * b * c];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() * 20 - 10) / 3f;
        Tensor x = Ir.reals(FloatType.F32, shape(a, b, c), v);
        for (int dim = 0; dim < 2; dim++) {
            Ir ir = new Ir();
            Value in = ir.arg(x.type), z = ir.arg(t(FloatType.F32));
            long[] rs = dim == 0 ? shape(b, c) : shape(a, c);
            Value r = ir.ops("stablehlo.reduce", List.of(in, z), List.of(t(FloatType.F32, rs)),
                    List.of(Ir.combiner("stablehlo.add", FloatType.F32)), "dimensions", i64s(dim)).get(0);
            double[] out = ((Tensor) Ir.run(ir.func("main", r), x, Tensor.scalarDouble(FloatType.F32, 0)).get(0)).re;
            int p = dim == 0 ? b : a;
            for (int o = 0; o < p; o++) {
                for (int k = 0; k < c; k++) {
                    float want = 0;
                    int len = dim == 0 ? a : b;
                    for (int q = 0; q < len; q++) want += (float) v[dim == 0 ? (q * b + o) * c + k : (o * b + q) * c + k];
                    assertThat(out[o * c + k]).as("dim %d output (%d, %d)", dim, o, k).isEqualTo((double) want);
                }
            }
        }
    }

    @Test
    void largeF32ElementwiseOpsRoundEachResultToFloat() {
        SplittableRandom rng = new SplittableRandom(9);
        int n = 70_001;
        double[] p = new double[n], q = new double[n];
        for (int i = 0; i < n; i++) { p[i] = (float) (rng.nextDouble() * 8 - 4); q[i] = (float) (rng.nextDouble() * 8 + 0.5); }
        Tensor x = Ir.reals(FloatType.F32, shape(n), p), y = Ir.reals(FloatType.F32, shape(n), q);
        for (String op : List.of("stablehlo.add", "stablehlo.subtract", "stablehlo.multiply", "stablehlo.divide",
                "stablehlo.maximum", "stablehlo.minimum", "stablehlo.exponential", "stablehlo.logistic")) {
            boolean unary = op.equals("stablehlo.exponential") || op.equals("stablehlo.logistic");
            Ir ir = new Ir();
            Value a = ir.arg(x.type), b = ir.arg(y.type);
            Value r = ir.op(op, unary ? List.of(a) : List.of(a, b), x.type);
            double[] out = ((Tensor) Ir.run(ir.func("main", r), x, y).get(0)).re;
            for (int i = 0; i < n; i++) {
                float u = (float) p[i], w = (float) q[i];
                float want = switch (op) { // float arithmetic is correctly rounded; exp is the rounded double exp
                    case "stablehlo.add" -> u + w;
                    case "stablehlo.subtract" -> u - w;
                    case "stablehlo.multiply" -> u * w;
                    case "stablehlo.divide" -> u / w;
                    case "stablehlo.maximum" -> Math.max(u, w);
                    case "stablehlo.minimum" -> Math.min(u, w);
                    case "stablehlo.logistic" -> (float) (1 / (1 + StrictMath.exp(-u)));
                    default -> (float) StrictMath.exp(u);
                };
                assertThat(out[i]).as("%s element %d", op, i).isEqualTo((double) want);
            }
        }
    }
}
