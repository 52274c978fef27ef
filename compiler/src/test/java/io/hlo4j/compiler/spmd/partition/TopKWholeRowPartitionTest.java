package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code chlo.top_k} with k equal to its last dimension (a whole sort of each row) whose results are wanted split
 * along that dimension: the row is still read whole, then the result sliced. Found by the SPMD differential fuzz (its
 * top_k family): the rule passed the split through when the sizes matched, and the partitioner refused the op
 * ("reads across it"). Values against the global program.
 */
class TopKWholeRowPartitionTest {
    @Test
    void topKOfEveryElementReadsTheRowWhole() {
        String text = """
                module @topk attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func @main(%a: tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {"x"}]>}) -> (tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"x"}]>}, tensor<4x8xi32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {"x"}]>}) {
                    %v, %i = chlo.top_k(%a, k = 8) : tensor<4x8xf32> -> (tensor<4x8xf32>, tensor<4x8xi32>)
                    return %v, %i : tensor<4x8xf32>, tensor<4x8xi32>
                  }
                }
                """;
        List<HostArray> in = List.of(SpmdHarness.random(TensorType.of(FloatType.F32, 4, 8), new Random(3)));
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "topk.mlir"));
        List<HostArray> want = SpmdHarness.runGlobal(MlirParser.parseModule(text, "topk.mlir"), in), got = SpmdHarness.runPartitioned(p, in);
        for (int r = 0; r < 2; r++) assertThat(got.get(r).toDoubleArray()).as("result #%d", r).containsExactly(want.get(r).toDoubleArray());
        // each device sorts its rows whole: a [2, 8] block (rows split on y), never a [*, 4] one
        assertThat(MlirPrinter.print(p.module())).contains("chlo.top_k(%0, k = 8) : tensor<2x8xf32> -> (tensor<2x8xf32>, tensor<2x8xi32>)");
    }
}
