package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.propagate.Propagation;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reshapes of sharded values on a 2x4 ("data", "model") mesh (device id = 4 * data + model): a reshape whose every
 * device's input block is, in row-major order, exactly its output block is computed where the data is, splitting a
 * mesh axis into its major and minor sub-axes where a dimension is split, joining them where dimensions merge. Each
 * case is propagated, partitioned and run on 8 simulated devices against the global program on one, and its
 * collectives are counted.
 */
class ReshapePartitionTest {
    private static final String MESH = "module @rs attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {\n"
            + "  sdy.mesh @mesh = <[\"data\"=2, \"model\"=4]>\n";

    /** The propagated module, and the run of its partitioned program on the devices (values checked equal). */
    private record Result(Module propagated, PartitionedProgram program, SpmdRun run) {
        /** The sharding propagation chose for the first op named {@code name}. */
        String sharding(String name) {
            for (Operation op : propagated.symbols().lookup("main").region(0).entry().operations()) {
                if (op.name().equals(name)) {
                    Attribute a = op.attributes().get("sdy.sharding");
                    return a == null ? null : a.toString();
                }
            }
            throw new AssertionError("no " + name);
        }

        List<String> collectives() { return run.log().stream().map(CollectiveRecord::op).toList(); }
    }

    private static Result run(String body, long[]... inputShapes) {
        String text = MESH + body + "}\n";
        Module global = MlirParser.parseModule(text, "rs.mlir");
        Module propagated = Propagation.propagate(Spmd.inlineCalls(global)).module();
        PartitionedProgram p = Spmd.partition(propagated);
        String printed = MlirPrinter.print(p.module());
        io.hlo4j.mlir.verify.ModuleVerifier.verify(MlirParser.parseModule(printed, "explicit.mlir"));
        Random rnd = new Random(7);
        List<HostArray> in = new ArrayList<>();
        for (long[] s : inputShapes) in.add(SpmdHarness.random(TensorType.of(FloatType.F32, s), rnd));
        SpmdRun run = SpmdRunner.run(p.module(), p.mesh(), in, p.argShardings(), p.resultShardings(), p.resultTypes());
        List<HostArray> want = SpmdHarness.runGlobal(global, in);
        for (int i = 0; i < want.size(); i++) {
            // a reshape moves values, it computes nothing: bit-equal
            assertThat(run.results().get(i).toDoubleArray()).as("result #%d\n%s", i, printed).containsExactly(want.get(i).toDoubleArray());
        }
        return new Result(propagated, p, run);
    }

    /**
     * [8,16] over model=4 on dim 1 -> [8,2,8]: model is larger than the new major dimension (2), so it splits in two
     * sub-axes, the major "model":(1)2 on dim 1 and the minor "model":(2)2 on dim 2: device m's columns 4m..4m+3 are
     * row m/2, columns 4(m%2).. of the output. Nothing moves; each device reshapes f32[4,4] to f32[4,1,4].
     */
    @Test
    void splitAnAxisLargerThanTheMajorDimensionIntoSubAxes() {
        Result r = run("""
                  func.func @main(%arg0: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {"model"}]>}) -> tensor<8x2x8xf32> {
                    %0 = stablehlo.reshape %arg0 : (tensor<8x16xf32>) -> tensor<8x2x8xf32>
                    return %0 : tensor<8x2x8xf32>
                  }
                """, new long[] {8, 16});
        assertThat(r.sharding("stablehlo.reshape")).isEqualTo("#sdy.sharding_per_value<[<@mesh, [{\"data\"}, {\"model\":(1)2}, {\"model\":(2)2}]>]>");
        assertThat(r.collectives()).isEmpty();
        assertThat(r.program().report().entries()).isEmpty();
        assertThat(MlirPrinter.print(r.program().module())).contains("(tensor<4x4xf32>) -> tensor<4x1x4xf32>");
    }

    /** [8,16] over model=4 -> [8,4,4]: the new major dimension (4) takes the whole axis, the minor one stays whole. */
    @Test
    void splitAnAxisSmallerThanTheMajorDimensionKeepsItWhole() {
        Result r = run("""
                  func.func @main(%arg0: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {"model"}]>}) -> tensor<8x4x4xf32> {
                    %0 = stablehlo.reshape %arg0 : (tensor<8x16xf32>) -> tensor<8x4x4xf32>
                    return %0 : tensor<8x4x4xf32>
                  }
                """, new long[] {8, 16});
        assertThat(r.sharding("stablehlo.reshape")).isEqualTo("#sdy.sharding_per_value<[<@mesh, [{\"data\"}, {\"model\"}, {}]>]>");
        assertThat(r.collectives()).isEmpty();
        assertThat(MlirPrinter.print(r.program().module())).contains("(tensor<4x4xf32>) -> tensor<4x1x4xf32>");
    }

    /**
     * [16,8] with dim 0 over ("data", "model") (8 blocks of 2 rows) -> [4,4,8]: the new major dimension (4) takes data
     * and the major half of model, the next one (4) the minor half; device (d, m)'s rows 8d+2m, 8d+2m+1 are row 2d+m/2,
     * rows 2(m%2).. of the output.
     */
    @Test
    void splitADimensionShardedOverTwoAxes() {
        Result r = run("""
                  func.func @main(%arg0: tensor<16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data", "model"}, {}]>}) -> tensor<4x4x8xf32> {
                    %0 = stablehlo.reshape %arg0 : (tensor<16x8xf32>) -> tensor<4x4x8xf32>
                    return %0 : tensor<4x4x8xf32>
                  }
                """, new long[] {16, 8});
        assertThat(r.sharding("stablehlo.reshape"))
                .isEqualTo("#sdy.sharding_per_value<[<@mesh, [{\"data\", \"model\":(1)2}, {\"model\":(2)2}, {}]>]>");
        assertThat(r.collectives()).isEmpty();
        assertThat(MlirPrinter.print(r.program().module())).contains("(tensor<2x8xf32>) -> tensor<1x2x8xf32>");
    }

