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
 * Ops that read across one dimension (cumsum as reduce_window, sort, top_k) with only their other dimensions
 * sharded: annotated arguments, propagation, partitioning on 8 simulated devices (data=2, model=4). Each must run
 * on its local blocks with no collective, and equal the global program on one device.
 */
class LocalBlockOpsPartitionTest {
    static final List<String> COLLECTIVES = List.of("all_gather", "all_reduce", "all_to_all", "collective_permute", "reduce_scatter",
            "collective_broadcast");

    static final String HEAD = "module @m attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {\n"
            + "  sdy.mesh @mesh = <[\"data\"=2, \"model\"=4]>\n";

    static int collectives(String text) {
        int n = 0;
        for (String c : COLLECTIVES) n += text.split("stablehlo." + c, -1).length - 1;
        return n;
    }

    /** Partitions the annotated module, checks values against the global program and returns the explicit text. */
    static String run(String module, List<TensorType> inputs, long seed) {
        Random rnd = new Random(seed);
        List<HostArray> in = inputs.stream().map(t -> SpmdHarness.random(t, rnd)).toList();
        PartitionedProgram prog = Spmd.explicit(MlirParser.parseModule(module, "m.mlir"));
        List<HostArray> want = SpmdHarness.runGlobal(MlirParser.parseModule(module, "m.mlir"), in);
        List<HostArray> got = SpmdHarness.runPartitioned(prog, in);
        String text = MlirPrinter.print(prog.module());
        for (int r = 0; r < want.size(); r++) {
            assertThat(got.get(r).toDoubleArray()).as("result #%d on 8 devices\n%s", r, text).containsExactly(want.get(r).toDoubleArray());
        }
        assertThat(prog.report().replicated()).as("computed replicated\n%s", text).isEmpty();
        return text;
    }

    static final String CUMSUM = HEAD + """
              func.func @main(%x: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data", "model"}, {}]>}) -> tensor<8x16xf32> {
                %z = stablehlo.constant dense<0.0> : tensor<f32>
                %0 = "stablehlo.reduce_window"(%x, %z) ({
                  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                    %s = stablehlo.add %a, %b : tensor<f32>
                    stablehlo.return %s : tensor<f32>
                }) {window_dimensions = array<i64: 1, 16>, padding = dense<[[0, 0], [15, 0]]> : tensor<2x2xi64>} : (tensor<8x16xf32>, tensor<f32>) -> tensor<8x16xf32>
                return %0 : tensor<8x16xf32>
              }
            }
            """;

    @Test
    void cumsumAlongAnUnshardedDimensionRunsOnBlocks() {
        String text = run(CUMSUM, List.of(TensorType.of(FloatType.F32, 8, 16)), 1);
        assertThat(collectives(text)).as(text).isZero();
        assertThat(text).contains("(tensor<1x16xf32>, tensor<f32>) -> tensor<1x16xf32>");
    }

    static final String SORT = HEAD + """
              func.func @main(%x: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {}]>}) -> tensor<8x16xf32> {
                %0 = "stablehlo.sort"(%x) ({
                  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                    %c = stablehlo.compare GT, %a, %b : (tensor<f32>, tensor<f32>) -> tensor<i1>
                    stablehlo.return %c : tensor<i1>
                }) {dimension = 1 : i64, is_stable = true} : (tensor<8x16xf32>) -> tensor<8x16xf32>
                return %0 : tensor<8x16xf32>
              }
            }
            """;

    @Test
    void sortAlongAnUnshardedDimensionRunsOnBlocks() {
        String text = run(SORT, List.of(TensorType.of(FloatType.F32, 8, 16)), 2);
        assertThat(collectives(text)).as(text).isZero();
        assertThat(text).contains("(tensor<4x16xf32>) -> tensor<4x16xf32>");
    }

    /** The MoE router: top-k over experts of scores [N, E] sharded over tokens. */
    static final String TOP_K = HEAD + """
              func.func @main(%x: tensor<16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data", "model"}, {}]>}) -> (tensor<16x2xf32>, tensor<16x2xi32>) {
                %v, %i = chlo.top_k(%x, k = 2) : tensor<16x8xf32> -> (tensor<16x2xf32>, tensor<16x2xi32>)
                return %v, %i : tensor<16x2xf32>, tensor<16x2xi32>
              }
            }
            """;

