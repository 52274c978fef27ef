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
 * {@code replicated={"a"}} names an axis explicitly replicated: an open dimension of the same sharding never takes it.
 * Propagation gave the open dimension 0 of the result below the "a" its operand is split on, and the partitioner then
 * refused the result's own sharding ("uses axis "a" more than once"). Found by the SPMD differential fuzz once its
 * shardings name unused axes replicated. Values by hand: -x, assembled whole.
 */
class ReplicatedAxesResultTest {
    @Test
    void anOpenDimensionDoesNotTakeAnAxisNamedReplicated() {
        String text = """
                module @r attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["a"=4]>
                  func.func @main(%x: tensor<8x1xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"a"}, {}]>}) -> (tensor<8x1xf32> {sdy.sharding = #sdy.sharding<@mesh, [{?}, {}], replicated={"a"}>}) {
                    %n = stablehlo.negate %x : tensor<8x1xf32>
                    return %n : tensor<8x1xf32>
                  }
                }
                """;
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "r.mlir"));
        assertThat(p.resultShardings().get(0).axesOfDim(0)).isEmpty();
        HostArray x = SpmdHarness.make(TensorType.of(FloatType.F32, 8, 1), new double[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertThat(SpmdHarness.runPartitioned(p, List.of(x)).get(0).toDoubleArray()).containsExactly(-1, -2, -3, -4, -5, -6, -7, -8);
    }
}
