package io.hlo4j.compiler.cost;

import io.hlo4j.compiler.cost.CostAnalysis.ModuleCost;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** FLOPs, bytes, peak memory, collectives and shardings against values worked out by hand in each test. */
class CostAnalysisTest {
    static ModuleCost analyze(String text) {
        Module m = MlirParser.parseModule(text, "test.mlir");
        ModuleVerifier.verify(m);
        return CostAnalysis.analyze(m);
    }

    @Test void batchedDotGeneralIsTwoTimesBatchMNK() {
        ModuleCost c = analyze("""
                func.func @main(%a: tensor<4x8x16xf32>, %b: tensor<4x16x32xf32>) -> tensor<4x8x32xf32> {
                  %0 = stablehlo.dot_general %a, %b, batching_dims = [0] x [0], contracting_dims = [2] x [1] : (tensor<4x8x16xf32>, tensor<4x16x32xf32>) -> tensor<4x8x32xf32>
                  return %0 : tensor<4x8x32xf32>
                }""");
        FunctionCost f = c.functions().get(0);
        // batch 4, M 8, N 32, K 16.
        assertThat(f.flops()).isEqualTo(2L * 4 * 8 * 32 * 16);
        assertThat(f.flopsBound()).isFalse();
        // Reads both operands, writes the result (f32 = 4 bytes).
        assertThat(f.bytesRead()).isEqualTo(4L * (4 * 8 * 16 + 4 * 16 * 32));
        assertThat(f.bytesWritten()).isEqualTo(4L * 4 * 8 * 32);
        assertThat(f.parameters()).isEqualTo(2);
        assertThat(f.parameterBytes()).isEqualTo(4L * (4 * 8 * 16 + 4 * 16 * 32));
        assertThat(f.ops()).containsEntry("stablehlo.dot_general", 1).containsEntry("func.return", 1);
    }

    private static final String MOE = """
            func.func @main(%x: tensor<8x16xf32>, %router: tensor<16x4xf32>, %w1: tensor<4x16x32xf32>, %w2: tensor<4x32x16xf32>, GS) -> (tensor<8x16xf32>, tensor<8xf32>) {
              %init = stablehlo.constant dense<0xFF800000> : tensor<f32>
              CONST
              %logits = stablehlo.dot_general %x, %router, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
              %best = stablehlo.reduce(%logits init: %init) applies stablehlo.maximum across dimensions = [1] : (tensor<8x4xf32>, tensor<f32>) -> tensor<8xf32>
              %h = "chlo.ragged_dot"(%x, %w1, %gs) {ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>} : (tensor<8x16xf32>, tensor<4x16x32xf32>, tensor<4xi64>) -> tensor<8x32xf32>
              %s = stablehlo.logistic %h : tensor<8x32xf32>
              %a = stablehlo.multiply %h, %s : tensor<8x32xf32>
              %y = "chlo.ragged_dot"(%a, %w2, %gs) {ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>} : (tensor<8x32xf32>, tensor<4x32x16xf32>, tensor<4xi64>) -> tensor<8x16xf32>
              return %y, %best : tensor<8x16xf32>, tensor<8xf32>
            }""";

    @Test void moeBlockWithConstantGroupSizesCountsOnlyRoutedRows() {
        ModuleCost c = analyze(MOE.replace(", GS", "")
                .replace("CONST", "%gs = stablehlo.constant dense<[3, 1, 0, 2]> : tensor<4xi64>"));
        FunctionCost f = c.functions().get(0);
        long router = 2L * 8 * 4 * 16;       // tokens x experts x hidden
        long reduce = 8L * 4;                // one maximum per input element
        long up = 2L * (3 + 1 + 0 + 2) * 16 * 32;   // only the 6 routed rows
        long silu = 8L * 32 + 8L * 32;       // logistic and multiply
        long down = 2L * 6 * 32 * 16;
        assertThat(f.flops()).isEqualTo(router + reduce + up + silu + down);
        assertThat(f.flops()).isEqualTo(13_856);
        assertThat(f.flopsBound()).isFalse();
        // The two ragged dots cost most, then the router, logistic and multiply (the reduce's 32 is sixth); ties keep program order.
        assertThat(f.topOps()).extracting(FunctionCost.OpShare::op, FunctionCost.OpShare::flops).containsExactly(
                org.assertj.core.groups.Tuple.tuple("chlo.ragged_dot", up), org.assertj.core.groups.Tuple.tuple("chlo.ragged_dot", down),
                org.assertj.core.groups.Tuple.tuple("stablehlo.dot_general", router),
                org.assertj.core.groups.Tuple.tuple("stablehlo.logistic", 256L), org.assertj.core.groups.Tuple.tuple("stablehlo.multiply", 256L));
    }

