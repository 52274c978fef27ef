package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** while and case keep their shape; the loop state and branch results stay in their propagated shardings. */
class ControlFlowPartitionTest {
    static final String R = "#sdy.sharding_per_value<[<@mesh, []>]>";

    static String loop(String stateSharding, String dotSharding) {
        return """
                module @loop attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=4]>
                  func.func @main(%x: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}, %w: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>}) -> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) {
                    %c0 = stablehlo.constant {sdy.sharding = R} dense<0> : tensor<i32>
                    %r:2 = "stablehlo.while"(%c0, %x) ({
                    ^bb0(%i: tensor<i32>, %a: tensor<8x8xf32>):
                      %c3 = stablehlo.constant {sdy.sharding = R} dense<3> : tensor<i32>
                      %p = stablehlo.compare LT, %i, %c3 {sdy.sharding = R} : (tensor<i32>, tensor<i32>) -> tensor<i1>
                      stablehlo.return %p : tensor<i1>
                    }, {
                    ^bb0(%i: tensor<i32>, %a: tensor<8x8xf32>):
                      %d = stablehlo.dot_general %a, %w, contracting_dims = [1] x [0] {sdy.sharding = #sdy.sharding_per_value<[DOT]>} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
                      %t = stablehlo.tanh %d {sdy.sharding = #sdy.sharding_per_value<[DOT]>} : tensor<8x8xf32>
                      %one = stablehlo.constant {sdy.sharding = R} dense<1> : tensor<i32>
                      %n = stablehlo.add %i, %one {sdy.sharding = R} : tensor<i32>
                      stablehlo.return %n, %t : tensor<i32>, tensor<8x8xf32>
                    }) {sdy.sharding = #sdy.sharding_per_value<[<@mesh, []>, STATE]>} : (tensor<i32>, tensor<8x8xf32>) -> (tensor<i32>, tensor<8x8xf32>)
                    return %r#1 : tensor<8x8xf32>
                  }
                }
                """.replace("#sdy.sharding_per_value<[DOT]>", "#sdy.sharding_per_value<[" + dotSharding + "]>")
                .replace("STATE", stateSharding).replace("= R}", "= " + R + "}");
    }

    @Test
    void whileLoopCarriesItsSharding() {
        for (String[] c : new String[][] {{"<@mesh, [{\"x\"}, {}]>", "<@mesh, [{\"x\"}, {\"y\"}]>"},
                {"<@mesh, [{\"x\"}, {\"y\"}]>", "<@mesh, [{\"x\"}, {\"y\"}]>"}, {"<@mesh, [{}, {}]>", "<@mesh, [{\"y\"}, {}]>"}}) {
            Random rnd = new Random(9);
            PartitionedProgram prog = SpmdHarness.check(loop(c[0], c[1]), List.of(SpmdHarness.random(TensorType.of(FloatType.F32, 8, 8), rnd),
                    SpmdHarness.random(TensorType.of(FloatType.F32, 8, 8), rnd)));
            String text = MlirPrinter.print(prog.module());
            assertThat(text).contains("stablehlo.while");
            assertThat(prog.report().replicated()).isEmpty();
        }
    }

    @Test
    void caseBranchesYieldTheResultSharding() {
        String text = """
                module @branches attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=8]>
                  func.func @main(%k: tensor<i32> {sdy.sharding = #sdy.sharding<@mesh, []>}, %x: tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> (tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {}]>}) {
                    %r = "stablehlo.case"(%k) ({
                      %e = stablehlo.exponential %x {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x"}, {}]>]>} : tensor<16x4xf32>
                      stablehlo.return %e : tensor<16x4xf32>
                    }, {
                      %n = stablehlo.negate %x {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{}, {}]>]>} : tensor<16x4xf32>
                      stablehlo.return %n : tensor<16x4xf32>
                    }) {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x"}, {}]>]>} : (tensor<i32>) -> tensor<16x4xf32>
                    return %r : tensor<16x4xf32>
                  }
                }
                """;
        for (long k : new long[] {0, 1, 5}) {
            Random rnd = new Random(k);
            SpmdHarness.check(text, List.of(io.hlo4j.runtime.array.HostArray.fromLongs(TensorType.of(io.hlo4j.mlir.types.IntegerType.I32), k),
                    SpmdHarness.random(TensorType.of(FloatType.F32, 16, 4), rnd)));
        }
    }
}
