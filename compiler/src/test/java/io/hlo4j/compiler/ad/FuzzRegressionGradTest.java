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
 * Then cases the generator never draws: window min, window max/min with an init of the program, padding on two dims,
 * negative padding, strides above 1 on several dims, broadcast_in_dim permuting a rank-3 operand. Ties with a finite
 * init, where finite differences do not apply, are in {@link MaxMinTieGradTest}.
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

    /** x: f64[IN] and an init of the program, reduce_window'd with {@code fn} to f64[OUT]. */
    private static String window(String fn, String in, String out, String attrs) {
        return """
                func.func @f(%x: tensor<INxf64>, %i: tensor<f64>) -> tensor<OUTxf64> {
                  %0 = "stablehlo.reduce_window"(%x, %i) <{ATTRS}> ({
                    ^bb0(%p: tensor<f64>, %q: tensor<f64>):
                      %r = "stablehlo.FN"(%p, %q) : (tensor<f64>, tensor<f64>) -> tensor<f64>
                      "stablehlo.return"(%r) : (tensor<f64>) -> ()
                  }) : (tensor<INxf64>, tensor<f64>) -> tensor<OUTxf64>
                  return %0 : tensor<OUTxf64>
                }""".replace("FN", fn).replace("IN", in).replace("OUT", out).replace("ATTRS", attrs);
    }

    private static HostArray s(double v) { return HostArray.fromDoubles(f64(), v); }

    @Test
    void windowMinAndMaxWithAnInitOfTheProgramPaddedOnTwoDims() {
        // 3x4 padded [[1, 0], [1, 1]] to 4x6, 2x2 windows at strides [1, 2]: 3x3; the init 0.1 wins where every element is above it
        GradCheck.check(window("minimum", "3x4", "3x3", "window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 1, 2>,"
                        + " padding = dense<[[1, 0], [1, 1]]> : tensor<2x2xi64>"),
                List.of(HostArray.fromDoubles(f64(3, 4), 0.5, 0.2, 0.7, -0.4, 0.15, 0.9, -0.8, 0.33, 0.61, -0.25, 0.44, 0.05), s(0.1)), 11);
        // 5 padded [2, 2] to 9, window 3 at stride 2: 4 windows; the init 0.2 wins three of them (the first and last read two padded positions)
        GradCheck.check(window("maximum", "5", "4", "window_dimensions = array<i64: 3>, window_strides = array<i64: 2>,"
                        + " padding = dense<[[2, 2]]> : tensor<1x2xi64>"),
                List.of(HostArray.fromDoubles(f64(5), -0.5, 0.7, -0.3, 0.1, -0.9), s(0.2)), 12);
    }

    @Test
    void windowsWithStridesAboveOneOnSeveralDims() {
        // sum: 5x4 padded [[1, 1], [2, 2]] to 7x8, window 2x2 dilated [2, 1] (span 3x2), strides [2, 3]: 3x3
        GradCheck.check(window("add", "5x4", "3x3", "window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 2, 3>,"
                + " window_dilations = array<i64: 2, 1>, padding = dense<[[1, 1], [2, 2]]> : tensor<2x2xi64>"), List.of(u(5, 4), s(0.3)), 13);
        // max: 5x6, 3x2 windows at strides [2, 2]: 2x3; the init -2 is below every element
        GradCheck.check(window("maximum", "5x6", "2x3", "window_dimensions = array<i64: 3, 2>, window_strides = array<i64: 2, 2>"),
                List.of(u(5, 6), s(-2)), 14);
    }

    @Test
    void windowsWithNegativePadding() {
        // 6 cut by one low and padded 2 high: 7, window 3 at stride 2: 3; x_0 is read by no window
        GradCheck.check(window("add", "6", "3", "window_dimensions = array<i64: 3>, window_strides = array<i64: 2>,"
                + " padding = dense<[[-1, 2]]> : tensor<1x2xi64>"), List.of(u(6), s(0.3)), 15);
        GradCheck.check(window("add", "6", "4", "window_dimensions = array<i64: 2>, window_strides = array<i64: 1>,"
                + " padding = dense<[[-1, 0]]> : tensor<1x2xi64>"), List.of(u(6), s(0.3)), 16);
        // max with init 0, x_0 cut: windows [0.7, -0.3], [0.1, -0.9], [0.05, padding] each pick an element
        GradCheck.check(window("maximum", "6", "3", "window_dimensions = array<i64: 2>, window_strides = array<i64: 2>,"
                        + " padding = dense<[[-1, 1]]> : tensor<1x2xi64>"),
                List.of(HostArray.fromDoubles(f64(6), -0.5, 0.7, -0.3, 0.1, -0.9, 0.05), s(0.0)), 17);
        // min with init 0, x_0 cut: [-0.3, 0.1] and [-0.9, 0.05] pick an element, [0.4, padding] the init
        GradCheck.check(window("minimum", "6", "3", "window_dimensions = array<i64: 2>, window_strides = array<i64: 2>,"
                        + " padding = dense<[[-1, 1]]> : tensor<1x2xi64>"),
                List.of(HostArray.fromDoubles(f64(6), 0.5, -0.3, 0.1, -0.9, 0.05, 0.4), s(0.0)), 18);
    }

    private static String broadcast(String in, String out, String dims) {
        return """
                func.func @f(%x: tensor<INxf64>) -> tensor<OUTxf64> {
                  %0 = "stablehlo.broadcast_in_dim"(%x) <{broadcast_dimensions = array<i64: DIMS>}> : (tensor<INxf64>) -> tensor<OUTxf64>
                  return %0 : tensor<OUTxf64>
                }""".replace("IN", in).replace("OUT", out).replace("DIMS", dims);
    }

    @Test
    void broadcastInDimPermutingARank3Operand() {
        GradCheck.check(broadcast("2x3x4", "3x4x5x2", "3, 0, 1"), List.of(u(2, 3, 4)), 19);
        GradCheck.check(broadcast("2x3x4", "4x2x3", "1, 2, 0"), List.of(u(2, 3, 4)), 20);
        // size-1 operand dims: one expanded (to 3), one kept
        GradCheck.check(broadcast("2x1x4", "4x5x3x2", "3, 2, 0"), List.of(u(2, 1, 4)), 21);
        GradCheck.check(broadcast("2x1x4", "4x1x2x3", "2, 1, 0"), List.of(u(2, 1, 4)), 22);
    }
}
