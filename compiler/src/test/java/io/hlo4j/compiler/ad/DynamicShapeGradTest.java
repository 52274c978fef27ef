package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Dynamic-shape ops with static shapes and constant bounds: gradients against central finite differences. */
class DynamicShapeGradTest {
    private final Random r = new Random(5);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    @Test
    void dynamicReshapeAndBroadcastInDim() {
        GradCheck.check("""
                func.func @f(%x: tensor<2x3xf64>, %y: tensor<3x1xf64>) -> (tensor<3x2xf64>, tensor<3x2x4xf64>) {
                  %s = stablehlo.constant dense<[3, 2]> : tensor<2xi64>
                  %0 = "stablehlo.dynamic_reshape"(%x, %s) : (tensor<2x3xf64>, tensor<2xi64>) -> tensor<3x2xf64>
                  %t = stablehlo.constant dense<[3, 2, 4]> : tensor<3xi64>
                  %1 = "stablehlo.dynamic_broadcast_in_dim"(%y, %t) {broadcast_dimensions = array<i64: 0, 2>} : (tensor<3x1xf64>, tensor<3xi64>) -> tensor<3x2x4xf64>
                  %2 = stablehlo.multiply %0, %0 : tensor<3x2xf64>
                  return %2, %1 : tensor<3x2xf64>, tensor<3x2x4xf64>
                }""", List.of(u(2, 3), u(3, 1)), 51);
    }

    @Test
    void realDynamicSliceAndDynamicPad() {
        GradCheck.check("""
                func.func @f(%x: tensor<5x7xf64>, %y: tensor<3x4xf64>, %p: tensor<f64>) -> (tensor<2x3xf64>, tensor<5x6xf64>) {
                  %st = stablehlo.constant dense<[1, 0]> : tensor<2xi64>
                  %li = stablehlo.constant dense<[5, 7]> : tensor<2xi64>
                  %sd = stablehlo.constant dense<[2, 3]> : tensor<2xi64>
                  %0 = "stablehlo.real_dynamic_slice"(%x, %st, %li, %sd) : (tensor<5x7xf64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x3xf64>
                  %lo = stablehlo.constant dense<[1, -1]> : tensor<2xi64>
                  %hi = stablehlo.constant dense<[1, 1]> : tensor<2xi64>
                  %in = stablehlo.constant dense<[0, 1]> : tensor<2xi64>
                  %1 = "stablehlo.dynamic_pad"(%y, %p, %lo, %hi, %in) : (tensor<3x4xf64>, tensor<f64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<5x6xf64>
                  %2 = stablehlo.multiply %1, %1 : tensor<5x6xf64>
                  return %0, %2 : tensor<2x3xf64>, tensor<5x6xf64>
                }""", List.of(u(5, 7), u(3, 4), u()), 52);
    }

    @Test
    void runtimeBoundsAreRefusedByName() {
        var m = GradCheck.parse("""
                func.func @f(%x: tensor<4xf64>, %st: tensor<1xi64>) -> tensor<2xf64> {
                  %li = stablehlo.constant dense<[4]> : tensor<1xi64>
                  %sd = stablehlo.constant dense<[2]> : tensor<1xi64>
                  %0 = "stablehlo.real_dynamic_slice"(%x, %st, %li, %sd) : (tensor<4xf64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xf64>
                  return %0 : tensor<2xf64>
                }""");
        assertThatThrownBy(() -> Autodiff.vjp(m.functions().get(0), new int[] {0}, "g"))
                .hasMessageContaining("cannot differentiate 'stablehlo.real_dynamic_slice': start_indices (operand #1) must be a stablehlo.constant");
    }
}