    @Test
    void topKOverExpertsWithTokensShardedRunsOnBlocks() {
        String text = run(TOP_K, List.of(TensorType.of(FloatType.F32, 16, 8)), 3);
        assertThat(collectives(text)).as(text).isZero();
        assertThat(text).contains("chlo.top_k(%arg0, k = 2) : tensor<2x8xf32> -> (tensor<2x2xf32>, tensor<2x2xi32>)");
    }

    /** argsort: values and an iota sorted together along dim 1, dim 0 split over both axes. */
    static final String ARGSORT = HEAD + """
              func.func @main(%x: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"model", "data"}, {}]>}) -> (tensor<8x16xf32>, tensor<8x16xi32>) {
                %i = stablehlo.iota dim = 1 : tensor<8x16xi32>
                %0:2 = "stablehlo.sort"(%x, %i) ({
                  ^bb0(%a: tensor<f32>, %b: tensor<f32>, %c: tensor<i32>, %d: tensor<i32>):
                    %g = stablehlo.compare GT, %a, %b : (tensor<f32>, tensor<f32>) -> tensor<i1>
                    stablehlo.return %g : tensor<i1>
                }) {dimension = 1 : i64, is_stable = true} : (tensor<8x16xf32>, tensor<8x16xi32>) -> (tensor<8x16xf32>, tensor<8x16xi32>)
                return %0#0, %0#1 : tensor<8x16xf32>, tensor<8x16xi32>
              }
            }
            """;

    @Test
    void argsortAlongAnUnshardedDimensionRunsOnBlocks() {
        String text = run(ARGSORT, List.of(TensorType.of(FloatType.F32, 8, 16)), 4);
        assertThat(collectives(text)).as(text).isZero();
    }

    /** Sharded along the windowed dimension: the operand is gathered along it (halo exchange is not done), values stay right. */
    @Test
    void cumsumAlongAShardedDimensionGathersOnlyThatDimension() {
        String text = run(CUMSUM.replace("[{\"data\", \"model\"}, {}]", "[{\"data\"}, {\"model\"}]"),
                List.of(TensorType.of(FloatType.F32, 8, 16)), 5);
        assertThat(text).contains("(tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>");
        assertThat(collectives(text)).as(text).isPositive();
    }

    /** top_k with experts sharded too: the experts are gathered, the tokens stay split (blocks of 8 / 2 rows). */
    @Test
    void topKWithExpertsShardedGathersOnlyExperts() {
        String text = run(TOP_K.replace("[{\"data\", \"model\"}, {}]", "[{\"data\"}, {\"model\"}]"),
                List.of(TensorType.of(FloatType.F32, 16, 8)), 6);
        assertThat(text).contains("k = 2) : tensor<8x8xf32> -> (tensor<8x2xf32>, tensor<8x2xi32>)");
        assertThat(collectives(text)).as(text).isPositive();
    }

    /** Random closed shardings on every value: cumsum and a 2x2-stride-2 max pool, none computed replicated. */
    @Test
    void reduceWindowsUnderRandomShardings() {
        OpsPartitionTest.forAll("reduce_window", p -> {
            String x = p.arg(OpsPartitionTest.f32(8, 8));
            String z = p.op("stablehlo.constant", List.of(), "value = dense<0.0> : tensor<f32>", "", OpsPartitionTest.f32());
            String ninf = p.op("stablehlo.constant", List.of(), "value = dense<0xFF800000> : tensor<f32>", "", OpsPartitionTest.f32());
            String cs = p.op("stablehlo.reduce_window", List.of(x, z), "padding = dense<[[0, 0], [7, 0]]> : tensor<2x2xi64>, "
                    + "window_dimensions = array<i64: 1, 8>", OpsPartitionTest.ADD, OpsPartitionTest.f32(8, 8));
            String mp = p.op("stablehlo.reduce_window", List.of(cs, ninf), "window_dimensions = array<i64: 1, 2>, "
                    + "window_strides = array<i64: 1, 2>", OpsPartitionTest.MAX, OpsPartitionTest.f32(8, 4));
            p.result(cs);
            p.result(mp);
        });
    }

