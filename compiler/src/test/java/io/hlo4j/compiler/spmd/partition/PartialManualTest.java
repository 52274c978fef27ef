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

import java.util.List;

import static io.hlo4j.compiler.spmd.partition.ManualFixtures.ADD;
import static io.hlo4j.compiler.spmd.partition.ManualFixtures.SUM_HALVES;
import static io.hlo4j.compiler.spmd.partition.ManualFixtures.input;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Partially manual {@code sdy.manual_computation} (shard_map with axis_names a subset of the mesh): partitioned with
 * Spmd.explicit, run on simulated devices, compared with the global meaning written without a manual computation and
 * run on one device; bytes against a hand count. Device id = row-major mesh position (x major).
 */
class PartialManualTest {
    private static SpmdRun run(String text, HostArray x, String oracle) {
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        assertThat(MlirPrinter.print(p.module())).doesNotContain("sdy.");
        SpmdRun run = SpmdRunner.run(p.module(), p.mesh(), List.of(x), p.argShardings(), p.resultShardings(), p.resultTypes());
        HostArray want = new Interpreter(MlirParser.parseModule(oracle, "oracle.mlir")).runHost("main", List.of(x)).get(0);
        assertThat(run.results().get(0).allClose(want, 1e-6, 1e-6)).as("equal to the global program on one device").isTrue();
        return run;
    }

    /** mesh x=2, y=2: psum over x inside a computation manual on x; the operand arrives sharded on y. */
    private static String psumOverX(String manualAxes, String groups) {
        return """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {}]>}) -> (tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{}, {}]>] manual_axes=MANUAL (%arg1: tensor<4x4xf32>) {
                      %1 = "stablehlo.all_reduce"(%arg1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = GROUPS, use_global_device_ids}> ADD : (tensor<4x4xf32>) -> tensor<4x4xf32>
                      sdy.return %1 : tensor<4x4xf32>
                    } : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    return %0 : tensor<4x4xf32>
                  }
                }
                """.replace("MANUAL", manualAxes).replace("GROUPS", groups).replace("ADD", ADD.strip());
    }

    private static final String X_GROUPS = "dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>";

    @Test
    void psumOverXWithOperandShardedOnY() {
        SpmdRun run = run(psumOverX("{\"x\"}", X_GROUPS), input(8, 4, 1), SUM_HALVES);
        // rows 4y..4y+4 held, rows 4x..4x+4 needed: devices 1 (x0,y1) and 2 (x1,y0) fetch one f32[4,4] block (64 B);
        // the psum is an all_reduce over x (g = 2) of 64 B: 2 (g-1)/g * 64 = 64 B on every device
        assertThat(run.log()).extracting(CollectiveRecord::op).last().isEqualTo("stablehlo.all_reduce");
        assertThat(run.log().getLast().groups()).containsExactly(List.of(0, 2), List.of(1, 3));
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(64, 128, 128, 64);
    }

    /** ppermute over x: the two row halves swap; pairs within each y column. */
    private static String permuteOverX(String pairs) {
        return """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2]>
                  func.func public @main(%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {}]>}) -> (tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{"x"}, {}]>] manual_axes={"x"} (%arg1: tensor<4x4xf32>) {
                      %1 = "stablehlo.collective_permute"(%arg1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, source_target_pairs = PAIRS}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
                      sdy.return %1 : tensor<4x4xf32>
                    } : (tensor<8x4xf32>) -> tensor<8x4xf32>
                    return %0 : tensor<8x4xf32>
                  }
                }
                """.replace("PAIRS", pairs);
    }