    @Test void moeBlockWithGroupSizesAsAnArgumentGivesTheBound() {
        ModuleCost c = analyze(MOE.replace("GS", "%gs: tensor<4xi64>").replace("CONST", ""));
        FunctionCost f = c.functions().get(0);
        long bound = 2L * 8 * 4 * 16 + 8 * 4 + 2L * 8 * 16 * 32 + 2 * 8 * 32 + 2L * 8 * 32 * 16;
        assertThat(f.flops()).isEqualTo(bound);
        assertThat(f.flopsBound()).isTrue();
    }

    @Test void convolutionCountsOneMultiplyAddPerTapAndInputFeature() {
        // NHWC 1x8x8x3 input, 3x3x3x4 kernel (HWIO), valid padding -> 1x6x6x4.
        ModuleCost c = analyze("""
                func.func @main(%in: tensor<1x8x8x3xf32>, %k: tensor<3x3x3x4xf32>) -> tensor<1x6x6x4xf32> {
                  %0 = stablehlo.convolution(%in, %k) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [1, 1], pad = [[0, 0], [0, 0]], rhs_dilate = [1, 1]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>) -> tensor<1x6x6x4xf32>
                  return %0 : tensor<1x6x6x4xf32>
                }""");
        assertThat(c.functions().get(0).flops()).isEqualTo(2L * (6 * 6 * 4) * (3 * 3 * 3));
    }

    @Test void peakMemoryFollowsLiveRanges() {
        ModuleCost c = analyze("""
                func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                  %0 = stablehlo.add %a, %a : tensor<4xf32>
                  %1 = stablehlo.multiply %0, %0 : tensor<4xf32>
                  %2 = stablehlo.negate %1 : tensor<4xf32>
                  return %2 : tensor<4xf32>
                }""");
        // %a 16 B throughout; at multiply %0 and %1 live (48); at negate %0 is dead, %1 and %2 live (48).
        FunctionCost f = c.functions().get(0);
        assertThat(f.peakBytes()).isEqualTo(48);
        assertThat(f.peakAtOp()).isEqualTo("stablehlo.multiply");
    }

    @Test void collectivesListTheirGroupsAndBytesPerDevice() {
        ModuleCost c = analyze("""
                func.func @main(%a: tensor<8xf32>) -> tensor<8xf32> {
                  %0 = "stablehlo.all_reduce"(%a) ({
                  ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                    %s = stablehlo.add %x, %y : tensor<f32>
                    stablehlo.return %s : tensor<f32>
                  }) {replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>} : (tensor<8xf32>) -> tensor<8xf32>
                  %1 = "stablehlo.all_gather"(%0) {all_gather_dim = 0 : i64, replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>} : (tensor<8xf32>) -> tensor<32xf32>
                  return %0 : tensor<8xf32>
                }""");
        assertThat(c.collectives()).hasSize(2);
        CollectiveInfo ar = c.collectives().get(0);
        assertThat(ar.op()).isEqualTo("stablehlo.all_reduce");
        assertThat(ar.replicaGroups()).isEqualTo(List.of(List.of(0L, 1L), List.of(2L, 3L)));
        assertThat(ar.groupSize()).isEqualTo(2);
        assertThat(ar.bytesPerDevice()).isEqualTo(2 * 32 / 2); // received: 2 (g-1)/g of the 32 B input
        assertThat(ar.bufferBytes()).isEqualTo(32);
        CollectiveInfo ag = c.collectives().get(1);
        assertThat(ag.groupSize()).isEqualTo(4);
        assertThat(ag.bytesPerDevice()).isEqualTo(3 * 128 / 4); // received: the 3 other devices' 32 B blocks
        assertThat(ag.bufferBytes()).isEqualTo(128); // the gathered 32 x f32
        assertThat(ag.bytesBound()).isFalse();
        // The reducer's add runs on scalars inside the collective: no FLOPs of its own.
        assertThat(c.functions().get(0).flops()).isZero();
    }

