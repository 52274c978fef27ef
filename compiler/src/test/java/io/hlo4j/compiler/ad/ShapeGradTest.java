package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/** Data movement, select/clamp and convert: gradients against central finite differences. */
class ShapeGradTest {
    private final Random r = new Random(42);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    private static HostArray i64(long v) { return HostArray.fromLongs(TensorType.scalar(IntegerType.I64), v); }

    @Test
    void broadcastInDimWithExpandedUnitDim() {
        GradCheck.check("""
                func.func @f(%x: tensor<3x1xf64>) -> tensor<3x2x2xf64> {
                  %0 = "stablehlo.broadcast_in_dim"(%x) {broadcast_dimensions = array<i64: 0, 2>} : (tensor<3x1xf64>) -> tensor<3x2x2xf64>
                  return %0 : tensor<3x2x2xf64>
                }""", List.of(u(3, 1)), 11);
    }

    @Test
    void reshapeAndTranspose() {
        GradCheck.check("""
                func.func @f(%x: tensor<2x3x4xf64>) -> tensor<4x6xf64> {
                  %0 = "stablehlo.transpose"(%x) {permutation = array<i64: 2, 0, 1>} : (tensor<2x3x4xf64>) -> tensor<4x2x3xf64>
                  %1 = stablehlo.reshape %0 : (tensor<4x2x3xf64>) -> tensor<4x6xf64>
                  return %1 : tensor<4x6xf64>
                }""", List.of(u(2, 3, 4)), 12);
    }

    @Test
    void stridedSlice() {
        GradCheck.check("""
                func.func @f(%x: tensor<5x7xf64>) -> tensor<2x3xf64> {
                  %0 = "stablehlo.slice"(%x) {start_indices = array<i64: 1, 0>, limit_indices = array<i64: 5, 7>, strides = array<i64: 2, 3>} : (tensor<5x7xf64>) -> tensor<2x3xf64>
                  return %0 : tensor<2x3xf64>
                }""", List.of(u(5, 7)), 13);
    }

    @Test
    void padWithNegativeEdgeAndInterior() {
        GradCheck.check("""
                func.func @f(%x: tensor<5x4xf64>, %p: tensor<f64>) -> tensor<7x5xf64> {
                  %0 = stablehlo.pad %x, %p, low = [1, -1], high = [1, -1], interior = [0, 1] : (tensor<5x4xf64>, tensor<f64>) -> tensor<7x5xf64>
                  return %0 : tensor<7x5xf64>
                }""", List.of(u(5, 4), u()), 14);
    }

    @Test
    void concatenateAndReverse() {
        GradCheck.check("""
                func.func @f(%x: tensor<2x3xf64>, %y: tensor<2x2xf64>) -> tensor<2x5xf64> {
                  %0 = stablehlo.concatenate %x, %y, dim = 1 : (tensor<2x3xf64>, tensor<2x2xf64>) -> tensor<2x5xf64>
                  %1 = "stablehlo.reverse"(%0) {dimensions = array<i64: 1, 0>} : (tensor<2x5xf64>) -> tensor<2x5xf64>
                  return %1 : tensor<2x5xf64>
                }""", List.of(u(2, 3), u(2, 2)), 15);
    }

    @Test
    void dynamicSliceAndUpdateSlice() {
        GradCheck.check("""
                func.func @f(%x: tensor<4x4xf64>, %u: tensor<2x3xf64>, %i: tensor<i64>, %j: tensor<i64>) -> (tensor<2x2xf64>, tensor<4x4xf64>) {
                  %0 = "stablehlo.dynamic_slice"(%x, %i, %j) {slice_sizes = array<i64: 2, 2>} : (tensor<4x4xf64>, tensor<i64>, tensor<i64>) -> tensor<2x2xf64>
                  %1 = stablehlo.dynamic_update_slice %x, %u, %j, %i : (tensor<4x4xf64>, tensor<2x3xf64>, tensor<i64>, tensor<i64>) -> tensor<4x4xf64>
                  return %0, %1 : tensor<2x2xf64>, tensor<4x4xf64>
                }""", List.of(u(4, 4), u(2, 3), i64(1), i64(2)), 16);
    }

    @Test
    void selectAndClampWithScalarBounds() {
        GradCheck.check("""
                func.func @f(%x: tensor<6xf64>, %y: tensor<6xf64>, %lo: tensor<f64>, %hi: tensor<6xf64>) -> (tensor<6xf64>, tensor<6xf64>) {
                  %p = stablehlo.compare GT, %x, %y : (tensor<6xf64>, tensor<6xf64>) -> tensor<6xi1>
                  %0 = stablehlo.select %p, %x, %y : tensor<6xi1>, tensor<6xf64>
                  %1 = stablehlo.clamp %lo, %x, %hi : (tensor<f64>, tensor<6xf64>, tensor<6xf64>) -> tensor<6xf64>
                  return %0, %1 : tensor<6xf64>, tensor<6xf64>
                }""", List.of(HostArray.fromDoubles(f64(6), -0.9, -0.5, -0.1, 0.2, 0.6, 0.95), u(6),
                HostArray.fromDoubles(f64(), -0.3), HostArray.fromDoubles(f64(6), 0.5, 0.5, 0.5, 0.5, 0.5, 0.5)), 17);
    }

