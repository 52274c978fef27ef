package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.spmd.partition.ManualFixtures.ADD;
import static io.hlo4j.compiler.spmd.partition.ManualFixtures.SUM_HALVES;
import static io.hlo4j.compiler.spmd.partition.ManualFixtures.input;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Partially manual {@code sdy.manual_computation} whose body is sharded on its free axes, and manual computations
 * nested in one: partitioned with Spmd.explicit, run on simulated devices, compared with the global meaning written
 * without a manual computation and run on one device; bytes against a hand count (f32: 4 B an element; all_reduce
 * over g devices receives 2 (g-1)/g of the block, all_gather (g-1)/g of the result). Device id = row-major mesh
 * position (x major): on x=2, y=2 device 2x + y; on x=2, y=2, z=2 device 4x + 2y + z.
 */
class PartialManualFreeAxesTest {
    /** psum over x on x=2, y=2: groups of the devices sharing y. */
    static String psumX(String operand, String type) {
        return "\"stablehlo.all_reduce\"(" + operand + ") <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, "
                + "replica_groups = dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>, use_global_device_ids}> " + ADD.strip()
                + " : (" + type + ") -> " + type;
    }

    static SpmdRun run(String text, List<HostArray> in, String oracle) {
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        String printed = MlirPrinter.print(p.module());
        assertThat(printed).doesNotContain("sdy.");
        // the explicit module parses back and verifies
        io.hlo4j.mlir.verify.ModuleVerifier.verify(MlirParser.parseModule(printed, "explicit.mlir"));
        SpmdRun run = SpmdRunner.run(p.module(), p.mesh(), in, p.argShardings(), p.resultShardings(), p.resultTypes());
        List<HostArray> want = new Interpreter(MlirParser.parseModule(oracle, "oracle.mlir")).runHost("main", in);
        for (int i = 0; i < want.size(); i++) {
            assertThat(run.results().get(i).allClose(want.get(i), 1e-5, 1e-5)).as("result #%d equal to the global program on one device\n%s", i, printed).isTrue();
        }
        assertThat(p.report().entries()).as("nothing computed replicated or less sharded").isEmpty();
        return run;
    }

    static List<String> ops(SpmdRun run) {
        List<String> out = new ArrayList<>();
        for (CollectiveRecord r : run.log()) out.add(r.op());
        return out;
    }

