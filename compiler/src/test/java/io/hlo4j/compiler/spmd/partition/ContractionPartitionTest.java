package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.ADD;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.MAX;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.dot;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.f32;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.forAll;

/** Property tests (see {@link OpsPartitionTest}) for dot_general, reduce and ragged_dot. */
class ContractionPartitionTest {
    @Test
    void matmul() {
        forAll("matmul", p -> {
            String a = p.arg(f32(8, 16)), b = p.arg(f32(16, 8));
            p.result(p.op("stablehlo.dot_general", List.of(a, b), dot("", "", "1", "0"), "", f32(8, 8)));
        });
    }

    @Test
    void batchedAndTwoContractingDims() {
        forAll("batched", p -> {
            String a = p.arg(f32(4, 8, 16)), b = p.arg(f32(4, 16, 8));
            String c = p.op("stablehlo.dot_general", List.of(a, b), dot("0", "0", "2", "1"), "", f32(4, 8, 8));
            String x = p.arg(f32(8, 4, 4)), y = p.arg(f32(4, 4, 8));
            String d = p.op("stablehlo.dot_general", List.of(x, y), dot("", "", "1, 2", "0, 1"), "", f32(8, 8));
            p.result(c);
            p.result(d);
        });
    }

    /** Both contracting sides split on the same axes: local matmul, then an all_reduce (or reduce_scatter). */
    @Test
    void bothContractingSidesSharded() {
        for (String mesh : List.of("x=8", "x=4,y=2", "x=2,y=2,z=2")) {
            String ax = mesh.startsWith("x=8") ? "\"x\"" : "\"x\", \"y\"";
            for (String out : List.of("<@mesh, [{}, {}]>", "<@mesh, [{" + ax + "}, {}]>", "<@mesh, [{}, {" + ax + "}]>")) {
                Random rnd = new Random(7);
                Prog p = new Prog(mesh, rnd);
                String a = p.arg(f32(8, 16), "<@mesh, [{}, {" + ax + "}]>"), b = p.arg(f32(16, 8), "<@mesh, [{" + ax + "}, {}]>");
                p.result(p.op("stablehlo.dot_general", List.of(a, b), dot("", "", "1", "0"), "", f32(8, 8), out), out);
                PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
                String text = io.hlo4j.mlir.print.MlirPrinter.print(prog.module());
                org.assertj.core.api.Assertions.assertThat(text).doesNotContain("all_gather");
                org.assertj.core.api.Assertions.assertThat(text).contains(out.contains("[{}, {}]") ? "all_reduce" : "reduce_scatter");
            }
        }
    }

    @Test
    void reduce() {
        forAll("reduce", p -> {
            String x = p.arg(f32(8, 8, 4));
            String zero = p.op("stablehlo.constant", List.of(), "value = dense<0.0> : tensor<f32>", "", f32());
            String ninf = p.op("stablehlo.constant", List.of(), "value = dense<0xFF800000> : tensor<f32>", "", f32());
            String one = p.op("stablehlo.constant", List.of(), "value = dense<1.5> : tensor<f32>", "", f32());
            p.result(p.op("stablehlo.reduce", List.of(x, zero), "dimensions = array<i64: 1>", ADD, f32(8, 4)));
            p.result(p.op("stablehlo.reduce", List.of(x, ninf), "dimensions = array<i64: 0, 2>", MAX, f32(8)));
            // init 1.5 is not the identity of add: the reduced dimension must be gathered, not summed per device
            p.result(p.op("stablehlo.reduce", List.of(x, one), "dimensions = array<i64: 0>", ADD, f32(8, 4)));
        });
    }

    /** Grouped matmul (MoE experts): the ragged rows and the group dimension stay whole, k and n split. */
    @Test
    void raggedDot() {
        forAll("ragged", p -> {
            String x = p.arg(f32(8, 16)), w = p.arg(f32(4, 16, 8));
            String gs = p.op("stablehlo.constant", List.of(), "value = dense<[3, 0, 4, 1]> : tensor<4xi32>", "", TensorType.of(IntegerType.I32, 4));
            p.result(p.op("chlo.ragged_dot", List.of(x, w, gs), "ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_contracting_dimensions = [1], "
                    + "rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>", "", f32(8, 8)));
        });
    }
}
