package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.checkParallel;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Collectives under vmap on 4 simulated devices: each device's batched run equals, example by example, all devices
 * running the unbatched function together (the batch is an extra data dimension of the same collective).
 */
class CollectiveBatchRulesTest {
    private static final int NONE = Batched.NONE;
    private static final int DEVICES = 4;
    private static final String GROUPS = "replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>";
    private static final String ADD = BatchCheck.ADD_F64;
    private final Random r = new Random(3);

    private List<List<HostArray>> perDevice(long[]... shapes) { return BatchCheck.perDevice(r, DEVICES, shapes); }

    @Test
    void allReduceKeepsTheBatchDimWhereItIsAndAnUnbatchedOperandUnbatched() {
        String f = """
                func.func @f(%x: tensor<3x2xf64>, %y: tensor<2xf64>) -> (tensor<3x2xf64>, tensor<2xf64>) {
                  %r = "stablehlo.all_reduce"(%x) %ADD {%G} : (tensor<3x2xf64>) -> tensor<3x2xf64>
                  %q = "stablehlo.all_reduce"(%y) %ADD {%G} : (tensor<2xf64>) -> tensor<2xf64>
                  return %r, %q : tensor<3x2xf64>, tensor<2xf64>
                }""".replace("%ADD", ADD).replace("%G", GROUPS);
        String text = checkParallel(f, new int[]{1, NONE}, new int[]{1, NONE}, 5, DEVICES, perDevice(new long[]{3, 5, 2}, new long[]{2}));
        assertThat(text).contains("(tensor<3x5x2xf64>) -> tensor<3x5x2xf64>").contains("(tensor<2xf64>) -> tensor<2xf64>");
        checkParallel(f, new int[]{0, 0}, new int[]{2, 0}, 2, DEVICES, perDevice(new long[]{2, 3, 2}, new long[]{2, 2}));
    }

    @Test
    void allGatherReduceScatterAndAllToAllShiftTheirDimensions() {
        String f = """
                func.func @f(%x: tensor<2x4xf64>) -> (tensor<2x8xf64>, tensor<1x4xf64>, tensor<4x2xf64>) {
                  %g = "stablehlo.all_gather"(%x) {all_gather_dim = 1 : i64, %G} : (tensor<2x4xf64>) -> tensor<2x8xf64>
                  %s = "stablehlo.reduce_scatter"(%x) %ADD {scatter_dimension = 0 : i64, %G} : (tensor<2x4xf64>) -> tensor<1x4xf64>
                  %t = "stablehlo.all_to_all"(%x) {split_dimension = 1 : i64, concat_dimension = 0 : i64, split_count = 2 : i64, %G}
                      : (tensor<2x4xf64>) -> tensor<4x2xf64>
                  return %g, %s, %t : tensor<2x8xf64>, tensor<1x4xf64>, tensor<4x2xf64>
                }""".replace("%ADD", ADD).replace("%G", GROUPS);
        String text = checkParallel(f, new int[]{0}, new int[]{0, 1, 2}, 3, DEVICES, perDevice(new long[]{3, 2, 4}));
        assertThat(text).contains("all_gather_dim = 2").contains("scatter_dimension = 1").contains("split_dimension = 2")
                .contains("concat_dimension = 1");
        checkParallel(f, new int[]{2}, new int[]{2, 0, 1}, 3, DEVICES, perDevice(new long[]{2, 4, 3}));
    }

    @Test
    void collectivePermuteAndBroadcast() {
        String f = """
                func.func @f(%x: tensor<2xf64>) -> (tensor<2xf64>, tensor<2xf64>) {
                  %p = "stablehlo.collective_permute"(%x) {source_target_pairs = dense<[[0, 1], [1, 2], [2, 3], [3, 0]]> : tensor<4x2xi64>} : (tensor<2xf64>) -> tensor<2xf64>
                  %b = "stablehlo.collective_broadcast"(%x) {replica_groups = dense<[[1, 0], [3, 2]]> : tensor<2x2xi64>} : (tensor<2xf64>) -> tensor<2xf64>
                  return %p, %b : tensor<2xf64>, tensor<2xf64>
                }""";
        checkParallel(f, new int[]{1}, new int[]{0, 1}, 4, DEVICES, perDevice(new long[]{2, 4}));
    }

    @Test
    void aCollectiveInsideABatchedLoopAndAfterBatchedMath() {
        // a loop whose trip count differs per example cannot run a collective a different number of times per example;
        // with an unbatched trip count the collective in the body is batched like any other op
        String f = """
                func.func @f(%x: tensor<2xf64>, %n: tensor<i64>) -> tensor<2xf64> {
                  %zero = stablehlo.constant dense<0> : tensor<i64>
                  %one = stablehlo.constant dense<1> : tensor<i64>
                  %r:2 = stablehlo.while(%i = %zero, %v = %x) : tensor<i64>, tensor<2xf64>
                    cond {
                      %c = stablehlo.compare LT, %i, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
                      stablehlo.return %c : tensor<i1>
                    } do {
                      %e = stablehlo.exponential %v : tensor<2xf64>
                      %s = "stablehlo.all_reduce"(%e) %ADD {%G} : (tensor<2xf64>) -> tensor<2xf64>
                      %h = stablehlo.constant dense<0.125> : tensor<2xf64>
                      %w = stablehlo.multiply %s, %h : tensor<2xf64>
                      %j = stablehlo.add %i, %one : tensor<i64>
                      stablehlo.return %j, %w : tensor<i64>, tensor<2xf64>
                    }
                  return %r#1 : tensor<2xf64>
                }""".replace("%ADD", ADD).replace("%G", GROUPS);
        List<List<HostArray>> in = perDevice(new long[]{3, 2});
        for (List<HostArray> d : in) d.add(HostArray.fromLongs(TensorType.scalar(io.hlo4j.mlir.types.IntegerType.I64), 3));
        checkParallel(f, new int[]{0, NONE}, new int[]{0}, 3, DEVICES, in);
    }

    @Test
    void aBatchedDynamicRootIsRefused() {
        String f = """
                func.func @f(%x: tensor<2xf64>, %root: tensor<1xi32>) -> tensor<2xf64> {
                  %b = "stablehlo.collective_broadcast"(%x, %root) {replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>,
                      has_dynamic_root} : (tensor<2xf64>, tensor<1xi32>) -> tensor<2xf64>
                  return %b : tensor<2xf64>
                }""";
        List<List<HostArray>> in = perDevice(new long[]{2, 2});
        for (List<HostArray> d : in) d.add(HostArray.fromLongs(TensorType.of(io.hlo4j.mlir.types.IntegerType.I32, 2, 1), 0, 1));
        assertThatThrownBy(() -> checkParallel(f, new int[]{0, 0}, new int[]{0}, 2, DEVICES, in))
                .hasMessageContaining("cannot batch 'stablehlo.collective_broadcast'").hasMessageContaining("dynamic root (operand #1) is batched");
    }
}
