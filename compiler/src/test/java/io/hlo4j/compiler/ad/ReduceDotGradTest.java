package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/** Reductions, dot_general, gather and scatter: gradients against central finite differences. */
class ReduceDotGradTest {
    private final Random r = new Random(4242);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    @Test
    void reduceSumWithInit() {
        GradCheck.check("""
                func.func @f(%x: tensor<3x4xf64>, %i: tensor<f64>) -> tensor<4xf64> {
                  %0 = stablehlo.reduce(%x init: %i) applies stablehlo.add across dimensions = [0] : (tensor<3x4xf64>, tensor<f64>) -> tensor<4xf64>
                  return %0 : tensor<4xf64>
                }""", List.of(u(3, 4), u()), 21);
    }

    @Test
    void reduceMaxAndMinOverTwoDims() {
        GradCheck.check("""
                func.func @f(%x: tensor<2x3x4xf64>) -> (tensor<3xf64>, tensor<2xf64>) {
                  %ninf = stablehlo.constant dense<0xFFF0000000000000> : tensor<f64>
                  %pinf = stablehlo.constant dense<0x7FF0000000000000> : tensor<f64>
                  %0 = stablehlo.reduce(%x init: %ninf) applies stablehlo.maximum across dimensions = [0, 2] : (tensor<2x3x4xf64>, tensor<f64>) -> tensor<3xf64>
                  %1 = stablehlo.reduce(%x init: %pinf) applies stablehlo.minimum across dimensions = [1, 2] : (tensor<2x3x4xf64>, tensor<f64>) -> tensor<2xf64>
                  return %0, %1 : tensor<3xf64>, tensor<2xf64>
                }""", List.of(u(2, 3, 4)), 22);
    }

    @Test
    void reduceWithGenericBodyForm() {
        GradCheck.check("""
                func.func @f(%x: tensor<3x4xf64>) -> tensor<3xf64> {
                  %z = stablehlo.constant dense<0.0> : tensor<f64>
                  %0 = "stablehlo.reduce"(%x, %z) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %s = stablehlo.add %b, %a : tensor<f64>
                      stablehlo.return %s : tensor<f64>
                  }) {dimensions = array<i64: 1>} : (tensor<3x4xf64>, tensor<f64>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }""", List.of(u(3, 4)), 23);
    }

    @Test
    void matmul() {
        GradCheck.check("""
                func.func @f(%a: tensor<3x4xf64>, %b: tensor<4x5xf64>) -> tensor<3x5xf64> {
                  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<3x4xf64>, tensor<4x5xf64>) -> tensor<3x5xf64>
                  return %0 : tensor<3x5xf64>
                }""", List.of(u(3, 4), u(4, 5)), 24);
    }

    @Test
    void batchedDotWithPermutedDims() {
        // lhs [k=3, b=2, m=4], rhs [n=5, b=2, k=3]: batch and contracting dims not leading, so both transposes are exercised.
        GradCheck.check("""
                func.func @f(%a: tensor<3x2x4xf64>, %b: tensor<5x2x3xf64>) -> tensor<2x4x5xf64> {
                  %0 = stablehlo.dot_general %a, %b, batching_dims = [1] x [1], contracting_dims = [0] x [2] : (tensor<3x2x4xf64>, tensor<5x2x3xf64>) -> tensor<2x4x5xf64>
                  return %0 : tensor<2x4x5xf64>
                }""", List.of(u(3, 2, 4), u(5, 2, 3)), 25);
    }

    @Test
    void dotWithTwoContractingDimsInSwappedOrder() {
        GradCheck.check("""
                func.func @f(%a: tensor<2x3x4xf64>, %b: tensor<4x5x3xf64>) -> tensor<2x5xf64> {
                  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1, 2] x [2, 0] : (tensor<2x3x4xf64>, tensor<4x5x3xf64>) -> tensor<2x5xf64>
                  return %0 : tensor<2x5xf64>
                }""", List.of(u(2, 3, 4), u(4, 5, 3)), 26);
    }

    @Test
    void gatherRowsWithRepeatsAccumulates() {
        // take(x, idx, axis=0) with a repeated index: the scatter-add must sum both reads.
        GradCheck.check("""
                func.func @f(%x: tensor<5x3xf64>, %i: tensor<4x1xi64>) -> tensor<4x3xf64> {
                  %0 = "stablehlo.gather"(%x, %i) {
                    dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>,
                    slice_sizes = array<i64: 1, 3>, indices_are_sorted = false
                  } : (tensor<5x3xf64>, tensor<4x1xi64>) -> tensor<4x3xf64>
                  return %0 : tensor<4x3xf64>
                }""", List.of(u(5, 3), HostArray.fromLongs(TensorType.of(IntegerType.I64, 4, 1), 3, 0, 3, 4)), 27);
    }

