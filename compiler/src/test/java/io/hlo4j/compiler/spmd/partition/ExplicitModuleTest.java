package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.testing.ReferenceShardMap;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExplicitModuleTest {
    static final String MATMUL = """
            module @matmul attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=2, "y"=2]>
              func.func @main(%arg0: tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}, %arg1: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {}]>}) -> (tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) {
                %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x"}, {"y"}]>]>} : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
                return %0 : tensor<4x4xf32>
              }
            }
            """;

    /**
     * Hand-checked: on x=2, y=2 (device = 2x + y) each device multiplies its [2, 4] row/contracting block by its
     * [4, 4] contracting block, giving a partial [2, 4] sum over y; the result wants its columns split on y, so
     * one reduce_scatter over the y groups [[0, 1], [2, 3]] finishes the sum and keeps each device's 2 columns.
     */
    @Test
    void goldenMatmul() {
        String expected = """
                module @matmul attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  func.func @main(%arg0: tensor<2x4xf32>, %arg1: tensor<4x4xf32>) -> tensor<2x2xf32> {
                    %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
                    %1 = "stablehlo.reduce_scatter"(%0) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>, scatter_dimension = 1 : i64, use_global_device_ids}> ({
                    ^bb0(%arg2: tensor<f32>, %arg3: tensor<f32>):
                      %2 = stablehlo.add %arg2, %arg3 : tensor<f32>
                      stablehlo.return %2 : tensor<f32>
                    }) : (tensor<2x4xf32>) -> tensor<2x2xf32>
                    return %1 : tensor<2x2xf32>
                  }
                }
                """;
        Random rnd = new Random(1);
        PartitionedProgram prog = SpmdHarness.check(MATMUL, List.of(SpmdHarness.random(TensorType.of(FloatType.F32, 4, 8), rnd),
                SpmdHarness.random(TensorType.of(FloatType.F32, 8, 4), rnd)));
        assertThat(MlirPrinter.print(prog.module())).isEqualTo(expected);
        assertThat(prog.devices()).isEqualTo(4);
        assertThat(prog.report().entries()).isEmpty();
    }

    /** The device order of the mesh decides the groups: device_ids = [3, 2, 1, 0] reverses them. */
    @Test
    void deviceIdsOrderTheGroups() {
        String text = MATMUL.replace("<[\"x\"=2, \"y\"=2]>", "<[\"x\"=2, \"y\"=2], device_ids=[3, 2, 1, 0]>");
        Random rnd = new Random(2);
        PartitionedProgram prog = SpmdHarness.check(text, List.of(SpmdHarness.random(TensorType.of(FloatType.F32, 4, 8), rnd),
                SpmdHarness.random(TensorType.of(FloatType.F32, 8, 4), rnd)));
        assertThat(MlirPrinter.print(prog.module())).contains("replica_groups = dense<[[3, 2], [1, 0]]> : tensor<2x2xi64>");
    }

    /** The reference all_to_all shard_map (ShardMapTest, stablehlo-and-shardy.md 4f): globally the identity. */
    static final String A2A = ReferenceShardMap.ALL_TO_ALL;

    @Test
    void shardMapAllToAllIsTheIdentity() {
        HostArray x = HostArray.fromDoubles(TensorType.of(FloatType.F32, 4, 2), 0, 1, 2, 3, 4, 5, 6, 7);
        PartitionedProgram prog = Spmd.partition(MlirParser.parseModule(A2A, "a2a.mlir"));
        assertThat(SpmdHarness.runPartitioned(prog, List.of(x)).get(0).toDoubleArray()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        // device 0 ends with column 0, device 1 with column 1 (the reference's smoke-test values)
        assertThat(MlirPrinter.print(prog.module())).contains("-> tensor<4x1xf32>").doesNotContain("sdy.");
    }

    /**
     * A shard_map as the DSL emits it (all_gather over y, psum over x, channel handle 1 on both): its meaning,
     * computed by hand, is the sum of the two row halves of X. The partitioner gives each collective its own handle.
     */
    @Test
    void shardMapGatherAndPsum() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=4]>
                  func.func public @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) -> (tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {"y"}]>] out_shardings=[<@mesh, [{}, {}]>] manual_axes={"x", "y"} (%arg1: tensor<4x2xf32>) {
                      %1 = "stablehlo.all_gather"(%arg1) <{all_gather_dim = 1 : i64, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1, 2, 3], [4, 5, 6, 7]]> : tensor<2x4xi64>, use_global_device_ids}> : (tensor<4x2xf32>) -> tensor<4x8xf32>
                      %2 = "stablehlo.all_reduce"(%1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 4], [1, 5], [2, 6], [3, 7]]> : tensor<4x2xi64>, use_global_device_ids}> ({
                      ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                        %s = stablehlo.add %a, %b : tensor<f32>
                        stablehlo.return %s : tensor<f32>
                      }) : (tensor<4x8xf32>) -> tensor<4x8xf32>
                      sdy.return %2 : tensor<4x8xf32>
                    } : (tensor<8x8xf32>) -> tensor<4x8xf32>
                    return %0 : tensor<4x8xf32>
                  }
                }
                """;
        Random rnd = new Random(3);
        HostArray x = SpmdHarness.random(TensorType.of(FloatType.F32, 8, 8), rnd);
        PartitionedProgram prog = Spmd.partition(MlirParser.parseModule(text, "f.mlir"));
        double[] got = SpmdHarness.runPartitioned(prog, List.of(x)).get(0).toDoubleArray();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 8; j++) {
                float want = (float) x.getDoubleAt(i, j) + (float) x.getDoubleAt(i + 4, j);
                assertThat(got[i * 8 + j]).isCloseTo(want, org.assertj.core.api.Assertions.within(1e-6));
            }
        }
        assertThat(channelHandles(MlirPrinter.print(prog.module()))).containsExactly(1L, 2L);
    }

    static List<Long> channelHandles(String text) {
        List<Long> out = new ArrayList<>();
        Matcher m = Pattern.compile("channel_handle<handle = (\\d+)").matcher(text);
        while (m.find()) out.add(Long.parseLong(m.group(1)));
        Set<Long> unique = new HashSet<>(out);
        assertThat(unique).as("channel handles unique in the module").hasSize(out.size());
        return out;
    }

    /** An op the partitioner does not localise is computed on gathered operands and listed in the report, by name and location. */
    @Test
    void unsplittableOpIsComputedReplicatedAndReported() {
        String text = """
                module @ts attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=4]>
                  func.func @main(%arg0: tensor<4x3x3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}, {}]>}, %arg1: tensor<4x3x2xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}, {}]>}) -> (tensor<4x3x2xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}, {}]>}) {
                    %0 = "stablehlo.triangular_solve"(%arg0, %arg1) <{left_side = true, lower = true, unit_diagonal = true, transpose_a = #stablehlo<transpose NO_TRANSPOSE>}> {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x"}, {}, {}]>]>} : (tensor<4x3x3xf32>, tensor<4x3x2xf32>) -> tensor<4x3x2xf32> loc("model.py":12:3)
                    return %0 : tensor<4x3x2xf32>
                  }
                }
                """;
        Random rnd = new Random(4);
        PartitionedProgram prog = SpmdHarness.check(text, List.of(SpmdHarness.random(TensorType.of(FloatType.F32, 4, 3, 3), rnd),
                SpmdHarness.random(TensorType.of(FloatType.F32, 4, 3, 2), rnd)));
        assertThat(prog.report().replicated()).hasSize(1);
        PartitionReport.Entry e = prog.report().replicated().get(0);
        assertThat(e.op()).isEqualTo("stablehlo.triangular_solve");
        assertThat(e.location()).isEqualTo("model.py:12:3");
        assertThat(e.why()).contains("does not localise");
        assertThat(MlirPrinter.print(prog.module())).contains("stablehlo.all_gather");
    }

    /**
     * A reduce_window sharded along a windowed dimension whose halos would bring the whole dimension (a cumulative sum:
     * window 8, low padding 7, blocks of 2: device 3 needs 6 elements from the left, over 3 hops) gathers that dimension,
     * computes, slices the result, and the report says so by name, location and reason.
     */
    @Test
    void windowedDimensionIsGatheredAndReported() {
        String text = """
                module @rw attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func @main(%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "y"}, {}]>}) -> (tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "y"}, {}]>}) {
                    %c = stablehlo.constant {sdy.sharding = #sdy.sharding_per_value<[<@mesh, []>]>} dense<0.0> : tensor<f32>
                    %0 = "stablehlo.reduce_window"(%arg0, %c) <{window_dimensions = array<i64: 8, 1>, padding = dense<[[7, 0], [0, 0]]> : tensor<2x2xi64>}> ({
                    ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                      %s = stablehlo.add %a, %b : tensor<f32>
                      stablehlo.return %s : tensor<f32>
                    }) {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x", "y"}, {}]>]>} : (tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xf32> loc("model.py":12:3)
                    return %0 : tensor<8x4xf32>
                  }
                }
                """;
        PartitionedProgram prog = SpmdHarness.check(text, List.of(SpmdHarness.random(TensorType.of(FloatType.F32, 8, 4), new Random(4))));
        assertThat(prog.report().replicated()).isEmpty();
        assertThat(prog.report().entries()).hasSize(1);
        PartitionReport.Entry e = prog.report().entries().get(0);
        assertThat(e.kind()).isEqualTo(PartitionReport.Kind.COMPUTED_LESS_SHARDED);
        assertThat(e.op()).isEqualTo("stablehlo.reduce_window");
        assertThat(e.location()).isEqualTo("model.py:12:3");
        assertThat(e.why()).contains("dimension 0 gathered").contains("6 elements from the left").contains("blocks of 2")
                .contains("whole dimension of 8");
        String out = MlirPrinter.print(prog.module());
        assertThat(out).contains("stablehlo.all_gather").contains("(tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xf32>");
    }

    @Test
    void refusals() {
        String nondivisible = MATMUL.replace("<[\"x\"=2, \"y\"=2]>", "<[\"x\"=2, \"y\"=3]>").replace("num_partitions = 4", "num_partitions = 6");
        assertThatThrownBy(() -> Spmd.partition(MlirParser.parseModule(nondivisible, "m.mlir")))
                .isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("@main argument #0 (tensor<4x8xf32>): dimension 1 of size 8 is not divisible by mesh axes [\"y\"] with 3 shards");
        String unannotated = MATMUL.replace(" {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{\"x\"}, {\"y\"}]>]>}", "");
        assertThatThrownBy(() -> Spmd.partition(MlirParser.parseModule(unannotated, "m.mlir")))
                .hasMessageContaining("'stablehlo.dot_general' has no sdy.sharding for its 1 results");
    }

    /** A sort along a dimension the result wants split: sorted on whole rows, then sliced, and reported as such. */
    @Test
    void lessShardedIsReported() {
        String text = """
                module @s attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=4]>
                  func.func @main(%arg0: tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"x"}]>}) -> (tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"x"}]>}) {
                    %0 = "stablehlo.sort"(%arg0) <{dimension = 1 : i64, is_stable = true}> ({
                    ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                      %p = stablehlo.compare LT, %a, %b : (tensor<f32>, tensor<f32>) -> tensor<i1>
                      stablehlo.return %p : tensor<i1>
                    }) {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{}, {"x"}]>]>} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("sort.py":3:1)
                    return %0 : tensor<4x8xf32>
                  }
                }
                """;
        PartitionedProgram prog = SpmdHarness.check(text, List.of(SpmdHarness.random(TensorType.of(FloatType.F32, 4, 8), new Random(6))));
        assertThat(prog.report().entries()).hasSize(1);
        PartitionReport.Entry e = prog.report().entries().get(0);
        assertThat(e.kind()).isEqualTo(PartitionReport.Kind.COMPUTED_LESS_SHARDED);
        assertThat(e.location()).isEqualTo("sort.py:3:1");
        assertThat(e.why()).contains("result #0 computed as #sdy.sharding<@mesh, [{}, {}]> (1 blocks), then sliced to #sdy.sharding<@mesh, [{}, {\"x\"}]>");
    }

    /** Sub-axes: x=4 split as "x":(1)2 on rows and "x":(2)2 on columns; run with the runtime's SpmdRunner. */
    @Test
    void subAxes() {
        String text = """
                module @sub attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=4]>
                  func.func @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(1)2}, {"x":(2)2}]>}, %arg1: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(2)2}, {}]>}) -> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x":(1)2}, {}]>}) {
                    %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x":(1)2}, {}]>]>} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
                    %1 = stablehlo.add %0, %arg1 {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x"}, {}]>]>} : tensor<8x8xf32>
                    return %1 : tensor<8x8xf32>
                  }
                }
                """;
        Random rnd = new Random(8);
        List<HostArray> in = List.of(SpmdHarness.random(TensorType.of(FloatType.F32, 8, 8), rnd), SpmdHarness.random(TensorType.of(FloatType.F32, 8, 8), rnd));
        io.hlo4j.mlir.ir.Module global = MlirParser.parseModule(text, "sub.mlir");
        PartitionedProgram prog = Spmd.partition(global);
        io.hlo4j.mlir.verify.ModuleVerifier.verify(MlirParser.parseModule(MlirPrinter.print(prog.module()), "explicit.mlir"));
        var run = io.hlo4j.runtime.spmd.SpmdRunner.run(prog.module(), prog.mesh(), in, prog.argShardings(), prog.resultShardings(), prog.resultTypes());
        HostArray want = SpmdHarness.runGlobal(global, in).get(0);
        assertThat(run.results().get(0).allClose(want, 1e-5, 1e-6)).as(MlirPrinter.print(prog.module())).isTrue();
    }

    @Test
    void collectiveOutsideManualComputationIsRefused() {
        String text = """
                module @c attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @main(%arg0: tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}) -> (tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}) {
                    %0 = "stablehlo.all_to_all"(%arg0) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, concat_dimension = 0 : i64, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, split_count = 2 : i64, split_dimension = 0 : i64}> {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{}]>]>} : (tensor<4xf32>) -> tensor<4xf32>
                    return %0 : tensor<4xf32>
                  }
                }
                """;
        assertThatThrownBy(() -> Spmd.partition(MlirParser.parseModule(text, "c.mlir")))
                .hasMessageContaining("'stablehlo.all_to_all' is a collective outside a manual computation");
    }

    /**
     * A shard_map on a view mesh (e = (x, z), t = y, with the device_ids that make it a view of x=2, y=2, z=2):
     * blocks split over the folded axes are already where the view wants them, so only the body's all_gather
     * moves data. The program is globally the identity.
     */
    @Test
    void viewMeshMovesNoData() {
        String text = """
                module @view attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2, "z"=2]>
                  sdy.mesh @view = <["e"=4, "t"=2], device_ids=[0, 2, 1, 3, 4, 6, 5, 7]>
                  func.func @main(%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "z"}, {"y"}]>}) -> (tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "z"}, {}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@view, [{"e"}, {"t"}]>] out_shardings=[<@view, [{"e"}, {}]>] manual_axes={"e", "t"} (%arg1: tensor<2x2xf32>) {
                      %1 = "stablehlo.all_gather"(%arg1) <{all_gather_dim = 1 : i64, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 2], [1, 3], [4, 6], [5, 7]]> : tensor<4x2xi64>, use_global_device_ids}> : (tensor<2x2xf32>) -> tensor<2x4xf32>
                      sdy.return %1 : tensor<2x4xf32>
                    } : (tensor<8x4xf32>) -> tensor<8x4xf32>
                    return %0 : tensor<8x4xf32>
                  }
                }
                """;
        HostArray x = SpmdHarness.random(TensorType.of(FloatType.F32, 8, 4), new Random(10));
        PartitionedProgram prog = Spmd.partition(MlirParser.parseModule(text, "view.mlir"));
        assertThat(SpmdHarness.runPartitioned(prog, List.of(x)).get(0).toDoubleArray()).containsExactly(x.toDoubleArray());
        String out = MlirPrinter.print(prog.module());
        assertThat(out.split("stablehlo.all_gather", -1)).hasSize(2);
        assertThat(out).doesNotContain("all_to_all").doesNotContain("collective_permute").doesNotContain("dynamic_slice");
        // blocks that differ between the meshes are moved (written on one mesh, planned by the reshard planner)
        String moved = text.replace("tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"x\", \"z\"}, {\"y\"}]>}",
                "tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"y\"}, {\"x\"}]>}")
                .replace("-> (tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"x\", \"z\"}, {}]>})", "-> (tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"z\"}, {}]>})");
        assertThat(moved).isNotEqualTo(text);
        PartitionedProgram p2 = Spmd.partition(MlirParser.parseModule(moved, "view2.mlir"));
        assertThat(SpmdHarness.runPartitioned(p2, List.of(x)).get(0).toDoubleArray()).containsExactly(x.toDoubleArray());
        channelHandles(MlirPrinter.print(p2.module()));
    }

    /**
     * mlir-opt (LLVM 22) parses the explicit modules in generic form and prints them back identically: the syntax is
     * plain MLIR that XLA's importer reads. Skipped when mlir-opt is absent (required on CI).
     */
    @Test
    void mlirOptAcceptsTheExplicitModules() throws Exception {
        java.nio.file.Path mlirOpt = io.hlo4j.mlir.print.MlirOpt.find();
        if (mlirOpt == null) {
            if ("true".equals(System.getenv("CI"))) throw new AssertionError(io.hlo4j.mlir.print.MlirOpt.NOT_FOUND);
            org.junit.jupiter.api.Assumptions.abort(io.hlo4j.mlir.print.MlirOpt.NOT_FOUND);
        }
        for (String global : List.of(MATMUL, A2A, ExplicitFromAnnotatedTest.MLP)) {
            PartitionedProgram prog = Spmd.explicit(MlirParser.parseModule(global, "g.mlir"));
            String generic = MlirPrinter.print(prog.module(), io.hlo4j.mlir.print.PrintOptions.GENERIC);
            java.nio.file.Path f = java.nio.file.Files.createTempFile("hlo4j-explicit", ".mlir");
            java.nio.file.Files.writeString(f, generic);
            Process p = new ProcessBuilder(mlirOpt.toString(), "--allow-unregistered-dialect", "--mlir-print-op-generic", f.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out.strip()).isEqualTo(generic.strip());
            java.nio.file.Files.delete(f);
        }
    }

    /** Collectives nested in a loop of a shard_map body get fresh channel handles too; the loop sums 3 psums. */
    @Test
    void nestedCollectivesGetFreshHandles() {
        String text = """
                module @nested attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @main(%arg0: tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> (tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}]>] out_shardings=[<@mesh, [{"x"}]>] manual_axes={"x"} (%arg1: tensor<2xf32>) {
                      %c0 = stablehlo.constant dense<0> : tensor<i32>
                      %r:2 = stablehlo.while(%i = %c0, %a = %arg1) : tensor<i32>, tensor<2xf32>
                       cond {
                        %c3 = stablehlo.constant dense<3> : tensor<i32>
                        %p = stablehlo.compare LT, %i, %c3 : (tensor<i32>, tensor<i32>) -> tensor<i1>
                        stablehlo.return %p : tensor<i1>
                      } do {
                        %s = "stablehlo.all_reduce"(%arg1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, use_global_device_ids}> ({
                        ^bb0(%u: tensor<f32>, %v: tensor<f32>):
                          %w = stablehlo.add %u, %v : tensor<f32>
                          stablehlo.return %w : tensor<f32>
                        }) : (tensor<2xf32>) -> tensor<2xf32>
                        %n = stablehlo.add %a, %s : tensor<2xf32>
                        %one = stablehlo.constant dense<1> : tensor<i32>
                        %j = stablehlo.add %i, %one : tensor<i32>
                        stablehlo.return %j, %n : tensor<i32>, tensor<2xf32>
                      }
                      %g = "stablehlo.all_gather"(%r#1) <{all_gather_dim = 0 : i64, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, use_global_device_ids}> : (tensor<2xf32>) -> tensor<4xf32>
                      %h = stablehlo.slice %g [0:2] : (tensor<4xf32>) -> tensor<2xf32>
                      sdy.return %h : tensor<2xf32>
                    } : (tensor<4xf32>) -> tensor<4xf32>
                    return %0 : tensor<4xf32>
                  }
                }
                """;
        HostArray x = HostArray.fromDoubles(TensorType.of(FloatType.F32, 4), 1, 2, 3, 4);
        PartitionedProgram prog = Spmd.partition(MlirParser.parseModule(text, "nested.mlir"));
        // each device: its block + 3 * (x[0:2] + x[2:4]); then both devices keep device 0's block
        double[] got = SpmdHarness.runPartitioned(prog, List.of(x)).get(0).toDoubleArray();
        assertThat(got).containsExactly(1 + 3 * 4, 2 + 3 * 6, 1 + 3 * 4, 2 + 3 * 6);
        assertThat(channelHandles(MlirPrinter.print(prog.module()))).containsExactlyInAnyOrder(1L, 2L);
    }
}