    /** Empty groups mean every process; a module that does not say how many there are leaves the bytes unknown. */
    @Test void emptyGroupsWithoutProcessCountsGiveUnknownBytes() {
        String body = """
                  func.func @main(%a: tensor<8xf32>) -> tensor<8xf32> {
                    %0 = "stablehlo.all_reduce"(%a) ({
                    ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                      %s = stablehlo.add %x, %y : tensor<f32>
                      stablehlo.return %s : tensor<f32>
                    }) {replica_groups = dense<> : tensor<0x0xi64>} : (tensor<8xf32>) -> tensor<8xf32>
                    return %0 : tensor<8xf32>
                  }
                }""";
        ModuleCost unknown = analyze("module {\n" + body);
        assertThat(unknown.collectives().get(0).bytesPerDevice()).isEqualTo(-1);
        assertThat(unknown.functions().get(0).collectiveBytes()).isZero();
        assertThat(CostReport.text(unknown, Target.named("h100")))
                .contains("group size 0, received bytes unknown (group size unknown) (buffer 32 B)");
        // 3 replicas (no channel: cross-replica groups): 2 x 2/3 x 32 B, rounded up
        ModuleCost three = analyze("module attributes {mhlo.num_replicas = 3 : i32, mhlo.num_partitions = 1 : i32} {\n" + body);
        assertThat(three.collectives().get(0).groupSize()).isEqualTo(3);
        assertThat(three.collectives().get(0).bytesPerDevice()).isEqualTo(43);
    }

    @Test void shardingsGiveAxesPerDimAndShardShape() {
        ModuleCost c = analyze("""
                module {
                  sdy.mesh @mesh = <["x"=2, "y"=4]>
                  func.func @main(%a: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}, %b: tensor<6x3xbf16> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "y"}, {}]>}) -> (tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {}]>}) {
                    return %a : tensor<8x16xf32>
                  }
                }""");
        TensorInfo a = c.arguments().get(0);
        assertThat(a.axesPerDim()).isEqualTo(List.of(List.of("x"), List.of("y")));
        assertThat(a.shardShape()).containsExactly(4L, 4L);
        assertThat(a.shardBytes()).isEqualTo(4 * 4 * 4);
        TensorInfo b = c.arguments().get(1);
        assertThat(b.shardShape()).containsExactly(1L, 3L); // 6 rows over 8 devices: ceil = 1
        assertThat(b.bytes()).isEqualTo(6 * 3 * 2);
        assertThat(c.results().get(0).shardShape()).containsExactly(8L, 16L);
    }

    @Test void jsonHasTheDocumentedKeys() {
        ModuleCost c = analyze("""
                func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                  %0 = stablehlo.add %a, %a : tensor<4xf32>
                  return %0 : tensor<4xf32>
                }""");
        String json = CostReport.json(c, Target.named("h100"));
        assertThat(json).contains("\"functions\": [", "\"name\": \"main\"", "\"ops\": {", "\"flops\": 4,", "\"bytes\": 48,",
                "\"collectives\": []", "\"arguments\": [", "\"results\": [");
        assertThat(CostReport.text(c, Target.named("tpu-v5p"))).contains("func @main", "flops         4 FLOP");
    }

    @Test void dynamicDimensionsCountAsOneAndAreFlagged() {
        ModuleCost c = analyze("""
                func.func @main(%a: tensor<?x4xf32>) -> tensor<?x4xf32> {
                  %0 = stablehlo.add %a, %a : tensor<?x4xf32>
                  return %0 : tensor<?x4xf32>
                }""");
        FunctionCost f = c.functions().get(0);
        assertThat(f.dynamic()).isTrue();
        assertThat(f.flops()).isEqualTo(4);               // per unit of the dynamic size
        assertThat(f.bytes()).isEqualTo(2 * 16 + 16);
        assertThat(CostReport.text(c, Target.named("h100"))).contains("dynamic dimensions (?) are counted as 1");
        assertThat(analyze("""
                func.func @main(%a: tensor<2x4xf32>) -> tensor<2x4xf32> {
                  return %a : tensor<2x4xf32>
                }""").functions().get(0).dynamic()).isFalse();
    }

