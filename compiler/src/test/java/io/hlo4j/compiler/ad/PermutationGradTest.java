package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/** sort, chlo.top_k and chlo.ragged_dot: gradients against central finite differences. */
class PermutationGradTest {
    private final Random r = new Random(99);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    @Test
    void sortDescendingAlongRows() {
        GradCheck.check("""
                func.func @f(%x: tensor<3x5xf64>) -> tensor<3x5xf64> {
                  %0 = "stablehlo.sort"(%x) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %c = stablehlo.compare GT, %a, %b : (tensor<f64>, tensor<f64>) -> tensor<i1>
                      stablehlo.return %c : tensor<i1>
                  }) {dimension = 1 : i64, is_stable = true} : (tensor<3x5xf64>) -> tensor<3x5xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<3x5xf64>
                  return %1 : tensor<3x5xf64>
                }""", List.of(u(3, 5)), 51);
    }

    @Test
    void sortByFloatKeyCarryingAnotherFloatAndIntegers() {
        GradCheck.check("""
                func.func @f(%k: tensor<6xf64>, %v: tensor<6xf64>, %i: tensor<6xi32>) -> (tensor<6xf64>, tensor<6xf64>, tensor<6xi32>) {
                  %0:3 = "stablehlo.sort"(%k, %v, %i) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>, %c: tensor<f64>, %d: tensor<f64>, %e: tensor<i32>, %f: tensor<i32>):
                      %lt = stablehlo.compare LT, %a, %b : (tensor<f64>, tensor<f64>) -> tensor<i1>
                      stablehlo.return %lt : tensor<i1>
                  }) {dimension = 0 : i64} : (tensor<6xf64>, tensor<6xf64>, tensor<6xi32>) -> (tensor<6xf64>, tensor<6xf64>, tensor<6xi32>)
                  %1 = stablehlo.multiply %0#0, %0#1 : tensor<6xf64>
                  return %1, %0#1, %0#2 : tensor<6xf64>, tensor<6xf64>, tensor<6xi32>
                }""", List.of(u(6), u(6), HostArray.fromLongs(TensorType.of(IntegerType.I32, 6), 5, 4, 3, 2, 1, 0)), 52);
    }

    @Test
    void topKScattersToTheChosenIndices() {
        GradCheck.check("""
                func.func @f(%x: tensor<2x3x6xf64>) -> tensor<2x3x2xf64> {
                  %v, %i = chlo.top_k(%x, k = 2) : tensor<2x3x6xf64> -> (tensor<2x3x2xf64>, tensor<2x3x2xi32>)
                  %s = stablehlo.sine %v : tensor<2x3x2xf64>
                  return %s : tensor<2x3x2xf64>
                }""", List.of(u(2, 3, 6)), 53);
    }

    @Test
    void raggedDotActivationAndWeightGradients() {
        // 7 rows in groups of 3, 0, 2 (the last 2 rows belong to no group and get zero output and gradient).
        GradCheck.check("""
                func.func @f(%x: tensor<7x4xf64>, %w: tensor<3x4x5xf64>, %gs: tensor<3xi32>) -> tensor<7x5xf64> {
                  %0 = "chlo.ragged_dot"(%x, %w, %gs) {ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>} : (tensor<7x4xf64>, tensor<3x4x5xf64>, tensor<3xi32>) -> tensor<7x5xf64>
                  %1 = stablehlo.tanh %0 : tensor<7x5xf64>
                  return %1 : tensor<7x5xf64>
                }""", List.of(u(7, 4), u(3, 4, 5), HostArray.fromLongs(TensorType.of(IntegerType.I32, 3), 3, 0, 2)), 54);
    }
}
