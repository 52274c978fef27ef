package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two sub-axes of one mesh axis on two dimensions of one tensor (x=4 as "x":(1)2, its major half, and "x":(2)2, its
 * minor half; device id = x): each op is computed on blocks split on both, as on two whole axes. Run on the simulated
 * devices against the global program on one device, bytes against a hand count.
 */
class SubAxesPartitionTest {
    private static final String MESH = "module @sub attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {\n"
            + "  sdy.mesh @mesh = <[\"x\"=4]>\n";

    private static SpmdRun run(String text, List<HostArray> in) {
        Module global = MlirParser.parseModule(text, "sub.mlir");
        PartitionedProgram p = Spmd.partition(global);
        String printed = MlirPrinter.print(p.module());
        io.hlo4j.mlir.verify.ModuleVerifier.verify(MlirParser.parseModule(printed, "explicit.mlir"));
        SpmdRun run = SpmdRunner.run(p.module(), p.mesh(), in, p.argShardings(), p.resultShardings(), p.resultTypes());
        List<HostArray> want = SpmdHarness.runGlobal(global, in);
        for (int i = 0; i < want.size(); i++) {
            assertThat(run.results().get(i).allClose(want.get(i), 1e-5, 1e-6)).as("result #%d\n%s", i, printed).isTrue();
        }
        assertThat(p.report().entries()).as("computed on both sub-axes, nothing less sharded").isEmpty();
        return run;
    }

    @Test
    void elementwiseOnBlocksSplitOnBothHalves() {
        String text = MESH + """
                  func.func @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(1)2}, {"x":(2)2}]>}, %arg1: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(1)2}, {"x":(2)2}]>}) -> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(1)2}, {"x":(2)2}]>}) {
                    %0 = stablehlo.multiply %arg0, %arg1 {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x":(1)2}, {"x":(2)2}]>]>} : tensor<8x8xf32>
                    %1 = stablehlo.add %0, %arg0 {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x":(1)2}, {"x":(2)2}]>]>} : tensor<8x8xf32>
                    return %1 : tensor<8x8xf32>
                  }
                }
                """;
        SpmdRun run = run(text, inputs(2));
        // every device computes its f32[4,4] block where it is: nothing moves
        assertThat(run.log()).isEmpty();
    }

    @Test
    void transposeSwapsTheHalvesWithoutMoving() {
        String text = MESH + """
                  func.func @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(1)2}, {"x":(2)2}]>}) -> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(2)2}, {"x":(1)2}]>}) {
                    %0 = stablehlo.transpose %arg0, dims = [1, 0] {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x":(2)2}, {"x":(1)2}]>]>} : (tensor<8x8xf32>) -> tensor<8x8xf32>
                    return %0 : tensor<8x8xf32>
                  }
                }
                """;
        assertThat(run(text, inputs(1)).log()).isEmpty();
    }

    /**
     * A matmul with rows split on the major half and the contracting dimension on the minor half: local f32[4,4] x
     * f32[4,8] products, summed over the minor half by one all_reduce (groups {0, 1}, {2, 3}) of f32[4,8] (128 B):
     * 2 * 1/2 * 128 = 128 B on every device. Nothing is gathered first.
     */
    @Test
    void matmulContractingOverTheMinorHalf() {
        String text = MESH + """
                  func.func @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(1)2}, {"x":(2)2}]>}, %arg1: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(2)2}, {}]>}) -> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(1)2}, {}]>}) {
                    %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x":(1)2}, {}]>]>} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
                    return %0 : tensor<8x8xf32>
                  }
                }
                """;
        SpmdRun run = run(text, inputs(2));
        assertThat(run.log()).extracting(CollectiveRecord::op).containsExactly("stablehlo.all_reduce");
        assertThat(run.log().getFirst().groups()).containsExactly(List.of(0, 1), List.of(2, 3));
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(128, 128, 128, 128);
    }

    private static List<HostArray> inputs(int n) {
        java.util.Random rnd = new java.util.Random(31);
        java.util.List<HostArray> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) out.add(SpmdHarness.random(io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.FloatType.F32, 8, 8), rnd));
        return out;
    }
}
