package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.check;
import static io.hlo4j.compiler.batch.BatchCheck.gradOfVmap;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/** The MHLO-era ops (broadcast, dot, einsum, unary_einsum, torch_index_select) against per-example runs, stacked. */
class LegacyBatchRulesTest {
    private final Random r = new Random(7);
    private static final int N = Batched.NONE;

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    @Test
    void broadcastKeepsTheBatchBehindThePrependedDimensions() {
        String f = """
                func.func @f(%x: tensor<3xf64>) -> tensor<2x4x3xf64> {
                  %0 = "stablehlo.broadcast"(%x) {broadcast_sizes = array<i64: 2, 4>} : (tensor<3xf64>) -> tensor<2x4x3xf64>
                  return %0 : tensor<2x4x3xf64>
                }""";
        check(f, new int[]{0}, new int[]{0}, 2, List.of(u(2, 3)));
        check(f, new int[]{1}, new int[]{3}, 5, List.of(u(3, 5)));
    }

    @Test
    void dotAsTheDotGeneralItAbbreviates() {
        String mv = """
                func.func @f(%v: tensor<4xf64>, %m: tensor<4x3xf64>) -> tensor<3xf64> {
                  %0 = stablehlo.dot %v, %m : (tensor<4xf64>, tensor<4x3xf64>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""";
        check(mv, new int[]{0, 0}, new int[]{0}, 2, List.of(u(2, 4), u(2, 4, 3)));
        check(mv, new int[]{1, N}, new int[]{1}, 2, List.of(u(4, 2), u(4, 3)));
        check(mv, new int[]{N, 2}, new int[]{0}, 3, List.of(u(4), u(4, 3, 3)));
        String mm = """
                func.func @f(%a: tensor<2x4xf64>, %b: tensor<4x3xf64>) -> tensor<2x3xf64> {
                  %0 = stablehlo.dot %a, %b : (tensor<2x4xf64>, tensor<4x3xf64>) -> tensor<2x3xf64>
                  return %0 : tensor<2x3xf64>
                }""";
        check(mm, new int[]{2, 1}, new int[]{2}, 2, List.of(u(2, 4, 2), u(4, 2, 3)));
        check(mm, new int[]{N, 1}, new int[]{0}, 2, List.of(u(2, 4), u(4, 2, 3)));
        gradOfVmap(mm, new int[]{2, 1}, new int[]{0}, 2, List.of(u(2, 4, 2), u(4, 2, 3)), 0, r);
    }

    @Test
    void einsumGetsAFreshLabelForTheBatch() {
        String f = """
                func.func @f(%x: tensor<2x3xf64>, %y: tensor<3x4xf64>) -> (tensor<4x2xf64>, tensor<3xf64>) {
                  %0 = "stablehlo.einsum"(%x, %y) {einsum_config = "ab,bc->ca"} : (tensor<2x3xf64>, tensor<3x4xf64>) -> tensor<4x2xf64>
                  %1 = "stablehlo.unary_einsum"(%x) {einsum_config = "ab->b"} : (tensor<2x3xf64>) -> tensor<3xf64>
                  return %0, %1 : tensor<4x2xf64>, tensor<3xf64>
                }""";
        String text = check(f, new int[]{1, 0}, new int[]{0, 1}, 2, List.of(u(2, 2, 3), u(2, 3, 4)));
        assertThat(text).contains("\"azb,zbc->zca\"", "\"azb->zb\"");
        check(f, new int[]{N, 2}, new int[]{2, N}, 3, List.of(u(2, 3), u(3, 4, 3)));
        gradOfVmap(f, new int[]{1, 0}, new int[]{0, 1}, 2, List.of(u(2, 2, 3), u(2, 3, 4)), 1, r);
    }

    @Test
    void torchIndexSelectMakesTheBatchOneMoreSharedBatchDimension() {
        String f = """
                func.func @f(%x: tensor<2x5x3xf64>, %i: tensor<2x4xi64>) -> tensor<2x4x3xf64> {
                  %0 = "stablehlo.torch_index_select"(%x, %i) {dim = 1 : i64, batch_dims = 1 : i64} : (tensor<2x5x3xf64>, tensor<2x4xi64>) -> tensor<2x4x3xf64>
                  return %0 : tensor<2x4x3xf64>
                }""";
        HostArray idx = HostArray.fromLongs(TensorType.of(IntegerType.I64, 2, 2, 4), 0, 4, 2, 2, 1, 3, 0, 4, 3, 3, 1, 0, 4, 2, 2, 1);
        check(f, new int[]{0, 0}, new int[]{0}, 2, List.of(u(2, 2, 5, 3), idx));
        check(f, new int[]{3, N}, new int[]{1}, 2, List.of(u(2, 5, 3, 2), HostArray.fromLongs(TensorType.of(IntegerType.I64, 2, 4), 0, 4, 2, 2, 1, 3, 0, 4)));
        check(f, new int[]{N, 1}, new int[]{0}, 2, List.of(u(2, 5, 3), idx));
    }
}