    @Test
    void gatherWindowsLikeTheSpecExample() {
        GradCheck.check("""
                func.func @f(%x: tensor<3x4x2xf64>, %i: tensor<2x3x2xi64>) -> tensor<2x3x2x2xf64> {
                  %0 = "stablehlo.gather"(%x, %i) {
                    dimension_numbers = #stablehlo.gather<offset_dims = [2, 3], collapsed_slice_dims = [0], start_index_map = [1, 0], index_vector_dim = 2>,
                    slice_sizes = array<i64: 1, 2, 2>, indices_are_sorted = false
                  } : (tensor<3x4x2xf64>, tensor<2x3x2xi64>) -> tensor<2x3x2x2xf64>
                  return %0 : tensor<2x3x2x2xf64>
                }""", List.of(u(3, 4, 2), HostArray.fromLongs(TensorType.of(IntegerType.I64, 2, 3, 2), 0, 0, 1, 0, 2, 1, 0, 1, 1, 1, 0, 2)), 28);
    }

    @Test
    void scatterAddUpdatesAndOperand() {
        GradCheck.check("""
                func.func @f(%x: tensor<5x3xf64>, %i: tensor<4x1xi64>, %u: tensor<4x3xf64>) -> tensor<5x3xf64> {
                  %0 = "stablehlo.scatter"(%x, %i, %u) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %s = stablehlo.add %a, %b : tensor<f64>
                      stablehlo.return %s : tensor<f64>
                  }) {
                    scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>,
                    indices_are_sorted = false, unique_indices = false
                  } : (tensor<5x3xf64>, tensor<4x1xi64>, tensor<4x3xf64>) -> tensor<5x3xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<5x3xf64>
                  return %1 : tensor<5x3xf64>
                }""", List.of(u(5, 3), HostArray.fromLongs(TensorType.of(IntegerType.I64, 4, 1), 1, 4, 1, 0), u(4, 3)), 29);
    }

    @Test
    void overwritingScatterWithUniqueIndices() {
        GradCheck.check("""
                func.func @f(%x: tensor<5x3xf64>, %i: tensor<2x1xi64>, %u: tensor<2x3xf64>) -> tensor<5x3xf64> {
                  %0 = "stablehlo.scatter"(%x, %i, %u) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      stablehlo.return %b : tensor<f64>
                  }) {
                    scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>,
                    indices_are_sorted = false, unique_indices = true
                  } : (tensor<5x3xf64>, tensor<2x1xi64>, tensor<2x3xf64>) -> tensor<5x3xf64>
                  return %0 : tensor<5x3xf64>
                }""", List.of(u(5, 3), HostArray.fromLongs(TensorType.of(IntegerType.I64, 2, 1), 3, 1), u(2, 3)), 30);
    }

    @Test
    void cumsumAsReduceWindow() {
        GradCheck.check("""
                func.func @f(%x: tensor<2x5xf64>) -> tensor<2x5xf64> {
                  %z = stablehlo.constant dense<0.0> : tensor<f64>
                  %0 = "stablehlo.reduce_window"(%x, %z) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %s = stablehlo.add %a, %b : tensor<f64>
                      stablehlo.return %s : tensor<f64>
                  }) {window_dimensions = array<i64: 1, 5>, padding = dense<[[0, 0], [4, 0]]> : tensor<2x2xi64>} : (tensor<2x5xf64>, tensor<f64>) -> tensor<2x5xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<2x5xf64>
                  return %1 : tensor<2x5xf64>
                }""", List.of(u(2, 5)), 61);
    }

    @Test
    void stridedDilatedPaddedWindowSum() {
        GradCheck.check("""
                func.func @f(%x: tensor<7x6xf64>) -> tensor<3x3xf64> {
                  %z = stablehlo.constant dense<0.0> : tensor<f64>
                  %0 = "stablehlo.reduce_window"(%x, %z) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %s = stablehlo.add %a, %b : tensor<f64>
                      stablehlo.return %s : tensor<f64>
                  }) {window_dimensions = array<i64: 3, 2>, window_strides = array<i64: 2, 2>, window_dilations = array<i64: 1, 2>,
                      padding = dense<[[0, 0], [1, 0]]> : tensor<2x2xi64>} : (tensor<7x6xf64>, tensor<f64>) -> tensor<3x3xf64>
                  %1 = stablehlo.sine %0 : tensor<3x3xf64>
                  return %1 : tensor<3x3xf64>
                }""", List.of(u(7, 6)), 62);
    }

