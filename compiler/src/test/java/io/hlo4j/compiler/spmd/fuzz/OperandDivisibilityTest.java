package io.hlo4j.compiler.spmd.fuzz;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.compiler.spmd.propagate.Propagation;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
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
 * Found by {@link SpmdDifferentialFuzzTest}: a factor can be larger than a dimension it maps. concatenate's dimension is
 * one factor of the result's size, so an axis that divides the result (2 = 1 + 1, 10 = 5 + 5) was propagated back onto
 * operands it does not divide (1, 5); reduce_window's window factor is the operand's dimension seen from the result, so
 * an axis on a result of 4 went back onto its operand of 5. Valid programs were refused ("argument #0 ... dimension 0 of
 * size 1 is not divisible", or a reshard of an intermediate). Propagation now stops before an axis that does not divide
 * the tensor's own dimension: the operand stays whole (replicated) and the program runs.
 */
class OperandDivisibilityTest {
    private static PartitionedProgram run(String text, List<HostArray> in, double... want) {
        Module global = MlirParser.parseModule(text, "divisibility.mlir");
        PartitionedProgram p = Spmd.explicit(global);
        SpmdRun run = SpmdRunner.run(p.module(), p.meshes(), in, p.argShardings(), p.resultShardings(), p.resultTypes());
        List<HostArray> oracle = new Interpreter(global).runHost("main", in);
        assertThat(oracle.getFirst().toDoubleArray()).as("the unpartitioned run, by hand").containsExactly(want);
        assertThat(run.results().getFirst().toDoubleArray()).as("the partitioned run").containsExactly(want);
        return p;
    }

    /** The sharding propagation gives the first result of the first {@code opName} op of @main. */
    private static TensorSharding propagated(String text, String opName) {
        Module m = Propagation.propagate(Spmd.inlineCalls(MlirParser.parseModule(text, "divisibility.mlir"))).module();
        for (Operation op : m.functions().getFirst().region(0).entry().operations()) {
            if (op.name().equals(opName)) return ((TensorShardingPerValue) op.attributes().get("sdy.sharding")).shardings().getFirst();
        }
        throw new AssertionError("no " + opName + " in " + text);
    }

    private static void replicated(TensorSharding s) {
        for (int d = 0; d < s.rank(); d++) assertThat(s.axesOfDim(d)).as("dimension %d of %s", d, s).isEmpty();
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
        PartitionedProgram p = run(text, List.of(HostArray.fromDoubles(TensorType.of(FloatType.F32, 1), 3)), 3, 3);
        replicated(p.argShardings().getFirst());
        assertThat(p.resultShardings().getFirst().axesOfDim(0)).as("the result is split").hasSize(1);
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
        PartitionedProgram p = run(text, List.of(HostArray.fromDoubles(TensorType.of(FloatType.F32, 5, 2), x)),
                -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        replicated(p.argShardings().getFirst());
        replicated(propagated(text, "stablehlo.negate"));
    }

    @Test
    void aWindowedReduceOperandOfFiveStaysWhole() {
        // window 2, stride 1: 5 -> 4 sums of neighbours; "a" divides the result (4) but not the operand (5)
        String text = """
                module @m {
                  sdy.mesh @mesh = <["a"=2]>
                  func.func @main(%arg0: tensor<5xf32> {sdy.sharding = #sdy.sharding<@mesh, [{?}]>}) -> tensor<4xf32> {
                    %z = stablehlo.constant dense<0.0> : tensor<f32>
                    %0 = "stablehlo.reduce_window"(%arg0, %z) <{window_dimensions = array<i64: 2>, window_strides = array<i64: 1>}> ({
                      ^bb0(%p: tensor<f32>, %q: tensor<f32>):
                        %r = "stablehlo.add"(%p, %q) : (tensor<f32>, tensor<f32>) -> tensor<f32>
                        "stablehlo.return"(%r) : (tensor<f32>) -> ()
                    }) : (tensor<5xf32>, tensor<f32>) -> tensor<4xf32>
                    %1 = sdy.sharding_constraint %0 <@mesh, [{"a"}]> : tensor<4xf32>
                    return %1 : tensor<4xf32>
                  }
                }
                """;
        PartitionedProgram p = run(text, List.of(HostArray.fromDoubles(TensorType.of(FloatType.F32, 5), 1, 2, 4, 8, 16)), 3, 6, 12, 24);
        replicated(p.argShardings().getFirst());
        assertThat(p.resultShardings().getFirst().axesOfDim(0)).as("the result is split").hasSize(1);
    }
}