    @Test
    void ppermuteOverX() {
        String oracle = """
                module @oracle {
                  func.func public @main(%arg0: tensor<8x4xf32>) -> tensor<8x4xf32> {
                    %0 = stablehlo.slice %arg0 [0:4, 0:4] : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    %1 = stablehlo.slice %arg0 [4:8, 0:4] : (tensor<8x4xf32>) -> tensor<4x4xf32>
                    %2 = stablehlo.concatenate %1, %0, dim = 0 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
                    return %2 : tensor<8x4xf32>
                  }
                }
                """;
        SpmdRun run = run(permuteOverX("dense<[[0, 2], [2, 0], [1, 3], [3, 1]]> : tensor<4x2xi64>"), input(8, 4, 4), oracle);
        // entry as in the psum (64 B on devices 1 and 2), then every device receives its partner's f32[4,4] (64 B)
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(64, 128, 128, 64);
    }

    @Test
    void refusesAPermutePairAcrossTheFreeAxis() {
        String msg = refusal(permuteOverX("dense<[[0, 1], [1, 0], [2, 3], [3, 2]]> : tensor<4x2xi64>"));
        assertThat(msg).isEqualTo("f.mlir:5:7: " + WHAT + ": 'stablehlo.collective_permute' source_target_pairs pair [0, 1] joins devices "
                + "on different coordinates of free axes [y]; a collective in the body may only span manual axes");
    }

    /** With no free axis in it, the partial computation is the fully manual one with the operand replicated over y. */
    @Test
    void sameExplicitModuleAsTheFullyManualProgram() {
        String partial = MlirPrinter.print(Spmd.explicit(MlirParser.parseModule(psumOverX("{\"x\"}", X_GROUPS), "p.mlir")).module());
        String full = MlirPrinter.print(Spmd.explicit(MlirParser.parseModule(psumOverX("{\"x\", \"y\"}", X_GROUPS), "f.mlir")).module());
        assertThat(partial).isEqualTo(full);
    }

    /**
     * mesh x=2, y=2, z=2 (device 4x + 2y + z), manual on {x, z}: all_gather over x then all_to_all over z rebuilds X
     * split by rows on z; the operand arrives sharded [{y}, {z}], the result leaves replicated over y.
     */
    private static final String GATHER_A2A_XZ = """
            module @jit_f attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=2, "y"=2, "z"=2]>
              func.func public @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {"z"}]>}) -> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"z"}, {}]>}) {
                %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {"z"}]>] out_shardings=[<@mesh, [{"z"}, {}]>] manual_axes={"x", "z"} (%arg1: tensor<4x4xf32>) {
                  %1 = "stablehlo.all_gather"(%arg1) <{all_gather_dim = 0 : i64, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 4], [1, 5], [2, 6], [3, 7]]> : tensor<4x2xi64>, use_global_device_ids}> : (tensor<4x4xf32>) -> tensor<8x4xf32>
                  %2 = "stablehlo.all_to_all"(%1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, concat_dimension = 1 : i64, replica_groups = dense<[[0, 1], [2, 3], [4, 5], [6, 7]]> : tensor<4x2xi64>, split_count = 2 : i64, split_dimension = 0 : i64}> : (tensor<8x4xf32>) -> tensor<4x8xf32>
                  %3 = stablehlo.negate %2 : tensor<4x8xf32>
                  sdy.return %3 : tensor<4x8xf32>
                } : (tensor<8x8xf32>) -> tensor<8x8xf32>
                return %0 : tensor<8x8xf32>
              }
            }
            """;

    @Test
    void allGatherAndAllToAllManualOnXAndZ() {
        String oracle = """
                module @oracle {
                  func.func public @main(%arg0: tensor<8x8xf32>) -> tensor<8x8xf32> {
                    %0 = stablehlo.negate %arg0 : tensor<8x8xf32>
                    return %0 : tensor<8x8xf32>
                  }
                }
                """;
        SpmdRun run = run(GATHER_A2A_XZ, input(8, 8, 2), oracle);
        // entry: f32[4,4] blocks (64 B), same z on both sides; devices with x != y (2, 3, 4, 5) fetch theirs.
        // all_gather over x (g = 2) to f32[8,4] (128 B): 64 B each; all_to_all over z (g = 2) of 128 B: 64 B each
        assertThat(run.log()).extracting(CollectiveRecord::op).endsWith("stablehlo.all_gather", "stablehlo.all_to_all");
        assertThat(run.bytesReceivedPerDevice(8)).containsExactly(128, 128, 192, 192, 192, 192, 128, 128);
    }

