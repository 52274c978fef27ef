package io.hlo4j.compiler.spmd.fuzz;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Found by {@link SpmdDifferentialFuzzTest}: concatenate's dimension is one factor of the result's size, so an axis
 * that divides the result (2 = 1 + 1, 10 = 5 + 5) was propagated back onto operands it does not divide (1, 5), and a
 * valid program was refused ("argument #0 ... dimension 0 of size 1 is not divisible", or a reshard of an
 * intermediate). Propagation now stops before an axis that does not divide the tensor's own dimension.
 */
class ConcatOperandDivisibilityTest {
    private static SpmdRun run(String text, List<HostArray> in) {
        Module global = MlirParser.parseModule(text, "concat.mlir");
        PartitionedProgram p = Spmd.explicit(global);
        SpmdRun run = SpmdRunner.run(p.module(), p.meshes(), in, p.argShardings(), p.resultShardings(), p.resultTypes());
        List<HostArray> want = new Interpreter(global).runHost("main", in);
        for (int i = 0; i < want.size(); i++) assertThat(run.results().get(i).toDoubleArray()).isEqualTo(want.get(i).toDoubleArray());
        return run;
    }

    @Test
    void anOpenArgumentOfSizeOneStaysWhole() {
        String text = """
                module @m {
                  sdy.mesh @mesh = <["b"=2]>
                  func.func @main(%arg0: tensor<1xf32> {sdy.sharding = #sdy.sharding<@mesh, [{?}]>}) -> tensor<2xf32> {
                    %0 = stablehlo.concatenate %arg0, %arg0, dim = 0 : (tensor<1xf32>, tensor<1xf32>) -> tensor<2xf32>
                    %1 = sdy.sharding_constraint %0 <@mesh, [{"b"}]> : tensor<2xf32>
                    return %1 : tensor<2xf32>
                  }
                }
                """;
        SpmdRun run = run(text, List.of(HostArray.fromDoubles(TensorType.of(FloatType.F32, 1), 3)));
        assertThat(run.results().getFirst().toDoubleArray()).containsExactly(3, 3);
    }

    @Test
    void anIntermediateOfOddSizeStaysWhole() {
        String text = """
                module @m {
                  sdy.mesh @mesh = <["a"=4]>
                  func.func @main(%arg0: tensor<5x2xf32>) -> tensor<10x2xf32> {
                    %0 = stablehlo.negate %arg0 : tensor<5x2xf32>
                    %1 = stablehlo.concatenate %0, %arg0, dim = 0 : (tensor<5x2xf32>, tensor<5x2xf32>) -> tensor<10x2xf32>
                    %2 = sdy.sharding_constraint %1 <@mesh, [{"a":(1)2}, {}]> : tensor<10x2xf32>
                    return %2 : tensor<10x2xf32>
                  }
                }
                """;
        double[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        SpmdRun run = run(text, List.of(HostArray.fromDoubles(TensorType.of(FloatType.F32, 5, 2), x)));
        assertThat(run.results().getFirst().toDoubleArray())
                .containsExactly(-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    }
}