    /** in_shardings split the body's argument on the free axis y: the psum over x runs on f32[4,2] blocks. */
    @Test
    void psumOverXOnBlocksSplitOnFreeY() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) -> (tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {"y"}]>] out_shardings=[<@mesh, [{}, {"y"}]>] manual_axes={"x"} (%arg1: tensor<4x4xf32>) {
                      %1 = PSUM
                      sdy.return %1 : tensor<4x4xf32>
                    } : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    return %0 : tensor<4x4xf32>
                  }
                }
                """.replace("PSUM", psumX("%arg1", "tensor<4x4xf32>"));
        SpmdRun run = run(text, List.of(input(8, 4, 1)), SUM_HALVES);
        // no move in or out; the psum: all_reduce over x of f32[4,2] (32 B): 2 * 1/2 * 32 = 32 B on every device
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce");
        assertThat(run.log().getFirst().groups()).containsExactly(List.of(0, 2), List.of(1, 3));
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(32, 32, 32, 32);
    }

    /**
     * JAX's form (every dimension of in/out_shardings open, in_specs naming the manual axis only) with the argument
     * split on (x, y): the open dimensions take y from the operand and from the body's result, as Shardy's propagation
     * does, so the body runs on f32[2,4] rows and nothing is gathered on the way in or out.
     */
    @Test
    void openShardingsTakeTheFreeAxisFromTheOperandAndTheResult() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "y"}, {}]>}) -> (tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x", ?}, {?}]>] out_shardings=[<@mesh, [{?}, {?}]>] manual_axes={"x"} (%arg1: tensor<4x4xf32>) {
                      %1 = PSUM
                      sdy.return %1 : tensor<4x4xf32>
                    } : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    return %0 : tensor<4x4xf32>
                  }
                }
                """.replace("PSUM", psumX("%arg1", "tensor<4x4xf32>"));
        SpmdRun run = run(text, List.of(input(8, 4, 12)), SUM_HALVES);
        // only the psum: all_reduce over x of f32[2,4] (32 B): 32 B each (with the open dimensions left as written:
        // a gather over y on the way in and a psum of f32[4,4], 96 B)
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce");
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(32, 32, 32, 32);
    }

    /**
     * A body that computes on its free axis: rows of the manual-local X split on y (in_shardings {"x", "y"}), a matmul
     * with a replicated W and tanh on those rows (propagated through the body), then a psum over x.
     */
    @Test
    void matmulInTheBodySplitOnFreeY() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "y"}, {}]>}, %arg1: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {}]>}) -> (tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {}]>}) {
                    %0 = sdy.manual_computation(%arg0, %arg1) in_shardings=[<@mesh, [{"x", "y"}, {}]>, <@mesh, [{}, {}]>] out_shardings=[<@mesh, [{"y"}, {}]>] manual_axes={"x"} (%a: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
                      %1 = stablehlo.dot_general %a, %w, contracting_dims = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
                      %2 = stablehlo.tanh %1 : tensor<4x4xf32>
                      %3 = PSUM
                      sdy.return %3 : tensor<4x4xf32>
                    } : (tensor<8x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
                    return %0 : tensor<4x4xf32>
                  }
                }
                """.replace("PSUM", psumX("%2", "tensor<4x4xf32>"));
        String oracle = """
                module @oracle {
                  func.func public @main(%x: tensor<8x8xf32>, %w: tensor<8x4xf32>) -> tensor<4x4xf32> {
                    %0 = stablehlo.slice %x [0:4, 0:8] : (tensor<8x8xf32>) -> tensor<4x8xf32>
                    %1 = stablehlo.slice %x [4:8, 0:8] : (tensor<8x8xf32>) -> tensor<4x8xf32>
                    %2 = stablehlo.dot_general %0, %w, contracting_dims = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
                    %3 = stablehlo.dot_general %1, %w, contracting_dims = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
                    %4 = stablehlo.tanh %2 : tensor<4x4xf32>
                    %5 = stablehlo.tanh %3 : tensor<4x4xf32>
                    %6 = stablehlo.add %4, %5 : tensor<4x4xf32>
                    return %6 : tensor<4x4xf32>
                  }
                }
                """;
        SpmdRun run = run(text, List.of(input(8, 8, 2), input(8, 4, 3)), oracle);
        // each device: f32[2,8] x f32[8,4] locally, then all_reduce over x of f32[2,4] (32 B): 32 B each
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce");
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(32, 32, 32, 32);
    }

    /**
     * An all_gather over x along a dimension the body holds split on the free axis y: that dimension is gathered over
     * y first (the collective needs it whole), then over x.
     */
    @Test
    void allGatherAlongADimensionSplitOnFreeY() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) -> (tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {"y"}]>] out_shardings=[<@mesh, [{"x"}, {}]>] manual_axes={"x"} (%arg1: tensor<4x8xf32>) {
                      %1 = "stablehlo.all_gather"(%arg1) <{all_gather_dim = 1 : i64, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>, use_global_device_ids}> : (tensor<4x8xf32>) -> tensor<4x16xf32>
                      sdy.return %1 : tensor<4x16xf32>
                    } : (tensor<8x8xf32>) -> tensor<8x16xf32>
                    return %0 : tensor<8x16xf32>
                  }
                }
                """;
        String oracle = """
                module @oracle {
                  func.func public @main(%x: tensor<8x8xf32>) -> tensor<8x16xf32> {
                    %0 = stablehlo.slice %x [0:4, 0:8] : (tensor<8x8xf32>) -> tensor<4x8xf32>
                    %1 = stablehlo.slice %x [4:8, 0:8] : (tensor<8x8xf32>) -> tensor<4x8xf32>
                    %2 = stablehlo.concatenate %0, %1, dim = 1 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x16xf32>
                    %3 = stablehlo.concatenate %2, %2, dim = 0 : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<8x16xf32>
                    return %3 : tensor<8x16xf32>
                  }
                }
                """;
        SpmdRun run = run(text, List.of(input(8, 8, 4)), oracle);
        // the f32[4,4] block (64 B) gathered over y to f32[4,8]: 64 B; the body's all_gather over x of f32[4,8] (128 B)
        // to f32[4,16]: 128 B; 192 B on every device, and no move out (the result is f32[4,16] under {"x"})
        assertThat(ops(run)).containsExactly("stablehlo.all_gather", "stablehlo.all_gather");
        assertThat(run.log().get(0).groups()).as("the first gathers over y").containsExactly(List.of(0, 1), List.of(2, 3));
        assertThat(run.log().get(1).groups()).as("the body's over x").containsExactly(List.of(0, 2), List.of(1, 3));
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(192, 192, 192, 192);
    }

    /**
     * all_to_all over x splitting columns the body holds split on y: the columns are gathered over y first (the op
     * splits them), then each device sends half its f32[4,8] block (64 B) and keeps the other.
     */
    @Test
    void allToAllSplittingADimensionSplitOnFreeY() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) -> (tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {"y"}]>] out_shardings=[<@mesh, [{"x"}, {"y"}]>] manual_axes={"x"} (%arg1: tensor<4x8xf32>) {
                      %1 = "stablehlo.all_to_all"(%arg1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, concat_dimension = 0 : i64, replica_groups = dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>, split_count = 2 : i64, split_dimension = 1 : i64}> : (tensor<4x8xf32>) -> tensor<8x4xf32>
                      sdy.return %1 : tensor<8x4xf32>
                    } : (tensor<8x8xf32>) -> tensor<16x4xf32>
                    return %0 : tensor<16x4xf32>
                  }
                }
                """;
        String oracle = """
                module @oracle {
                  func.func public @main(%x: tensor<8x8xf32>) -> tensor<16x4xf32> {
                    %0 = stablehlo.slice %x [0:8, 0:4] : (tensor<8x8xf32>) -> tensor<8x4xf32>
                    %1 = stablehlo.slice %x [0:8, 4:8] : (tensor<8x8xf32>) -> tensor<8x4xf32>
                    %2 = stablehlo.concatenate %0, %1, dim = 0 : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<16x4xf32>
                    return %2 : tensor<16x4xf32>
                  }
                }
                """;
        SpmdRun run = run(text, List.of(input(8, 8, 8)), oracle);
        // gather over y: f32[4,4] (64 B); all_to_all over x of f32[4,8]: half of it (64 B); the f32[8,4] result is then
        // sliced on y where it is: 128 B on every device
        assertThat(ops(run)).containsExactly("stablehlo.all_gather", "stablehlo.all_to_all");
        assertThat(run.log().get(1).groups()).containsExactly(List.of(0, 2), List.of(1, 3));
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(128, 128, 128, 128);
    }

    /**
     * psum_scatter over x along rows the body holds split on y: the rows are gathered over y first (the op scatters
     * them), then reduce_scatter over x of f32[8,4] (128 B) receives half of it.
     */
    @Test
    void reduceScatterAlongADimensionSplitOnFreeY() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "y"}, {}]>}) -> (tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x", "y"}, {}]>] out_shardings=[<@mesh, [{"x"}, {}]>] manual_axes={"x"} (%arg1: tensor<8x4xf32>) {
                      %1 = "stablehlo.reduce_scatter"(%arg1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>, scatter_dimension = 0 : i64, use_global_device_ids}> ADD : (tensor<8x4xf32>) -> tensor<4x4xf32>
                      sdy.return %1 : tensor<4x4xf32>
                    } : (tensor<16x4xf32>) -> tensor<8x4xf32>
                    return %0 : tensor<8x4xf32>
                  }
                }
                """.replace("ADD", ADD.strip());
        String oracle = """
                module @oracle {
                  func.func public @main(%x: tensor<16x4xf32>) -> tensor<8x4xf32> {
                    %0 = stablehlo.slice %x [0:8, 0:4] : (tensor<16x4xf32>) -> tensor<8x4xf32>
                    %1 = stablehlo.slice %x [8:16, 0:4] : (tensor<16x4xf32>) -> tensor<8x4xf32>
                    %2 = stablehlo.add %0, %1 : tensor<8x4xf32>
                    return %2 : tensor<8x4xf32>
                  }
                }
                """;
        SpmdRun run = run(text, List.of(input(16, 4, 9)), oracle);
        // gather over y: f32[4,4] (64 B); reduce_scatter over x of f32[8,4] (128 B): 1/2 of it (64 B): 128 B each
        assertThat(ops(run)).containsExactly("stablehlo.all_gather", "stablehlo.reduce_scatter");
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(128, 128, 128, 128);
    }

    /** A while loop in a body split on y, a psum over x in the loop body: twice, so 2 (X0 + X1). */
    @Test
    void whileLoopWithAPsumInABodySplitOnFreeY() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "y"}, {}]>}) -> (tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x", "y"}, {}]>] out_shardings=[<@mesh, [{"y"}, {}]>] manual_axes={"x"} (%arg1: tensor<4x4xf32>) {
                      %c0 = stablehlo.constant dense<0> : tensor<i32>
                      %w:2 = stablehlo.while(%i = %c0, %v = %arg1) : tensor<i32>, tensor<4x4xf32>
                      cond {
                        %two = stablehlo.constant dense<2> : tensor<i32>
                        %lt = stablehlo.compare LT, %i, %two : (tensor<i32>, tensor<i32>) -> tensor<i1>
                        stablehlo.return %lt : tensor<i1>
                      } do {
                        %one = stablehlo.constant dense<1> : tensor<i32>
                        %n = stablehlo.add %i, %one : tensor<i32>
                        %s = PSUM
                        stablehlo.return %n, %s : tensor<i32>, tensor<4x4xf32>
                      }
                      sdy.return %w#1 : tensor<4x4xf32>
                    } : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    return %0 : tensor<4x4xf32>
                  }
                }
                """.replace("PSUM", psumX("%v", "tensor<4x4xf32>"));
        String oracle = """
                module @oracle {
                  func.func public @main(%arg0: tensor<8x4xf32>) -> tensor<4x4xf32> {
                    %0 = stablehlo.slice %arg0 [0:4, 0:4] : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    %1 = stablehlo.slice %arg0 [4:8, 0:4] : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    %2 = stablehlo.add %0, %1 : tensor<4x4xf32>
                    %3 = stablehlo.add %2, %2 : tensor<4x4xf32>
                    return %3 : tensor<4x4xf32>
                  }
                }
                """;
        SpmdRun run = run(text, List.of(input(8, 4, 10)), oracle);
        // two all_reduces over x of f32[2,4] (32 B each): 2 * 32 = 64 B on every device
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce", "stablehlo.all_reduce");
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(64, 64, 64, 64);
    }

    /** A sharding constraint on the free axis inside the body: the psum's result is split by rows on y. */
    @Test
    void shardingConstraintOnFreeYInsideTheBody() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> (tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x", ?}, {?}]>] out_shardings=[<@mesh, [{"y"}, {}]>] manual_axes={"x"} (%arg1: tensor<4x4xf32>) {
                      %c = sdy.sharding_constraint %arg1 <@mesh, [{"y"}, {}]> : tensor<4x4xf32>
                      %1 = PSUM
                      %2 = stablehlo.exponential %1 : tensor<4x4xf32>
                      sdy.return %2 : tensor<4x4xf32>
                    } : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    return %0 : tensor<4x4xf32>
                  }
                }
                """.replace("PSUM", psumX("%c", "tensor<4x4xf32>"));
        String oracle = """
                module @oracle {
                  func.func public @main(%arg0: tensor<8x4xf32>) -> tensor<4x4xf32> {
                    %0 = stablehlo.slice %arg0 [0:4, 0:4] : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    %1 = stablehlo.slice %arg0 [4:8, 0:4] : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    %2 = stablehlo.add %0, %1 : tensor<4x4xf32>
                    %3 = stablehlo.exponential %2 : tensor<4x4xf32>
                    return %3 : tensor<4x4xf32>
                  }
                }
                """;
        SpmdRun run = run(text, List.of(input(8, 4, 5)), oracle);
        // the constraint is a local slice of rows; the psum is an all_reduce over x of f32[2,4] (32 B): 32 B each
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce");
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(32, 32, 32, 32);
    }

    /**
     * Nested: the outer computation is manual on x, the inner on y (left free by the outer), so the inner body is
     * manual on every axis; the outer squares the inner's result on its blocks split on y.
     */
    @Test
    void nestedManualOnXThenY() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) -> (tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {"y"}]>] out_shardings=[<@mesh, [{}, {"y"}]>] manual_axes={"x"} (%a: tensor<4x8xf32>) {
                      %1 = sdy.manual_computation(%a) in_shardings=[<@mesh, [{}, {"y"}]>] out_shardings=[<@mesh, [{}, {"y"}]>] manual_axes={"y"} (%b: tensor<4x4xf32>) {
                        %2 = PSUM
                        sdy.return %2 : tensor<4x4xf32>
                      } : (tensor<4x8xf32>) -> tensor<4x8xf32>
                      %3 = stablehlo.multiply %1, %1 : tensor<4x8xf32>
                      sdy.return %3 : tensor<4x8xf32>
                    } : (tensor<8x8xf32>) -> tensor<4x8xf32>
                    return %0 : tensor<4x8xf32>
                  }
                }
                """.replace("PSUM", psumX("%b", "tensor<4x4xf32>"));
        String oracle = """
                module @oracle {
                  func.func public @main(%x: tensor<8x8xf32>) -> tensor<4x8xf32> {
                    %0 = stablehlo.slice %x [0:4, 0:8] : (tensor<8x8xf32>) -> tensor<4x8xf32>
                    %1 = stablehlo.slice %x [4:8, 0:8] : (tensor<8x8xf32>) -> tensor<4x8xf32>
                    %2 = stablehlo.add %0, %1 : tensor<4x8xf32>
                    %3 = stablehlo.multiply %2, %2 : tensor<4x8xf32>
                    return %3 : tensor<4x8xf32>
                  }
                }
                """;
        SpmdRun run = run(text, List.of(input(8, 8, 6)), oracle);
        // blocks stay where they are; the inner psum: all_reduce over x of f32[4,4] (64 B): 64 B each
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce");
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(64, 64, 64, 64);
    }

    /**
     * Nested on x=2, y=2, z=2: the outer manual on x, the inner on y, z free in both. The inner body's blocks are split
     * on z; its psum over x and all_gather over y (rows, not split on z) run on them; the outer squares the result.
     */
    @Test
    void nestedManualOnXThenYWithZFree() {
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2, "z"=2]>
                  func.func public @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y", "z"}]>}) -> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y", "z"}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {"y", "z"}]>] out_shardings=[<@mesh, [{}, {"y", "z"}]>] manual_axes={"x"} (%a: tensor<4x8xf32>) {
                      %1 = sdy.manual_computation(%a) in_shardings=[<@mesh, [{}, {"y", "z"}]>] out_shardings=[<@mesh, [{}, {"y", "z"}]>] manual_axes={"y"} (%b: tensor<4x4xf32>) {
                        %2 = "stablehlo.all_reduce"(%b) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 4], [1, 5], [2, 6], [3, 7]]> : tensor<4x2xi64>, use_global_device_ids}> ADD : (tensor<4x4xf32>) -> tensor<4x4xf32>
                        %3 = "stablehlo.all_gather"(%2) <{all_gather_dim = 0 : i64, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 2], [1, 3], [4, 6], [5, 7]]> : tensor<4x2xi64>, use_global_device_ids}> : (tensor<4x4xf32>) -> tensor<8x4xf32>
                        sdy.return %3 : tensor<8x4xf32>
                      } : (tensor<4x8xf32>) -> tensor<8x8xf32>
                      %4 = stablehlo.multiply %1, %1 : tensor<8x8xf32>
                      sdy.return %4 : tensor<8x8xf32>
                    } : (tensor<8x8xf32>) -> tensor<8x8xf32>
                    return %0 : tensor<8x8xf32>
                  }
                }
                """.replace("ADD", ADD.strip());
        String oracle = """
                module @oracle {
                  func.func public @main(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
                    %0 = stablehlo.slice %x [0:4, 0:8] : (tensor<8x8xf32>) -> tensor<4x8xf32>
                    %1 = stablehlo.slice %x [4:8, 0:8] : (tensor<8x8xf32>) -> tensor<4x8xf32>
                    %s = stablehlo.add %0, %1 : tensor<4x8xf32>
                    %s0 = stablehlo.slice %s [0:4, 0:4] : (tensor<4x8xf32>) -> tensor<4x4xf32>
                    %s1 = stablehlo.slice %s [0:4, 4:8] : (tensor<4x8xf32>) -> tensor<4x4xf32>
                    %g = stablehlo.concatenate %s0, %s1, dim = 0 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
                    %h = stablehlo.concatenate %g, %g, dim = 1 : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x8xf32>
                    %r = stablehlo.multiply %h, %h : tensor<8x8xf32>
                    return %r : tensor<8x8xf32>
                  }
                }
                """;
        SpmdRun run = run(text, List.of(input(8, 8, 7)), oracle);
        // blocks f32[4,2] (32 B) stay in place; psum over x: 2 * 1/2 * 32 = 32 B; all_gather over y to f32[8,2]: 32 B
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce", "stablehlo.all_gather");
        assertThat(run.bytesReceivedPerDevice(8)).containsExactly(64, 64, 64, 64, 64, 64, 64, 64);
    }

    /**
     * Reshards inside a body between random layouts over the free axes (y and z, manual x between them in the mesh so
     * device ids interleave the manual coordinate): in_shardings, a constraint and out_shardings each put y and z on
     * random dimensions after the manual prefix. Globally the program is a negation; every device must end with its
     * own manual block, never a block of another x coordinate (which holds different values).
     */
    @Test
    void reshardsBetweenRandomFreeLayoutsStayOnTheirManualCoordinate() {
        String oracle = """
                module @oracle {
                  func.func public @main(%x: tensor<16x8xf32>) -> tensor<16x8xf32> {
                    %0 = stablehlo.negate %x : tensor<16x8xf32>
                    return %0 : tensor<16x8xf32>
                  }
                }
                """;
        Random rnd = new Random(11);
        for (int trial = 0; trial < 12; trial++) {
            String in = layout(rnd, true), mid = layout(rnd, false), out = layout(rnd, true), arg = layout(rnd, true);
            String text = """
                    module @jit_f attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                      sdy.mesh @mesh = <["y"=2, "x"=2, "z"=2]>
                      func.func public @main(%arg0: tensor<16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, ARG>}) -> (tensor<16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, OUT>}) {
                        %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, IN>] out_shardings=[<@mesh, OUT>] manual_axes={"x"} (%arg1: tensor<8x8xf32>) {
                          %c = sdy.sharding_constraint %arg1 <@mesh, MID> : tensor<8x8xf32>
                          %1 = stablehlo.negate %c : tensor<8x8xf32>
                          sdy.return %1 : tensor<8x8xf32>
                        } : (tensor<16x8xf32>) -> tensor<16x8xf32>
                        return %0 : tensor<16x8xf32>
                      }
                    }
                    """.replace("ARG", arg).replace("IN", in).replace("MID", mid).replace("OUT", out);
            try {
                run(text, List.of(input(16, 8, 20 + trial)), oracle);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("trial " + trial + ": in " + in + ", mid " + mid + ", out " + out + ": " + e.getMessage(), e);
            }
        }
    }

    /** A random order of y and z over two dimensions (x first on dimension 0 when {@code manual}). */
    private static String layout(Random rnd, boolean manual) {
        List<List<String>> dims = List.of(new ArrayList<>(manual ? List.of("x") : List.of()), new ArrayList<>());
        List<String> free = new ArrayList<>(List.of("y", "z"));
        java.util.Collections.shuffle(free, rnd);
        for (String a : free) {
            int d = rnd.nextInt(3);
            if (d < 2) dims.get(d).add(a);
        }
        return Prog.sharding(dims).substring("<@mesh, ".length(), Prog.sharding(dims).length() - 1);
    }
}