    /** [8,2,8] on ("model":(1)2, "model":(2)2) -> [8,16]: the two halves compose major to minor into "model". */
    @Test
    void mergeSubAxesBackIntoTheirAxis() {
        Result r = run("""
                  func.func @main(%arg0: tensor<8x2x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {"model":(1)2}, {"model":(2)2}]>}) -> tensor<8x16xf32> {
                    %0 = stablehlo.reshape %arg0 : (tensor<8x2x8xf32>) -> tensor<8x16xf32>
                    return %0 : tensor<8x16xf32>
                  }
                """, new long[] {8, 2, 8});
        assertThat(r.sharding("stablehlo.reshape")).isEqualTo("#sdy.sharding_per_value<[<@mesh, [{\"data\"}, {\"model\"}]>]>");
        assertThat(r.collectives()).isEmpty();
        assertThat(MlirPrinter.print(r.program().module())).contains("(tensor<4x1x4xf32>) -> tensor<4x4xf32>");
    }

    /** [2,4,8] on ("data", "model", -) -> [8,8]: data then model, major to minor, shard the merged dimension. */
    @Test
    void mergeTwoShardedDimensions() {
        Result r = run("""
                  func.func @main(%arg0: tensor<2x4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {"model"}, {}]>}) -> tensor<8x8xf32> {
                    %0 = stablehlo.reshape %arg0 : (tensor<2x4x8xf32>) -> tensor<8x8xf32>
                    return %0 : tensor<8x8xf32>
                  }
                """, new long[] {2, 4, 8});
        assertThat(r.sharding("stablehlo.reshape")).isEqualTo("#sdy.sharding_per_value<[<@mesh, [{\"data\", \"model\"}, {}]>]>");
        assertThat(r.collectives()).isEmpty();
    }

    /** Split then merged back, with an element-wise op between: the value never moves. */
    @Test
    void splitThenMergeRoundTrip() {
        Result r = run("""
                  func.func @main(%arg0: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {"model"}]>}) -> tensor<8x16xf32> {
                    %0 = stablehlo.reshape %arg0 : (tensor<8x16xf32>) -> tensor<8x2x8xf32>
                    %1 = stablehlo.exponential %0 : tensor<8x2x8xf32>
                    %2 = stablehlo.reshape %1 : (tensor<8x2x8xf32>) -> tensor<8x16xf32>
                    return %2 : tensor<8x16xf32>
                  }
                """, new long[] {8, 16});
        assertThat(r.sharding("stablehlo.exponential"))
                .isEqualTo("#sdy.sharding_per_value<[<@mesh, [{\"data\"}, {\"model\":(1)2}, {\"model\":(2)2}]>]>");
        assertThat(r.program().resultShardings().get(0).toString()).isEqualTo("#sdy.sharding<@mesh, [{\"data\"}, {\"model\"}]>");
        assertThat(r.collectives()).isEmpty();
    }

    /**
     * [8,4,4] with model on the minor dimension -> [8,16]: each device holds columns m, m+4, m+8, m+12 of the merged
     * dimension (strided, not a block), so the reshape cannot stay sharded there: the operand is gathered over model
     * (one all_gather) and the values are still right.
     */
    @Test
    void mergeWithTheAxisOnTheMinorDimensionGathers() {
        Result r = run("""
                  func.func @main(%arg0: tensor<8x4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {}, {"model"}]>}) -> tensor<8x16xf32> {
                    %0 = stablehlo.reshape %arg0 : (tensor<8x4x4xf32>) -> tensor<8x16xf32>
                    return %0 : tensor<8x16xf32>
                  }
                """, new long[] {8, 4, 4});
        assertThat(r.sharding("stablehlo.reshape")).isEqualTo("#sdy.sharding_per_value<[<@mesh, [{\"data\"}, {}]>]>");
        assertThat(r.collectives()).containsExactly("stablehlo.all_gather");
        assertThat(r.run().log().getFirst().groups()).containsExactly(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7));
    }

    /**
     * [24] over model=4 -> [6,4] is ([ij])->([i, j]) {i=6, j=4}: model (4) neither divides the major factor (6) nor is a
     * multiple of it; they share 2, so "model":(1)2 stays on i and only the minor half is gathered (pairs of model within
     * each data row; each device's 6 elements are a row and a half, never a block). ReshapeCommonFactorTest has more.
     */
    @Test
    void anAxisThatDoesNotFitTheMajorFactorKeepsTheCommonPart() {
        Result r = run("""
                  func.func @main(%arg0: tensor<24xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"model"}]>}) -> tensor<6x4xf32> {
                    %0 = stablehlo.reshape %arg0 : (tensor<24xf32>) -> tensor<6x4xf32>
                    return %0 : tensor<6x4xf32>
                  }
                """, new long[] {24});
        assertThat(r.sharding("stablehlo.reshape")).isEqualTo("#sdy.sharding_per_value<[<@mesh, [{\"model\":(1)2}, {}]>]>");
        assertThat(r.collectives()).containsExactly("stablehlo.all_gather");
        assertThat(r.run().log().getFirst().groups()).containsExactly(List.of(0, 1), List.of(2, 3), List.of(4, 5), List.of(6, 7));
    }
}