    @Test
    void legacyDotAndBroadcast() {
        GradCheck.check("""
                func.func @f(%a: tensor<3x4xf64>, %v: tensor<4xf64>, %s: tensor<3xf64>) -> (tensor<3xf64>, tensor<2x3xf64>) {
                  %0 = "stablehlo.dot"(%a, %v) : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3xf64>
                  %1 = "stablehlo.broadcast"(%s) {broadcast_sizes = array<i64: 2>} : (tensor<3xf64>) -> tensor<2x3xf64>
                  %2 = stablehlo.multiply %1, %1 : tensor<2x3xf64>
                  return %0, %2 : tensor<3xf64>, tensor<2x3xf64>
                }""", List.of(u(3, 4), u(4), u(3)), 18);
    }

    @Test
    void reducePrecisionToF64ItselfIsTheIdentity() {
        // 11 exponent / 52 mantissa bits is f64 itself: the gradient is exactly that of x*x.
        GradCheck.check("""
                func.func @f(%x: tensor<4xf64>) -> tensor<4xf64> {
                  %0 = stablehlo.reduce_precision %x, format = e11m52 : tensor<4xf64>
                  %1 = stablehlo.multiply %0, %x : tensor<4xf64>
                  return %1 : tensor<4xf64>
                }""", List.of(u(4)), 19);
    }

    @Test
    void convertRoundTripThroughF32AndInteger() {
        // f64 -> f32 -> f64 is exact in the gradient's linear part; the integer path carries no gradient.
        String f = """
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = stablehlo.convert %x : (tensor<3xf64>) -> tensor<3xf32>
                  %1 = stablehlo.convert %0 : (tensor<3xf32>) -> tensor<3xf64>
                  %2 = stablehlo.multiply %x, %1 : tensor<3xf64>
                  %i = stablehlo.convert %x : (tensor<3xf64>) -> tensor<3xi32>
                  %j = stablehlo.convert %i : (tensor<3xi32>) -> tensor<3xf64>
                  %3 = stablehlo.add %2, %j : tensor<3xf64>
                  return %3 : tensor<3xf64>
                }""";
        // Finite differences cannot see through the f32 rounding, so check the cotangent exactly instead:
        // d/dx (x * f64(f32(x))) . c = f32(x) c + f32(x c): the second cotangent itself travels through f32.
        var m = GradCheck.parse(f);
        var vm = GradCheck.vjpModule(m, new int[] {0});
        HostArray x = HostArray.fromDoubles(f64(3), 0.1, -1.7, 2.5), c = HostArray.fromDoubles(f64(3), 1, 2, -3);
        var out = new io.hlo4j.runtime.interp.Interpreter(vm).runHost("vjp", List.of(x, c));
        double[] g = out.get(1).toDoubleArray(), xs = x.toDoubleArray(), cs = c.toDoubleArray();
        for (int i = 0; i < 3; i++) {
            double expect = (double) (float) xs[i] * cs[i] + (double) (float) (xs[i] * cs[i]);
            org.assertj.core.api.Assertions.assertThat(g[i]).isCloseTo(expect, org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    @Test
    void tupleAndGetTupleElementWithAnIntegerMemberAndReuse() {
        // Element 0 is read twice (cotangents of the tuple accumulate), element 1 never (zeros), the integer rides along.
        GradCheck.check("""
                func.func @f(%x: tensor<3xf64>, %y: tensor<2xf64>, %n: tensor<i64>) -> (tensor<3xf64>, tensor<i64>) {
                  %t = stablehlo.tuple %x, %y, %n : tuple<tensor<3xf64>, tensor<2xf64>, tensor<i64>>
                  %a = stablehlo.get_tuple_element %t[0] : (tuple<tensor<3xf64>, tensor<2xf64>, tensor<i64>>) -> tensor<3xf64>
                  %b = stablehlo.get_tuple_element %t[0] : (tuple<tensor<3xf64>, tensor<2xf64>, tensor<i64>>) -> tensor<3xf64>
                  %c = stablehlo.get_tuple_element %t[2] : (tuple<tensor<3xf64>, tensor<2xf64>, tensor<i64>>) -> tensor<i64>
                  %s = stablehlo.sine %b : tensor<3xf64>
                  %m = stablehlo.multiply %a, %s : tensor<3xf64>
                  return %m, %c : tensor<3xf64>, tensor<i64>
                }""", List.of(u(3), u(2), i64(4)), 20);
    }
}