    /**
     * psum over {x, z} as JAX writes {@code shard_map(f, mesh, in_specs=P("x", "z"), out_specs=P(), axis_names={"x", "z"})}
     * under {@code jit(in_shardings=P("x", "z"))}: the argument sharded as in_specs, every dimension of in/out_shardings
     * open (partially manual), groups of the four devices sharing y; the four f32[4,4] blocks of X summed.
     */
    private static String psumOverXAndZ(String argSharding) {
        return """
                module @jit_f attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2, "z"=2]>
                  func.func public @main(%arg0: tensor<8x8xf32>ARG) -> (tensor<4x4xf32> {jax.result_info = "result"}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x", ?}, {"z", ?}]>] out_shardings=[<@mesh, [{?}, {?}]>] manual_axes={"x", "z"} (%arg1: tensor<4x4xf32>) {
                      %1 = "stablehlo.all_reduce"(%arg1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1, 4, 5], [2, 3, 6, 7]]> : tensor<2x4xi64>, use_global_device_ids}> ADD : (tensor<4x4xf32>) -> tensor<4x4xf32>
                      sdy.return %1 : tensor<4x4xf32>
                    } : (tensor<8x8xf32>) -> tensor<4x4xf32>
                    return %0 : tensor<4x4xf32>
                  }
                }
                """.replace("ADD", ADD.strip()).replace("ARG", argSharding);
    }

    private static final String SUM_QUARTERS = """
            module @oracle {
              func.func public @main(%arg0: tensor<8x8xf32>) -> tensor<4x4xf32> {
                %0 = stablehlo.slice %arg0 [0:4, 0:4] : (tensor<8x8xf32>) -> tensor<4x4xf32>
                %1 = stablehlo.slice %arg0 [0:4, 4:8] : (tensor<8x8xf32>) -> tensor<4x4xf32>
                %2 = stablehlo.slice %arg0 [4:8, 0:4] : (tensor<8x8xf32>) -> tensor<4x4xf32>
                %3 = stablehlo.slice %arg0 [4:8, 4:8] : (tensor<8x8xf32>) -> tensor<4x4xf32>
                %4 = stablehlo.add %0, %1 : tensor<4x4xf32>
                %5 = stablehlo.add %2, %3 : tensor<4x4xf32>
                %6 = stablehlo.add %4, %5 : tensor<4x4xf32>
                return %6 : tensor<4x4xf32>
              }
            }
            """;

    @Test
    void psumOverXAndZ() {
        SpmdRun run = run(psumOverXAndZ(" {sdy.sharding = #sdy.sharding<@mesh, [{\"x\"}, {\"z\"}]>}"), input(8, 8, 3), SUM_QUARTERS);
        assertThat(run.log()).extracting(CollectiveRecord::op).containsExactly("stablehlo.all_reduce");
        assertThat(run.log().getLast().groups()).containsExactly(List.of(0, 1, 4, 5), List.of(2, 3, 6, 7));
        // every device already holds its f32[4,4] block; all_reduce over 4 devices of 64 B: 2 * 3/4 * 64 = 96 B each
        assertThat(run.bytesReceivedPerDevice(8)).containsExactly(96, 96, 96, 96, 96, 96, 96, 96);
    }

    /** The same with jit's in_shardings unspecified (no sharding on @main): propagation takes the argument's from in_shardings. */
    @Test
    void psumOverXAndZWithTheArgumentUnannotated() {
        SpmdRun run = run(psumOverXAndZ(""), input(8, 8, 3), SUM_QUARTERS);
        assertThat(run.log()).extracting(CollectiveRecord::op).containsExactly("stablehlo.all_reduce");
        assertThat(run.bytesReceivedPerDevice(8)).containsExactly(96, 96, 96, 96, 96, 96, 96, 96);
    }