    @Test void shardyCollectivesUseMeshAxesAndShardBytes() {
        ModuleCost c = analyze("""
                module {
                  sdy.mesh @mesh = <["x"=2, "y"=4]>
                  func.func @main(%a: tensor<16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"x", "y"}]>}) -> tensor<16x8xf32> {
                    %0 = sdy.all_gather [{}, {"x", "y"}] %a out_sharding=<@mesh, [{}, {}]> : tensor<16x8xf32>
                    %1 = sdy.all_reduce {"y"} %0 out_sharding=<@mesh, [{}, {}]> : tensor<16x8xf32>
                    return %1 : tensor<16x8xf32>
                  }
                }""");
        CollectiveInfo gather = c.collectives().get(0);
        assertThat(gather.op()).isEqualTo("sdy.all_gather");
        assertThat(gather.groupSize()).isEqualTo(8);          // x and y: 2 x 4 devices
        assertThat(gather.bufferBytes()).isEqualTo(16 * 8 * 4); // gathered: the whole tensor (in: 16x1)
        assertThat(gather.bytesPerDevice()).isEqualTo(7 * 16 * 4); // received: the 7 other 16x1 shards
        CollectiveInfo reduce = c.collectives().get(1);
        assertThat(reduce.groupSize()).isEqualTo(4);
        assertThat(reduce.bufferBytes()).isEqualTo(16 * 8 * 4);
        assertThat(reduce.bytesPerDevice()).isEqualTo(2 * 3 * 16 * 8 * 4 / 4); // 2 (g-1)/g of the 512 B shard
    }

    @Test void shardyReduceScatterCountsTheUnscatteredInput() {
        ModuleCost c = analyze("""
                module {
                  sdy.mesh @mesh = <["x"=2, "y"=4]>
                  func.func @main(%a: tensor<16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> tensor<16x8xf32> {
                    %0 = sdy.reduce_scatter [{}, {"y"}] %a out_sharding=<@mesh, [{"x"}, {"y"}]> : tensor<16x8xf32>
                    return %0 : tensor<16x8xf32>
                  }
                }""");
        CollectiveInfo rs = c.collectives().get(0);
        assertThat(rs.groupSize()).isEqualTo(4);
        assertThat(rs.bufferBytes()).isEqualTo(8 * 8 * 4); // the input shard 8x8; the output is 8x2
        assertThat(rs.bytesPerDevice()).isEqualTo(3 * 8 * 8 * 4 / 4); // (g-1)/g of the input shard
    }

    /** Upstream's collective examples: every collective op in the text is reported, with its groups. */
    @Test void conformanceCollectivesAreAllFound() throws java.io.IOException {
        java.nio.file.Path dir = conformance().resolve("interpret");
        java.util.regex.Pattern op = java.util.regex.Pattern.compile(
                "\"stablehlo\\.(all_reduce|all_gather|all_to_all|reduce_scatter|collective_permute|collective_broadcast|collective_reduce)\"");
        int files = 0;
        for (String name : List.of("all_gather.mlir", "all_reduce.mlir", "all_to_all.mlir", "collective_broadcast.mlir",
                "collective_permute.mlir", "reduce_scatter.mlir")) {
            java.nio.file.Path f = dir.resolve(name);
            long expected = op.matcher(java.nio.file.Files.readString(f)).results().count();
            long found = 0;
            for (Module m : MlirParser.parseFile(f)) found += CostAnalysis.analyze(m).collectives().size();
            assertThat(found).as(name).isEqualTo(expected).isPositive();
            files++;
        }
        assertThat(files).isEqualTo(6);
        // The first all_reduce module: one group [0, 1] over a tensor<4xi64>.
        CollectiveInfo first = CostAnalysis.analyze(MlirParser.parseFile(dir.resolve("all_reduce.mlir")).get(0)).collectives().get(0);
        assertThat(first.replicaGroups()).isEqualTo(List.of(List.of(0L, 1L)));
        assertThat(first.groupSize()).isEqualTo(2);
        assertThat(first.bytesPerDevice()).isEqualTo(2 * (2 - 1) * 4 * 8 / 2);
        assertThat(first.bufferBytes()).isEqualTo(4 * 8);
        assertThat(first.function()).isEqualTo("all_reduce");
    }

    static java.nio.file.Path conformance() {
        String dir = System.getProperty("hlo4j.conformance.dir");
        return dir != null ? java.nio.file.Path.of(dir)
                : java.nio.file.Path.of("").toAbsolutePath().getParent().resolve("../shared/conformance").normalize();
    }

    @Test void unknownTargetIsRefusedByName() {
        assertThatThrownBy(() -> Target.named("h900")).hasMessageContaining("unknown target 'h900'").hasMessageContaining("h100");
        Target h100 = Target.named("H100");
        // 989 TFLOP at 989 TFLOP/s is one second; 3.35 TB at 3.35 TB/s is one second.
        assertThat(h100.rooflineSeconds(989e12, 1)).isEqualTo(1.0);
        assertThat(h100.rooflineSeconds(1, 3.35e12)).isEqualTo(1.0);
    }
}
