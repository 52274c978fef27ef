package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/** chlo.square and the implicitly broadcasting chlo arithmetic: gradients against central finite differences. */
class ChloBroadcastGradTest {
    private final Random r = new Random(8);

    private HostArray u(double lo, double hi, long... shape) { return uniform(f64(shape), r, lo, hi); }

    @Test
    void rightAlignedAndUnitDimBroadcasts() {
        // x: 2x3, y: 3 (right-aligned), z: 2x1 (size-1 expansion), s: scalar.
        GradCheck.check("""
                func.func @f(%x: tensor<2x3xf64>, %y: tensor<3xf64>, %z: tensor<2x1xf64>, %s: tensor<f64>) -> (tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>) {
                  %0 = chlo.broadcast_add %x, %y : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
                  %1 = chlo.broadcast_mul %0, %z : (tensor<2x3xf64>, tensor<2x1xf64>) -> tensor<2x3xf64>
                  %2 = chlo.broadcast_sub %s, %1 : (tensor<f64>, tensor<2x3xf64>) -> tensor<2x3xf64>
                  %3 = chlo.broadcast_div %2, %y : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
                  %4 = chlo.square %3 : tensor<2x3xf64> -> tensor<2x3xf64>
                  %5 = chlo.broadcast_pow %x, %z : (tensor<2x3xf64>, tensor<2x1xf64>) -> tensor<2x3xf64>
                  %6 = chlo.broadcast_atan2 %y, %x : (tensor<3xf64>, tensor<2x3xf64>) -> tensor<2x3xf64>
                  %7 = chlo.broadcast_rem %x, %y : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
                  %z2 = chlo.broadcast_complex %x, %y : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xcomplex<f64>>
                  %zz = stablehlo.multiply %z2, %z2 : tensor<2x3xcomplex<f64>>
                  %zi = stablehlo.imag %zz : (tensor<2x3xcomplex<f64>>) -> tensor<2x3xf64>
                  %67 = stablehlo.add %6, %7 : tensor<2x3xf64>
                  %8 = stablehlo.add %67, %zi : tensor<2x3xf64>
                  return %4, %5, %8 : tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>
                }""", java.util.function.UnaryOperator.identity(), List.of(u(0.5, 1.5, 2, 3), u(0.5, 1.5, 3), u(-1, 1, 2, 1), u(-1, 1)), 71);
    }

    @Test
    void explicitBroadcastDimensionsMaxMinSelect() {
        // y (2) maps to result dim 0 through broadcast_dimensions, not right-aligned.
        GradCheck.check("""
                func.func @f(%x: tensor<2x3xf64>, %y: tensor<2xf64>, %w: tensor<3xf64>) -> (tensor<2x3xf64>, tensor<2x3xf64>) {
                  %0 = chlo.broadcast_max %x, %y {broadcast_dimensions = array<i64: 0>} : (tensor<2x3xf64>, tensor<2xf64>) -> tensor<2x3xf64>
                  %1 = chlo.broadcast_min %0, %w : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
                  %wb = stablehlo.broadcast_in_dim %w, dims = [1] : (tensor<3xf64>) -> tensor<2x3xf64>
                  %p = stablehlo.compare GT, %x, %wb : (tensor<2x3xf64>, tensor<2x3xf64>) -> tensor<2x3xi1>
                  %2 = chlo.broadcast_select %p, %1, %w : (tensor<2x3xi1>, tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
                  %3 = chlo.broadcast_mul %2, %2 : (tensor<2x3xf64>, tensor<2x3xf64>) -> tensor<2x3xf64>
                  return %1, %3 : tensor<2x3xf64>, tensor<2x3xf64>
                }""", java.util.function.UnaryOperator.identity(), List.of(u(-1, 1, 2, 3), u(-1, 1, 2), u(-1, 1, 3)), 72);
    }
}
