package io.hlo4j.dsltest.grad;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.shard.Collectives;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardMap;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.dialect.sdy.SdyVerifier;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * grad of a data-parallel loss written with shard_map inside a sharded jit: the module carries the cotangent
 * manual computation (same mesh and manual axes, shardings rotated, the replicated weight's cotangent psum'ed, the
 * replicated loss's cotangent split over the 4 copies). The numbers of this rule on simulated devices are checked
 * in the compiler's ManualComputationGradTest (the interpreter has no sdy.manual_computation kernel to run this
 * module directly).
 */
class ShardMapGradTest {
    @Test
    void gradOfADataParallelLoss() {
        Mesh mesh = Mesh.of(4, List.of("x"), 4);
        NamedSharding rows = NamedSharding.of(mesh, "x", null), rep = NamedSharding.of(mesh);
        Lowered l = ShardedJit.jit("dp", a -> Grad.valueAndGrad(args -> {
                    Tensor w = (Tensor) args[0], x = (Tensor) args[1];
                    return ShardMap.shardMap(mesh, List.of(PartitionSpec.of(), PartitionSpec.of("x", null)), List.of(PartitionSpec.of()),
                            ts -> List.of(Collectives.psum(Reductions.sum(Ops.square(Ops.mul(ts.get(1), ts.get(0)))), "x")), w, x).get(0);
                }, 0).apply(a), List.of(rep, rows), List.of(rep, rep))
                .lower(Spec.of(DType.F32, 3), Spec.of(DType.F32, 8, 3));
        String text = l.asText();
        Module m = MlirParser.parseModule(text, "dp.mlir");
        ModuleVerifier.verify(m);
        SdyVerifier.verifyShardingAnnotations(m.op());
        assertThat(MlirPrinter.print(m)).isEqualTo(text);
        assertThat(text.split("sdy.manual_computation", -1)).hasSize(3);
        assertThat(text).contains("in_shardings=[<@mesh, [{}]>, <@mesh, [{\"x\"}, {}]>, <@mesh, []>] "
                        + "out_shardings=[<@mesh, [{}]>, <@mesh, [{\"x\"}, {}]>] manual_axes={\"x\"}")
                .contains("stablehlo.constant dense<2.500000e-01> : tensor<f32>")
                .containsPattern("%\\d+ = \"stablehlo.all_reduce\"\\(%\\d+\\) <\\{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, "
                        + "replica_groups = dense<\\[\\[0, 1, 2, 3\\]\\]> : tensor<1x4xi64>, use_global_device_ids\\}> \\(\\{[^}]*\\}\\) : \\(tensor<3xf32>\\) -> tensor<3xf32>");
    }
}
