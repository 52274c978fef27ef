package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/**
 * The bugs {@code AutodiffDifferentialFuzzTest} found, each as the smallest program that showed it, checked against
 * finite differences ({@link GradCheck}): a broadcast_in_dim whose dimensions do not increase (it transposes); reduce
 * and reduce_window whose init value is finite and wins (max with init 0 is a relu: 0/0 = NaN before) or is a value
 * of the program (its cotangent was dropped; a window sum's init also fills the padding); a product reduction whose init is not 1 (the init factor was left out).
 */
class FuzzRegressionGradTest {
    private final Random r = new Random(2026);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    @Test
    void broadcastInDimWithPermutedDimensions() {
        GradCheck.check("""
                func.func @f(%x: tensor<4x3xf64>) -> tensor<3x4x2xf64> {
                  %0 = "stablehlo.broadcast_in_dim"(%x) <{broadcast_dimensions = array<i64: 1, 0>}> : (tensor<4x3xf64>) -> tensor<3x4x2xf64>
                  return %0 : tensor<3x4x2xf64>
                }""", List.of(u(4, 3)), 1);
        GradCheck.check("""
                func.func @f(%x: tensor<4x1xf64>) -> tensor<2x3x4xf64> {
                  %0 = "stablehlo.broadcast_in_dim"(%x) <{broadcast_dimensions = array<i64: 2, 0>}> : (tensor<4x1xf64>) -> tensor<2x3x4xf64>
                  return %0 : tensor<2x3x4xf64>
                }""", List.of(u(4, 1)), 2);
    }

    private static String reduce(String fn) {
        return """
                func.func @f(%x: tensor<2x2xf64>, %i: tensor<f64>) -> tensor<2xf64> {
                  %0 = "stablehlo.reduce"(%x, %i) <{dimensions = array<i64: 1>}> ({
                    ^bb0(%p: tensor<f64>, %q: tensor<f64>):
                      %r = "stablehlo.FN"(%p, %q) : (tensor<f64>, tensor<f64>) -> tensor<f64>
                      "stablehlo.return"(%r) : (tensor<f64>) -> ()
                  }) : (tensor<2x2xf64>, tensor<f64>) -> tensor<2xf64>
                  return %0 : tensor<2xf64>
                }""".replace("FN", fn);
    }

    @Test
    void reduceMaxAndMinWhoseInitWinsSomewhere() {
        // row 0: the init 0.1 wins the max; row 1: 0.3 does
        GradCheck.check(reduce("maximum"), List.of(HostArray.fromDoubles(f64(2, 2), -0.5, -0.2, 0.3, -0.1), HostArray.fromDoubles(f64(), 0.1)), 3);
        GradCheck.check(reduce("minimum"), List.of(HostArray.fromDoubles(f64(2, 2), 0.5, 0.2, -0.3, 0.1), HostArray.fromDoubles(f64(), -0.1)), 4);
    }

    @Test
    void reduceProductWithAnInitOtherThanOne() {
        GradCheck.check(reduce("multiply"), List.of(u(2, 2), HostArray.fromDoubles(f64(), 0.3)), 5);
        GradCheck.check(reduce("multiply"), List.of(u(2, 2), HostArray.fromDoubles(f64(), 0.0)), 6);
    }

    private static String window(String fn) {
        return """
                func.func @f(%x: tensor<4xf64>, %i: tensor<f64>) -> tensor<3xf64> {
                  %0 = "stablehlo.reduce_window"(%x, %i) <{window_dimensions = array<i64: 2>, window_strides = array<i64: 1>}> ({
                    ^bb0(%p: tensor<f64>, %q: tensor<f64>):
                      %r = "stablehlo.FN"(%p, %q) : (tensor<f64>, tensor<f64>) -> tensor<f64>
                      "stablehlo.return"(%r) : (tensor<f64>) -> ()
                  }) : (tensor<4xf64>, tensor<f64>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""".replace("FN", fn);
    }

    @Test
    void reduceWindowWhoseInitWinsOrIsAValue() {
        // windows [-0.5, -0.2] and [-0.2, -0.7]: the init 0 wins (a relu); [-0.7, 0.4]: 0.4 does
        GradCheck.check(window("maximum"), List.of(HostArray.fromDoubles(f64(4), -0.5, -0.2, -0.7, 0.4), HostArray.fromDoubles(f64(), 0.0)), 7);
        GradCheck.check(window("minimum"), List.of(HostArray.fromDoubles(f64(4), 0.5, 0.2, 0.7, -0.4), HostArray.fromDoubles(f64(), 0.1)), 8);
        GradCheck.check(window("add"), List.of(u(4), HostArray.fromDoubles(f64(), 0.25)), 9);
    }

    @Test
    void paddedWindowSumWhoseInitIsAValue() {
        // the init fills the padding: y_0 = i + i + x_0 (one padded position), y_1 = i + x_0 + x_1, ..., y_4 = i + x_3 + i
        GradCheck.check("""
                func.func @f(%x: tensor<4xf64>, %i: tensor<f64>) -> tensor<5xf64> {
                  %0 = "stablehlo.reduce_window"(%x, %i) <{window_dimensions = array<i64: 2>, window_strides = array<i64: 1>,
                      padding = dense<[[1, 1]]> : tensor<1x2xi64>}> ({
                    ^bb0(%p: tensor<f64>, %q: tensor<f64>):
                      %r = "stablehlo.add"(%p, %q) : (tensor<f64>, tensor<f64>) -> tensor<f64>
                      "stablehlo.return"(%r) : (tensor<f64>) -> ()
                  }) : (tensor<4xf64>, tensor<f64>) -> tensor<5xf64>
                  return %0 : tensor<5xf64>
                }""", List.of(u(4), HostArray.fromDoubles(f64(), 0.25)), 10);
    }
}
