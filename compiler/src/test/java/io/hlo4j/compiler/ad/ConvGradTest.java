package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Convolution: lhs and rhs gradients against central finite differences. */
class ConvGradTest {
    private final Random r = new Random(7);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    @Test
    void nhwcWithStridePaddingAndRhsDilation() {
        // 2-D, uneven stride (the last input row is never read), asymmetric padding, dilated kernel.
        GradCheck.check("""
                func.func @f(%x: tensor<2x6x5x3xf64>, %k: tensor<2x2x3x4xf64>) -> tensor<2x3x2x4xf64> {
                  %0 = stablehlo.convolution(%x, %k) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [2, 2], pad = [[1, 0], [0, 1]], rhs_dilate = [1, 2]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<2x6x5x3xf64>, tensor<2x2x3x4xf64>) -> tensor<2x3x2x4xf64>
                  return %0 : tensor<2x3x2x4xf64>
                }""", List.of(u(2, 6, 5, 3), u(2, 2, 3, 4)), 31);
    }

    @Test
    void nchwOneDimensionalPermutedLayouts() {
        // Unusual layouts: output [f, 0, b], kernel [o, 0, i].
        GradCheck.check("""
                func.func @f(%x: tensor<3x2x7xf64>, %k: tensor<4x3x2xf64>) -> tensor<4x5x3xf64> {
                  %0 = stablehlo.convolution(%x, %k) dim_numbers = [b, f, 0]x[o, 0, i]->[f, 0, b], window = {stride = [1], pad = [[0, 0]]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<3x2x7xf64>, tensor<4x3x2xf64>) -> tensor<4x5x3xf64>
                  return %0 : tensor<4x5x3xf64>
                }""", List.of(u(3, 2, 7), u(4, 3, 2)), 32);
    }

    @Test
    void featureGroupsTwoGroupsStrided() {
        // 4 input features in 2 groups of 2, 4 output features (2 per group), stride 2 with padding.
        GradCheck.check("""
                func.func @f(%x: tensor<2x5x4xf64>, %k: tensor<2x2x4xf64>) -> tensor<2x3x4xf64> {
                  %0 = stablehlo.convolution(%x, %k) dim_numbers = [b, 0, f]x[0, i, o]->[b, 0, f], window = {stride = [2], pad = [[1, 0]]} {batch_group_count = 1 : i64, feature_group_count = 2 : i64} : (tensor<2x5x4xf64>, tensor<2x2x4xf64>) -> tensor<2x3x4xf64>
                  return %0 : tensor<2x3x4xf64>
                }""", List.of(u(2, 5, 4), u(2, 2, 4)), 33);
    }

    @Test
    void depthwiseWithChannelMultiplier() {
        // 2-D depthwise: 3 channels, 3 groups, 2 outputs per channel, kernel laid out [o, i, 0, 1].
        GradCheck.check("""
                func.func @f(%x: tensor<1x3x4x4xf64>, %k: tensor<6x1x2x2xf64>) -> tensor<1x6x3x3xf64> {
                  %0 = stablehlo.convolution(%x, %k) dim_numbers = [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1], window = {stride = [1, 1], pad = [[0, 0], [0, 0]]} {batch_group_count = 1 : i64, feature_group_count = 3 : i64} : (tensor<1x3x4x4xf64>, tensor<6x1x2x2xf64>) -> tensor<1x6x3x3xf64>
                  return %0 : tensor<1x6x3x3xf64>
                }""", List.of(u(1, 3, 4, 4), u(6, 1, 2, 2)), 34);
    }

    @Test
    void dynamicConvWithConstantPadding() {
        // Padding [1, -1]: one zero in front, the last input element cropped (the verifier sizes dynamic_conv's result
        // as if unpadded, so the test keeps the total padding at 0).
        GradCheck.check("""
                func.func @f(%x: tensor<2x6x3xf64>, %k: tensor<3x3x2xf64>) -> tensor<2x2x2xf64> {
                  %p = stablehlo.constant dense<[[1, -1]]> : tensor<1x2xi64>
                  %0 = "stablehlo.dynamic_conv"(%x, %k, %p) {dimension_numbers = #stablehlo.conv<[b, 0, f]x[0, i, o]->[b, 0, f]>, window_strides = array<i64: 3>, batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<2x6x3xf64>, tensor<3x3x2xf64>, tensor<1x2xi64>) -> tensor<2x2x2xf64>
                  return %0 : tensor<2x2x2xf64>
                }""", List.of(u(2, 6, 3), u(3, 3, 2)), 35);
    }

    @Test
    void lhsDilationATransposedConvolution() {
        // input 3 dilated by 2 to 5, padded [1, 2] to 8, kernel 3 dilated by 2 to 5, stride 2: 2 outputs (refused before)
        GradCheck.check("""
                func.func @f(%x: tensor<2x3x2xf64>, %k: tensor<3x2x3xf64>) -> tensor<2x2x3xf64> {
                  %0 = "stablehlo.convolution"(%x, %k) <{batch_group_count = 1 : i64, dimension_numbers = #stablehlo.conv<[b, 0, f]x[0, i, o]->[b, 0, f]>,
                      feature_group_count = 1 : i64, lhs_dilation = array<i64: 2>, padding = dense<[[1, 2]]> : tensor<1x2xi64>,
                      rhs_dilation = array<i64: 2>, window_strides = array<i64: 2>}> : (tensor<2x3x2xf64>, tensor<3x2x3xf64>) -> tensor<2x2x3xf64>
                  return %0 : tensor<2x2x3xf64>
                }""", List.of(u(2, 3, 2), u(3, 2, 3)), 36);
        // 2-D, dilations 3 and 1, negative padding, 2 feature groups, layouts permuted
        GradCheck.check("""
                func.func @f(%x: tensor<4x2x1x3xf64>, %k: tensor<2x2x1x2xf64>) -> tensor<4x1x2x2xf64> {
                  %0 = "stablehlo.convolution"(%x, %k) <{batch_group_count = 1 : i64, dimension_numbers = #stablehlo.conv<[f, 0, b, 1]x[0, o, 1, i]->[1, b, 0, f]>,
                      feature_group_count = 2 : i64, lhs_dilation = array<i64: 3, 1>, padding = dense<[[0, -1], [1, 0]]> : tensor<2x2xi64>,
                      rhs_dilation = array<i64: 1, 1>, window_strides = array<i64: 1, 1>}> : (tensor<4x2x1x3xf64>, tensor<2x2x1x2xf64>) -> tensor<4x1x2x2xf64>
                  return %0 : tensor<4x1x2x2xf64>
                }""", List.of(u(4, 2, 1, 3), u(2, 2, 1, 2)), 37);
    }

    @Test
    void batchGroupsAreRefusedByName() {
        var m = GradCheck.parse("""
                func.func @f(%x: tensor<2x4x2xf64>, %k: tensor<2x2x4xf64>) -> tensor<1x3x4xf64> {
                  %0 = stablehlo.convolution(%x, %k) dim_numbers = [b, 0, f]x[0, i, o]->[b, 0, f], window = {stride = [1]} {batch_group_count = 2 : i64, feature_group_count = 1 : i64} : (tensor<2x4x2xf64>, tensor<2x2x4xf64>) -> tensor<1x3x4xf64>
                  return %0 : tensor<1x3x4xf64>
                }""");
        assertThatThrownBy(() -> Autodiff.vjp(m.functions().get(0), new int[] {0, 1}, "g"))
                .hasMessageContaining("cannot differentiate 'stablehlo.convolution': batch_group_count 2 > 1 has no VJP rule yet");
    }
}
