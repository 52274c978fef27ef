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

/** Annotated (arguments and results only) to explicit: propagation, then partitioning, run on the devices. */
class ExplicitFromAnnotatedTest {
    /** The example of docs/sharding-partitioner.md: a Megatron-style MLP on dp=2, tp=4. */
    static final String MLP = """
            module @mlp attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["dp"=2, "tp"=4]>
              func.func @main(%x: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}, %w1: tensor<16x32xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"tp"}]>}, %w2: tensor<32x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"tp"}, {}]>}) -> (tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}) {
                %h = stablehlo.dot_general %x, %w1, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
                %z = stablehlo.constant dense<0.0> : tensor<8x32xf32>
                %r = stablehlo.maximum %h, %z : tensor<8x32xf32>
                %y = stablehlo.dot_general %r, %w2, contracting_dims = [1] x [0] : (tensor<8x32xf32>, tensor<32x16xf32>) -> tensor<8x16xf32>
                return %y : tensor<8x16xf32>
              }
            }
            """;

    @Test
    void megatronMlp() {
        Random rnd = new Random(5);
        List<HostArray> in = List.of(SpmdHarness.random(TensorType.of(FloatType.F32, 8, 16), rnd),
                SpmdHarness.random(TensorType.of(FloatType.F32, 16, 32), rnd), SpmdHarness.random(TensorType.of(FloatType.F32, 32, 16), rnd));
        PartitionedProgram prog = Spmd.explicit(MlirParser.parseModule(MLP, "mlp.mlir"));
        List<HostArray> want = SpmdHarness.runGlobal(MlirParser.parseModule(MLP, "mlp.mlir"), in);
        HostArray got = SpmdHarness.runPartitioned(prog, in).get(0);
        assertThat(got.allClose(want.get(0), 1e-5, 1e-6)).as("explicit MLP matches the global one").isTrue();
        String text = MlirPrinter.print(prog.module());
        // column-parallel then row-parallel: no data moves before the one all_reduce over tp
        assertThat(text).doesNotContain("all_gather").doesNotContain("all_to_all");
        assertThat(text.split("stablehlo.all_reduce", -1)).hasSize(2);
        assertThat(text).contains("replica_groups = dense<[[0, 1, 2, 3], [4, 5, 6, 7]]> : tensor<2x4xi64>");
        assertThat(text).contains("func.func @main(%arg0: tensor<4x16xf32>, %arg1: tensor<16x8xf32>, %arg2: tensor<8x16xf32>) -> tensor<4x16xf32>");
        assertThat(prog.report().entries()).isEmpty();
        // the runtime's SpmdRunner (split/assemble written separately) agrees
        var run = io.hlo4j.runtime.spmd.SpmdRunner.run(prog.module(), prog.mesh(), in, prog.argShardings(), prog.resultShardings(),
                prog.resultTypes());
        assertThat(run.results().get(0).allClose(want.get(0), 1e-5, 1e-6)).isTrue();
    }
}
