package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.check;
import static io.hlo4j.compiler.batch.BatchCheck.gradOfVmap;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * chlo's implicitly broadcasting ops under vmap against the function run per example and stacked: numpy alignment of
 * operands of different ranks, size-1 dimensions, broadcast_dimensions, batch dimensions anywhere, one side batched
 * only; broadcast_compare into broadcast_select; constant_like; and grad of vmap against central differences.
 */
class ChloBroadcastBatchRulesTest {
    private final Random r = new Random(11);
    private static final int N = Batched.NONE;

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    private static final String ADD = """
            func.func @f(%x: tensor<3x4xf64>, %y: tensor<4xf64>) -> tensor<3x4xf64> {
              %0 = chlo.broadcast_add %x, %y : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xf64>
              return %0 : tensor<3x4xf64>
            }""";

    @Test
    void numpyAlignedOperandsWithTheBatchAnywhere() {
        check(ADD, new int[]{0, 0}, new int[]{0}, 2, List.of(u(2, 3, 4), u(2, 4)));
        check(ADD, new int[]{2, 1}, new int[]{1}, 2, List.of(u(3, 4, 2), u(4, 2)));
        check(ADD, new int[]{N, 0}, new int[]{2}, 5, List.of(u(3, 4), u(5, 4)));
        String text = check(ADD, new int[]{1, N}, new int[]{0}, 2, List.of(u(3, 2, 4), u(4)));
        // the unbatched rhs is reshaped to [1, 1, 4], not spelled out to the batch
        assertThat(text).contains("(tensor<4xf64>) -> tensor<1x1x4xf64>", "(tensor<2x3x4xf64>, tensor<1x1x4xf64>) -> tensor<2x3x4xf64>");
        assertThat(text.split("broadcast_in_dim", -1)).hasSize(2);
    }

    @Test
    void sizeOneDimensionsAndBroadcastDimensions() {
        String ones = """
                func.func @f(%x: tensor<3x1xf64>, %y: tensor<1x4xf64>) -> tensor<3x4xf64> {
                  %0 = chlo.broadcast_mul %x, %y : (tensor<3x1xf64>, tensor<1x4xf64>) -> tensor<3x4xf64>
                  return %0 : tensor<3x4xf64>
                }""";
        check(ones, new int[]{0, 1}, new int[]{0}, 2, List.of(u(2, 3, 1), u(1, 2, 4)));
        check(ones, new int[]{N, 2}, new int[]{1}, 3, List.of(u(3, 1), u(1, 4, 3)));
        // y's one dimension goes to x's dimension 0 (not the numpy default, the last)
        String dims = """
                func.func @f(%x: tensor<3x4xf64>, %y: tensor<3xf64>) -> tensor<3x4xf64> {
                  %0 = chlo.broadcast_sub %x, %y {broadcast_dimensions = array<i64: 0>} : (tensor<3x4xf64>, tensor<3xf64>) -> tensor<3x4xf64>
                  return %0 : tensor<3x4xf64>
                }""";
        check(dims, new int[]{0, 0}, new int[]{0}, 2, List.of(u(2, 3, 4), u(2, 3)));
        check(dims, new int[]{N, 1}, new int[]{0}, 2, List.of(u(3, 4), u(3, 2)));
        check(dims, new int[]{2, N}, new int[]{2}, 2, List.of(u(3, 4, 2), u(3)));
    }

    @Test
    void compareThenSelectWithScalarsAndConstantLike() {
        String f = """
                func.func @f(%x: tensor<2x3xf64>, %y: tensor<3xf64>, %s: tensor<f64>) -> (tensor<2x3xf64>, tensor<2x3xf64>) {
                  %p = chlo.broadcast_compare %x, %y {comparison_direction = #chlo<comparison_direction LT>} : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xi1>
                  %0 = chlo.broadcast_select %p, %y, %s : (tensor<2x3xi1>, tensor<3xf64>, tensor<f64>) -> tensor<2x3xf64>
                  %c = "chlo.constant_like"(%x) {value = 2.5 : f64} : (tensor<2x3xf64>) -> tensor<2x3xf64>
                  %1 = chlo.broadcast_add %c, %s : (tensor<2x3xf64>, tensor<f64>) -> tensor<2x3xf64>
                  return %0, %1 : tensor<2x3xf64>, tensor<2x3xf64>
                }""";
        check(f, new int[]{0, 0, 0}, new int[]{0, 0}, 4, List.of(u(4, 2, 3), u(4, 3), u(4)));
        check(f, new int[]{1, N, 0}, new int[]{2, 1}, 3, List.of(u(2, 3, 3), u(3), u(3)));
        check(f, new int[]{N, 0, N}, new int[]{0, N}, 3, List.of(u(2, 3), u(3, 3), u()));
    }

    @Test
    void gradOfVmapMatchesCentralDifferences() {
        String f = """
                func.func @f(%x: tensor<3x4xf64>, %y: tensor<4xf64>) -> tensor<3x4xf64> {
                  %0 = chlo.broadcast_mul %x, %y : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xf64>
                  %1 = chlo.broadcast_add %0, %y : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xf64>
                  %2 = chlo.broadcast_mul %1, %1 : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
                  return %2 : tensor<3x4xf64>
                }""";
        gradOfVmap(f, new int[]{1, N}, new int[]{0}, 2, List.of(u(3, 2, 4), u(4)), 0, r);
        gradOfVmap(f, new int[]{1, N}, new int[]{0}, 2, List.of(u(3, 2, 4), u(4)), 1, r);
        gradOfVmap(f, new int[]{N, 0}, new int[]{2}, 2, List.of(u(3, 4), u(2, 4)), 1, r);
    }
}