    @Test
    void reduceProductOverTwoDimsIncludingAnExactZero() {
        double[] v = new double[24];
        for (int i = 0; i < v.length; i++) v[i] = 0.5 + r.nextDouble();
        v[5] = 0; // the product's gradient at a zero is the product of the others, not NaN
        GradCheck.check("""
                func.func @f(%x: tensor<2x3x4xf64>) -> tensor<3xf64> {
                  %one = stablehlo.constant dense<1.0> : tensor<f64>
                  %0 = stablehlo.reduce(%x init: %one) applies stablehlo.multiply across dimensions = [0, 2] : (tensor<2x3x4xf64>, tensor<f64>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""", List.of(HostArray.fromDoubles(f64(2, 3, 4), v)), 63);
    }

    @Test
    void mixedPrecisionDotAccumulatesWideAndReturnsNarrowCotangents() {
        // f32 operands, f64 result (preferred element type): cotangents come back as f32, equal to the f64 products
        // rounded once (an independent Java computation).
        Module m = GradCheck.parse("""
                func.func @f(%a: tensor<3x4xf32>, %b: tensor<4x2xf32>) -> tensor<3x2xf64> {
                  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf64>
                  return %0 : tensor<3x2xf64>
                }""");
        Module vm = GradCheck.vjpModule(m, "f", new int[] {0, 1});
        HostArray a = uniform(f64(3, 4), r, -1, 1).convert(io.hlo4j.mlir.types.FloatType.F32);
        HostArray bm = uniform(f64(4, 2), r, -1, 1).convert(io.hlo4j.mlir.types.FloatType.F32);
        HostArray c = uniform(f64(3, 2), r, -1, 1);
        List<HostArray> out = new io.hlo4j.runtime.interp.Interpreter(vm).runHost("vjp", List.of(a, bm, c));
        org.assertj.core.api.Assertions.assertThat(out.get(1).elementType()).isEqualTo(io.hlo4j.mlir.types.FloatType.F32);
        double[] av = a.toDoubleArray(), bv = bm.toDoubleArray(), cv = c.toDoubleArray();
        double[] ga = out.get(1).toDoubleArray(), gb = out.get(2).toDoubleArray();
        for (int i = 0; i < 3; i++) for (int k = 0; k < 4; k++) {
            double s = 0;
            for (int j = 0; j < 2; j++) s += cv[i * 2 + j] * bv[k * 2 + j];
            org.assertj.core.api.Assertions.assertThat(ga[i * 4 + k]).isEqualTo((double) (float) s);
        }
        for (int k = 0; k < 4; k++) for (int j = 0; j < 2; j++) {
            double s = 0;
            for (int i = 0; i < 3; i++) s += av[i * 4 + k] * cv[i * 2 + j];
            org.assertj.core.api.Assertions.assertThat(gb[k * 2 + j]).isEqualTo((double) (float) s);
        }
    }

    @Test
    void takeAlongAxisGatherWithBatchingDims() {
        // The DSL's takeAlongAxis: operand batching dim 0, gathering along dim 1, repeated indices within a row.
        GradCheck.check("""
                func.func @f(%x: tensor<3x5xf64>, %i: tensor<3x2xi64>) -> tensor<3x2xf64> {
                  %0 = "stablehlo.gather"(%x, %i) {
                    dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>,
                    slice_sizes = array<i64: 1, 1>, indices_are_sorted = false
                  } : (tensor<3x5xf64>, tensor<3x2xi64>) -> tensor<3x2xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<3x2xf64>
                  return %1 : tensor<3x2xf64>
                }""", List.of(u(3, 5), HostArray.fromLongs(TensorType.of(IntegerType.I64, 3, 2), 4, 4, 0, 2, 3, 1)), 64);
    }

    @Test
    void maxPoolingWithOverlappingStridedPaddedWindows() {
        GradCheck.check("""
                func.func @f(%x: tensor<5x6xf64>) -> tensor<2x3xf64> {
                  %ninf = stablehlo.constant dense<0xFFF0000000000000> : tensor<f64>
                  %0 = "stablehlo.reduce_window"(%x, %ninf) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %m = stablehlo.maximum %a, %b : tensor<f64>
                      stablehlo.return %m : tensor<f64>
                  }) {window_dimensions = array<i64: 3, 2>, window_strides = array<i64: 2, 2>,
                      padding = dense<[[1, 0], [0, 0]]> : tensor<2x2xi64>} : (tensor<5x6xf64>, tensor<f64>) -> tensor<2x3xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<2x3xf64>
                  return %1 : tensor<2x3xf64>
                }""", List.of(u(5, 6)), 65);
    }
}
