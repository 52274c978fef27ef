package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A manual computation's body is emitted into @main's block, and its argument can be the very block @main holds (here
 * x split on {"b", "c"}, "c" of size 1: the body, partitioned over the free "c", gets x's block unmoved). @main has
 * already gathered x for the reverse; the body's negate wants its operand whole over the free axes, the same target
 * sharding written the same way, but within one manual coordinate. Reshards were remembered per (block, target) only,
 * so the body took @main's gathered [2] value for its [1] block and the negate failed to verify. Found by the SPMD
 * differential fuzz's manual family (exact seed 7, case 186). Values computed by hand: reverse(x), and -x (each manual
 * block negated, then all-gathered over "b").
 */
class ManualBodyReshardCacheTest {
    @Test
    void bodyDoesNotReuseAGatherMadeOutsideIt() {
        String text = """
                module @m attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["b"=2, "c"=1]>
                  func.func @main(%x: tensor<2xi32> {sdy.sharding = #sdy.sharding<@mesh, [{"b", "c"}]>}) -> (tensor<2xi32>, tensor<2xi32>) {
                    %r = stablehlo.reverse %x, dims = [0] : tensor<2xi32>
                    %n = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"b", ?}]>] out_shardings=[<@mesh, [{?}]>] manual_axes={"b"} (%a: tensor<1xi32>) {
                      %e = stablehlo.negate %a : tensor<1xi32>
                      %g = "stablehlo.all_gather"(%e) <{all_gather_dim = 0 : i64, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, use_global_device_ids}> : (tensor<1xi32>) -> tensor<2xi32>
                      sdy.return %g : tensor<2xi32>
                    } : (tensor<2xi32>) -> tensor<2xi32>
                    return %r, %n : tensor<2xi32>, tensor<2xi32>
                  }
                }
                """;
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "m.mlir"));
        List<HostArray> got = SpmdHarness.runPartitioned(p, List.of(HostArray.fromLongs(TensorType.of(IntegerType.I32, 2), 5, -7)));
        assertThat(got.get(0).toDoubleArray()).containsExactly(-7, 5);
        assertThat(got.get(1).toDoubleArray()).containsExactly(-5, 7);
    }
}
