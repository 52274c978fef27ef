package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Calls from @main, at top level and inside a shard_map body, are spliced in before partitioning. */
class CallPartitionTest {
    private static final String MODULE = """
            module @calls attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["dp"=2, "tp"=2]>
              func.func @main(%x: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}, %w: tensor<16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"tp"}]>}) -> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {"tp"}]>}) {
                %a = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"dp"}, {}]>] out_shardings=[<@mesh, [{"dp"}, {}]>] manual_axes={"dp", "tp"} (%l: tensor<4x16xf32>) {
                  %s = func.call @act(%l) : (tensor<4x16xf32>) -> tensor<4x16xf32>
                  sdy.return %s : tensor<4x16xf32>
                } : (tensor<8x16xf32>) -> tensor<8x16xf32>
                %y = func.call @proj(%a, %w) : (tensor<8x16xf32>, tensor<16x8xf32>) -> tensor<8x8xf32>
                return %y : tensor<8x8xf32>
              }
              func.func private @act(%v: tensor<4x16xf32>) -> tensor<4x16xf32> {
                %t = stablehlo.tanh %v : tensor<4x16xf32>
                %m = stablehlo.multiply %t, %v : tensor<4x16xf32>
                return %m : tensor<4x16xf32>
              }
              func.func private @proj(%a: tensor<8x16xf32>, %w: tensor<16x8xf32>) -> tensor<8x8xf32> {
                %y = stablehlo.dot_general %a, %w, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x8xf32>) -> tensor<8x8xf32>
                return %y : tensor<8x8xf32>
              }
            }
            """;

    @Test
    void callsAtTopLevelAndInAShardMapBodyArePartitionedLikeTheirBodies() {
        Random rnd = new Random(13);
        List<HostArray> in = List.of(SpmdHarness.random(TensorType.of(FloatType.F32, 8, 16), rnd),
                SpmdHarness.random(TensorType.of(FloatType.F32, 16, 8), rnd));
        PartitionedProgram prog = Spmd.explicit(MlirParser.parseModule(MODULE, "calls.mlir"));
        String text = MlirPrinter.print(prog.module());
        assertThat(text).doesNotContain("func.call").doesNotContain("@act").doesNotContain("@proj");
        // oracle: y = (tanh(x) * x) w, computed here in double (the interpreter does not run a global manual_computation)
        double[] x = in.get(0).toDoubleArray(), w = in.get(1).toDoubleArray(), got = SpmdHarness.runPartitioned(prog, in).get(0).toDoubleArray();
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                double want = 0;
                for (int k = 0; k < 16; k++) want += Math.tanh(x[i * 16 + k]) * x[i * 16 + k] * w[k * 8 + j];
                assertThat(got[i * 8 + j]).as("y[%d][%d]", i, j).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(want))));
            }
        }
        // rows split on dp, w's columns on tp: the matmul is local, nothing moves
        assertThat(text).doesNotContain("all_gather").doesNotContain("all_reduce").doesNotContain("all_to_all");
    }

    @Test
    void aMissingCalleeIsRefusedByName() {
        String bad = MODULE.replace("func.call @proj(", "func.call @nowhere(");
        assertThatThrownBy(() -> Spmd.explicit(MlirParser.parseModule(bad, "calls.mlir")))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("@nowhere");
    }
}
