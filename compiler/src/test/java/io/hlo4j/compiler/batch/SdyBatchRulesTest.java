package io.hlo4j.compiler.batch;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.SpmdRunner;
import io.hlo4j.runtime.testing.BatchAxis;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.check;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shardy ops under vmap: the batch dimension is unsharded ({@code {}}) in every sharding and per-dimension axis list.
 * Pass-through ops against the per-example runs on the interpreter; manual_computation partitioned by
 * {@link Spmd#explicit} and run on 2 (resp. 4) simulated devices, against the unbatched program partitioned and run
 * per example.
 */
class SdyBatchRulesTest {
    private static final int NONE = Batched.NONE;
    private final Random r = new Random(5);

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    @Test
    void passThroughOpsGetAnUnshardedBatchDimension() {
        String f = """
                sdy.mesh @mesh = <["x"=2, "y"=2]>
                func.func @f(%a: tensor<4x8xf64>) -> (tensor<4x8xf64>, tensor<4x8xf64>) {
                  %c = sdy.sharding_constraint %a <@mesh, [{"x"}, {"y", ?}]> : tensor<4x8xf64>
                  %t = stablehlo.tanh %c : tensor<4x8xf64>
                  %s = sdy.reshard %t <@mesh, [{}, {"x"}]> : tensor<4x8xf64>
                  %p = sdy.propagation_barrier %s allowed_direction=BACKWARD : tensor<4x8xf64>
                  %e = sdy.data_flow_edge %p sharding=<@mesh, [{"y"}, {}]> : tensor<4x8xf64>
                  %g = sdy.all_gather [{}, {"x"}] %e out_sharding=<@mesh, [{"y"}, {}]> : tensor<4x8xf64>
                  %q = sdy.all_to_all [{"y"}: 0->1] %g out_sharding=<@mesh, [{}, {"y"}]> : tensor<4x8xf64>
                  %m = sdy.all_reduce {"x"} %q out_sharding=<@mesh, [{}, {"y"}]> : tensor<4x8xf64>
                  return %m, %c : tensor<4x8xf64>, tensor<4x8xf64>
                }""";
        String text = check(f, new int[]{1}, new int[]{1, 0}, 3, List.of(u(4, 3, 8)));
        assertThat(text).contains("<@mesh, [{\"x\"}, {}, {\"y\", ?}]>")        // constraint: batch at 1, unsharded
                .contains("<@mesh, [{}, {}, {\"x\"}]>")                         // reshard
                .contains("sdy.all_gather [{}, {}, {\"x\"}]")                   // per-dimension axes get an empty entry
                .contains("sdy.all_to_all [{\"y\"}: 0->2]");                    // the target dimension moved past the batch
        check(f, new int[]{0}, new int[]{2, 2}, 2, List.of(u(2, 4, 8)));
    }

    @Test
    void shardingGroupTakesTheBatchedValue() {
        // no value to compare (the interpreter does not run sharding_group): the batched op verifies and names the batch
        Module m = MlirParser.parseModule("""
                module {
                  func.func @f(%a: tensor<4xf64>) -> tensor<4xf64> {
                    sdy.sharding_group %a group_id=3 : tensor<4xf64>
                    return %a : tensor<4xf64>
                  }
                }""", "g.mlir");
        Module vm = Module.of("b", null, List.of(Batching.vmap(m.functions().get(0), new int[]{1}, new int[]{1}, 5, "g")), m.functions().get(0).location());
        ModuleVerifier.verify(vm);
        assertThat(MlirPrinter.print(vm)).contains("sdy.sharding_group %arg0 group_id=3 : tensor<4x5xf64>");
    }

    private static final String MANUAL = """
            module @m {
              sdy.mesh @mesh = <["x"=2]>
              func.func public @main(%arg0: tensor<8x4xf32>, %w: tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4x4xf32>) {
                %0:2 = sdy.manual_computation(%arg0, %w) in_shardings=[<@mesh, [{"x"}, {}]>, <@mesh, [{}]>] out_shardings=[<@mesh, [{"x"}, {}]>, <@mesh, [{}, {}]>] manual_axes={"x"} (%a: tensor<4x4xf32>, %b: tensor<4xf32>) {
                  %bb = stablehlo.broadcast_in_dim %b, dims = [1] : (tensor<4xf32>) -> tensor<4x4xf32>
                  %t = stablehlo.multiply %a, %bb : tensor<4x4xf32>
                  %s = "stablehlo.all_reduce"(%t) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, use_global_device_ids}> ({
                    ^bb0(%p: tensor<f32>, %q: tensor<f32>):
                      %z = stablehlo.add %p, %q : tensor<f32>
                      stablehlo.return %z : tensor<f32>
                  }) : (tensor<4x4xf32>) -> tensor<4x4xf32>
                  %y = stablehlo.tanh %t : tensor<4x4xf32>
                  sdy.return %y, %s : tensor<4x4xf32>, tensor<4x4xf32>
                } : (tensor<8x4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4x4xf32>)
                return %0#0, %0#1 : tensor<8x4xf32>, tensor<4x4xf32>
              }
            }
            """;

    private static List<HostArray> runPartitioned(Module m, List<HostArray> args) {
        PartitionedProgram p = Spmd.explicit(m);
        return SpmdRunner.run(p.module(), p.mesh(), args, p.argShardings(), p.resultShardings(), p.resultTypes()).results();
    }

    @Test
    void manualComputationBatchesItsBodyWithTheBatchUnshardedOnEveryDevice() {
        Module m = MlirParser.parseModule(MANUAL, "manual.mlir");
        ModuleVerifier.verify(m);
        Operation f = m.functions().get(0);
        int n = 3;
        for (int[] in : new int[][]{{1, NONE}, {0, 0}, {NONE, 1}}) {
            Operation vf = Batching.vmap(f, in, new int[]{0, 2}, n, "main");
            Module vm = Module.of("b", null, List.of(io.hlo4j.compiler.ad.Cloner.copy(m.operations().get(0), new java.util.IdentityHashMap<>()).build(), vf), f.location());
            ModuleVerifier.verify(vm);
            String text = MlirPrinter.print(vm);
            if (in[0] == 1) assertThat(text).contains("in_shardings=[<@mesh, [{}, {\"x\"}, {}]>, <@mesh, [{}]>]");
            Module back = MlirParser.parseModule(text, "batched.mlir");
            HostArray x = in[0] == NONE ? uniform(new Random(1), TensorType.of(FloatType.F32, 8, 4))
                    : uniform(new Random(1), TensorType.of(FloatType.F32, in[0] == 0 ? new long[]{n, 8, 4} : new long[]{8, n, 4}));
            HostArray w = in[1] == NONE ? uniform(new Random(2), TensorType.of(FloatType.F32, 4))
                    : uniform(new Random(2), TensorType.of(FloatType.F32, in[1] == 0 ? new long[]{n, 4} : new long[]{4, n}));
            List<HostArray> got = runPartitioned(back, List.of(x, w));
            List<List<HostArray>> per = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                HostArray xi = in[0] == NONE ? x : BatchAxis.take(x, in[0], i), wi = in[1] == NONE ? w : BatchAxis.take(w, in[1], i);
                per.add(runPartitioned(m, List.of(xi, wi)));
            }
            int[] out = {0, 2};
            for (int j = 0; j < 2; j++) {
                List<HostArray> col = new ArrayList<>();
                for (List<HostArray> p : per) col.add(p.get(j));
                HostArray want = BatchAxis.stack(col, out[j]);
                assertThat(got.get(j).shape()).containsExactly(want.shape());
                assertThat(got.get(j).allClose(want, 1e-6, 1e-6)).as("in_axes %s result %d", java.util.Arrays.toString(in), j).isTrue();
            }
        }
    }
}