    // ---- refusals ----

    private static String refusal(String text) {
        try {
            Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        } catch (Hlo4jException e) {
            return e.format();
        }
        throw new AssertionError("not refused:\n" + text);
    }

    private static final String WHAT = "sdy.manual_computation manual on [x] of mesh @mesh axes [x, y] (free axes [y])";

    @Test
    void refusesAGroupAcrossTheFreeAxis() {
        String msg = refusal(psumOverX("{\"x\"}", "dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>"));
        assertThat(msg).isEqualTo("f.mlir:5:7: " + WHAT + ": 'stablehlo.all_reduce' replica_groups group [0, 1, 2, 3] joins devices on "
                + "different coordinates of free axes [y]; a collective in the body may only span manual axes");
    }

    @Test
    void refusesAManualAxisAfterAFreeAxis() {
        String text = psumOverX("{\"x\"}", X_GROUPS).replace("in_shardings=[<@mesh, [{\"x\"}, {}]>]", "in_shardings=[<@mesh, [{\"y\", \"x\"}, {}]>]");
        assertThat(refusal(text)).isEqualTo("f.mlir:4:5: " + WHAT + ": in_shardings #0 #sdy.sharding<@mesh, [{\"y\", \"x\"}, {}]> dimension 0 puts "
                + "manual axis \"x\" after a free axis; manual axes come first in each dimension");
    }

    @Test
    void refusesAManualAxisInsideTheBody() {
        String text = psumOverX("{\"x\"}", X_GROUPS).replace("sdy.return %1", "%c = sdy.sharding_constraint %1 <@mesh, [{\"x\"}, {}]> : tensor<4x4xf32>\n      sdy.return %c");
        assertThat(refusal(text)).startsWith("f.mlir:10:7: ").endsWith(WHAT + ": 'sdy.sharding_constraint' sharding #sdy.sharding<@mesh, [{\"x\"}, {}]> "
                + "names manual axes [x]; inside the body a sharding may name free axes only");
    }

    private static String nested(String inShardings, String manualAxes) {
        String inner = """
                %n = sdy.manual_computation(%1) in_shardings=[<@mesh, IN>] out_shardings=[<@mesh, [{}, {}]>] manual_axes=MANUAL (%l: tensor<4x4xf32>) {
                        sdy.return %l : tensor<4x4xf32>
                      } : (tensor<4x4xf32>) -> tensor<4x4xf32>
                      sdy.return %n""".replace("IN", inShardings).replace("MANUAL", manualAxes);
        return psumOverX("{\"x\"}", X_GROUPS).replace("sdy.return %1", inner.strip());
    }

    @Test
    void refusesANestedComputationNamingAnAxisTheOuterMadeManual() {
        assertThat(refusal(nested("[{\"x\"}, {}]", "{\"y\"}"))).isEqualTo("f.mlir:10:7: sdy.manual_computation manual on [y] inside one manual on [x] "
                + "of mesh @mesh axes [x, y] (free axes []): in_shardings #0 #sdy.sharding<@mesh, [{\"x\"}, {}]> names axes [x] that an "
                + "enclosing sdy.manual_computation already made manual; an inner computation may only name axes left free");
    }

    @Test
    void refusesANestedComputationManualOnAnAxisAlreadyManual() {
        assertThat(refusal(nested("[{}, {}]", "{\"x\"}"))).isEqualTo("f.mlir:10:7: sdy.manual_computation manual on [x] inside one manual on [x] "
                + "of mesh @mesh axes [x, y] (free axes [y]): manual_axes [x] are already manual in an enclosing sdy.manual_computation; "
                + "a nested one makes manual only axes its enclosing ones left free");
    }
}