    static final String CONCAT = HEAD + """
              func.func @main(%a: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {"model"}]>},
                              %b: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {"model"}]>})
                  -> (tensor<8x32xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {"model"}]>}) {
                %0 = stablehlo.concatenate %a, %b, dim = 1 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x32xf32>
                return %0 : tensor<8x32xf32>
              }
            }
            """;

    /**
     * Concatenating along a sharded dimension: the operands stay split; device m of "model" (result block of 8) fetches
     * the two blocks of 4 of one operand it needs from the devices holding them, one collective_permute per distance
     * (operand a: 1 and 2 to the right, b: 1 and 2 to the left), no all_gather; the other dimension stays split over "data".
     */
    @Test
    void concatenateAlongAShardedDimensionMovesPieces() {
        String text = run(CONCAT, List.of(TensorType.of(FloatType.F32, 8, 16), TensorType.of(FloatType.F32, 8, 16)), 7);
        assertThat(text).as(text).doesNotContain("all_gather");
        assertThat(text.split("stablehlo.collective_permute", -1)).as(text).hasSize(5);
        assertThat(collectives(text)).as(text).isEqualTo(4);
        assertThat(text).contains("(tensor<4x4xf32>) -> tensor<4x4xf32>");
    }

    /** Concatenating along an unsharded dimension with the other one sharded: local blocks, no collective. */
    @Test
    void concatenateAlongAnUnshardedDimensionRunsOnBlocks() {
        String text = run(CONCAT.replace("[{\"data\"}, {\"model\"}]", "[{\"data\", \"model\"}, {}]"),
                List.of(TensorType.of(FloatType.F32, 8, 16), TensorType.of(FloatType.F32, 8, 16)), 8);
        assertThat(collectives(text)).as(text).isZero();
        assertThat(text).contains("(tensor<1x16xf32>, tensor<1x16xf32>) -> tensor<1x32xf32>");
    }

    static final String GE_SELECT = "{\n  ^bb0(%a: tensor<f32>, %b: tensor<f32>):\n    %s = \"stablehlo.compare\"(%a, %b) <{comparison_direction = "
            + "#stablehlo<comparison_direction GE>}> : (tensor<f32>, tensor<f32>) -> tensor<i1>\n"
            + "    \"stablehlo.return\"(%s) : (tensor<i1>) -> ()\n}";

    /**
     * The max-pool gradient (select_and_scatter, window 1x2 stride 1x2) and a base-dilated reduce_window
     * ([8, 4] -> [8, 10], dilation 3: its dimension 1 changes size, so it must not be split as if one to one),
     * under random closed shardings; none computed replicated.
     */
    @Test
    void selectAndScatterAndBaseDilationUnderRandomShardings() {
        OpsPartitionTest.forAll("select_and_scatter", p -> {
            String x = p.arg(OpsPartitionTest.f32(8, 8)), src = p.arg(OpsPartitionTest.f32(8, 4)), y = p.arg(OpsPartitionTest.f32(8, 4));
            String z = p.op("stablehlo.constant", List.of(), "value = dense<0.0> : tensor<f32>", "", OpsPartitionTest.f32());
            String ss = p.op("stablehlo.select_and_scatter", List.of(x, src, z), "window_dimensions = array<i64: 1, 2>, "
                    + "window_strides = array<i64: 1, 2>", GE_SELECT + ", " + OpsPartitionTest.ADD, OpsPartitionTest.f32(8, 8));
            String bd = p.op("stablehlo.reduce_window", List.of(y, z), "base_dilations = array<i64: 1, 3>, "
                    + "window_dimensions = array<i64: 1, 1>", OpsPartitionTest.ADD, OpsPartitionTest.f32(8, 10));
            p.result(ss);
            p.result(bd);
        });
    }
}
