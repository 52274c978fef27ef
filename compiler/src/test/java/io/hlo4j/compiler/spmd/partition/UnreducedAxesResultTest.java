package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code unreduced={"a"}} holds partial sums over "a": an open dimension of the same sharding never takes "a" (as with
 * {@code replicated={"a"}}, see {@link ReplicatedAxesResultTest}). Propagation gave the open dimension 0 of the dot below
 * the "a" its user %w is split on, and the partitioner then refused the dot's own sharding ("uses axis "a" more than
 * once"). Small integers in f32, so the sums are exact and the partitioned run matches the unpartitioned one bit for bit.
 */
class UnreducedAxesResultTest {
    @Test
    void anOpenDimensionDoesNotTakeAnAxisHeldUnreduced() {
        String text = """
                module @u attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["a"=2]>
                  func.func @main(%x: tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{?}, {"a"}]>}, %y: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"a"}, {}]>}, %w: tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"a"}, {}]>}) -> tensor<4x4xf32> {
                    %d = stablehlo.dot_general %x, %y, contracting_dims = [1] x [0] {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{?}, {?}], unreduced={"a"}>]>} : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
                    %z = stablehlo.add %d, %w : tensor<4x4xf32>
                    return %z : tensor<4x4xf32>
                  }
                }
                """;
        var global = MlirParser.parseModule(text, "u.mlir");
        PartitionedProgram p = Spmd.explicit(global);
        List<HostArray> in = List.of(ints(4, 8, 1), ints(8, 4, 2), ints(4, 4, 3));
        HostArray want = SpmdHarness.runGlobal(global, in).get(0);
        HostArray got = SpmdHarness.runPartitioned(p, in).get(0);
        assertThat(got.toDoubleArray()).containsExactly(want.toDoubleArray());
    }

    private static HostArray ints(int rows, int cols, int seed) {
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = ((i * 7 + seed * 3) % 9) - 4;
        return SpmdHarness.make(TensorType.of(FloatType.F32, rows, cols), v);
    }
}
