package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Property tests: each op with random closed shardings on every value (fixed seeds), on the 8-device meshes
 * and a sample of 16-device ones; the explicit program on N simulated devices must match the global program.
 */
class OpsPartitionTest {
    static final List<String> MESHES = List.of("x=8", "x=4,y=2", "x=2,y=4", "x=2,y=2,z=2", "x=4,y=4", "x=2,y=2,z=4");
    static final int SEEDS = 4;

    static TensorType f32(long... shape) { return TensorType.of(FloatType.F32, shape); }

    static void forAll(String name, Consumer<Prog> build) {
        for (String mesh : MESHES) {
            for (int seed = 0; seed < SEEDS; seed++) {
                Random rnd = new Random(seed * 1009L + mesh.hashCode() + name.hashCode());
                Prog p = new Prog(mesh, rnd);
                build.accept(p);
                PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
                org.assertj.core.api.Assertions.assertThat(prog.report().replicated()).as("computed replicated").isEmpty();
            }
        }
    }

    static String dot(String lb, String rb, String lc, String rc) {
        return "dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [" + lb + "], rhs_batching_dimensions = [" + rb
                + "], lhs_contracting_dimensions = [" + lc + "], rhs_contracting_dimensions = [" + rc + "]>";
    }

    static final String ADD = "{\n  ^bb0(%a: tensor<f32>, %b: tensor<f32>):\n    %s = \"stablehlo.add\"(%a, %b) : (tensor<f32>, tensor<f32>) -> tensor<f32>\n"
            + "    \"stablehlo.return\"(%s) : (tensor<f32>) -> ()\n}";
    static final String MAX = ADD.replace("stablehlo.add", "stablehlo.maximum");

    @Test
    void transposeAndReshape() {
        forAll("reshape", p -> {
            String x = p.arg(f32(8, 4, 2));
            String t = p.op("stablehlo.transpose", List.of(x), "permutation = array<i64: 2, 0, 1>", "", f32(2, 8, 4));
            String r = p.op("stablehlo.reshape", List.of(x), "", "", f32(8, 8));
            String r2 = p.op("stablehlo.reshape", List.of(r), "", "", f32(2, 4, 8));
            String r3 = p.op("stablehlo.reshape", List.of(t), "", "", f32(16, 4));
            p.result(t);
            p.result(r2);
            p.result(r3);
        });
    }

    @Test
    void concatenateBroadcastIotaSlice() {
        forAll("concat", p -> {
            String a = p.arg(f32(8, 4)), b = p.arg(f32(8, 4)), v = p.arg(f32(8));
            String c = p.op("stablehlo.concatenate", List.of(a, b), "dimension = 1 : i64", "", f32(8, 8));
            String w = p.op("stablehlo.broadcast_in_dim", List.of(v), "broadcast_dimensions = array<i64: 0>", "", f32(8, 8));
            String i = p.op("stablehlo.iota", List.of(), "iota_dimension = 1 : i64", "", f32(8, 8));
            String s = p.op("stablehlo.add", List.of(c, w), "", "", f32(8, 8));
            String t = p.op("stablehlo.multiply", List.of(s, i), "", "", f32(8, 8));
            String sl = p.op("stablehlo.slice", List.of(t), "start_indices = array<i64: 0, 2>, limit_indices = array<i64: 8, 6>, "
                    + "strides = array<i64: 1, 1>", "", f32(8, 4));
            p.result(t);
            p.result(sl);
        });
    }

    /** dynamic_slice, pad, reverse, select, sort and dynamic_update_slice through the registry's rules. */
    @Test
    void slicingPaddingSorting() {
        forAll("misc", p -> {
            String x = p.arg(f32(8, 8)), y = p.arg(f32(8, 4));
            String i0 = p.op("stablehlo.constant", List.of(), "value = dense<2> : tensor<i32>", "", TensorType.of(IntegerType.I32));
            String i1 = p.op("stablehlo.constant", List.of(), "value = dense<0> : tensor<i32>", "", TensorType.of(IntegerType.I32));
            String ds = p.op("stablehlo.dynamic_slice", List.of(x, i0, i1), "slice_sizes = array<i64: 4, 8>", "", f32(4, 8));
            String zero = p.op("stablehlo.constant", List.of(), "value = dense<0.5> : tensor<f32>", "", f32());
            String pd = p.op("stablehlo.pad", List.of(ds, zero), "edge_padding_low = array<i64: 2, 0>, edge_padding_high = array<i64: 2, 0>, "
                    + "interior_padding = array<i64: 0, 0>", "", f32(8, 8));
            String rv = p.op("stablehlo.reverse", List.of(pd), "dimensions = array<i64: 0>", "", f32(8, 8));
            String cmp = p.op("stablehlo.compare", List.of(rv, x), "comparison_direction = #stablehlo<comparison_direction GT>", "",
                    TensorType.of(IntegerType.I1, 8, 8));
            String sel = p.op("stablehlo.select", List.of(cmp, rv, x), "", "", f32(8, 8));
            String st = p.op("stablehlo.sort", List.of(sel), "dimension = 1 : i64, is_stable = true", LESS, f32(8, 8));
            String du = p.op("stablehlo.dynamic_update_slice", List.of(st, y, i1, i0), "", "", f32(8, 8));
            p.result(du);
            p.result(pd);
        });
    }

    static final String LESS = "{\n  ^bb0(%a: tensor<f32>, %b: tensor<f32>):\n    %s = \"stablehlo.compare\"(%a, %b) <{comparison_direction = "
            + "#stablehlo<comparison_direction LT>}> : (tensor<f32>, tensor<f32>) -> tensor<i1>\n"
            + "    \"stablehlo.return\"(%s) : (tensor<i1>) -> ()\n}";

}
