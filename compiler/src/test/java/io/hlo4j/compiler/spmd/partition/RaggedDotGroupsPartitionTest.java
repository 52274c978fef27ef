package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.f32;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernels' gradient of a grouped matmul, {@code chlo.ragged_dot} in its ragged-contracting form
 * (lhs^T [k, m] x ct [m, n] -> [g, k, n], one result per group), with the result's group (expert) dimension split:
 * each device computes its own groups, with no collective and nothing computed whole. Values against the global program.
 */
class RaggedDotGroupsPartitionTest {
    static final String DN = "ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_contracting_dimensions = [1], "
            + "rhs_contracting_dimensions = [0], lhs_ragged_dimensions = [1], rhs_group_dimensions = []>";
    static final TensorType GS = TensorType.of(IntegerType.I32, 4);

    /** group_sizes a constant (rows after the last group, 16 - 14, belong to no group) and the result split on the groups. */
    @Test
    void expertSplitResultIsComputedLocally() {
        for (String[] c : new String[][] {
                {"ep=2", "<@mesh, [{\"ep\"}, {}, {}]>", "<@mesh, [{}, {}]>"},
                {"ep=4", "<@mesh, [{\"ep\"}, {}, {}]>", "<@mesh, [{}, {}]>"},
                {"ep=2,tp=2", "<@mesh, [{\"ep\"}, {}, {\"tp\"}]>", "<@mesh, [{}, {\"tp\"}]>"}}) {
            for (String sizes : List.of("[3, 5, 0, 6]", "[0, 0, 16, 0]", "[4, 4, 4, 4]")) {
                Random rnd = new Random(sizes.hashCode());
                Prog p = new Prog(c[0], rnd);
                String lhs = p.arg(f32(8, 16), "<@mesh, [{}, {}]>"), ct = p.arg(f32(16, 8), c[2]);
                String gs = p.op("stablehlo.constant", List.of(), "value = dense<" + sizes + "> : tensor<4xi32>", "", GS, "<@mesh, [{}]>");
                p.result(p.op("chlo.ragged_dot", List.of(lhs, ct, gs), DN, "", f32(4, 8, 8), c[1]), c[1]);
                PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
                String text = MlirPrinter.print(prog.module());
                assertThat(text).as("%s %s", c[0], sizes).doesNotContain("all_gather").doesNotContain("all_reduce")
                        .doesNotContain("reduce_scatter").doesNotContain("all_to_all").doesNotContain("collective_permute");
                assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
            }
        }
    }

    /** group_sizes an argument; lhs split on k and ct on n stay split too (only the groups are cut differently). */
    @Test
    void groupSizesArgumentAndOtherDimsSplit() {
        Random rnd = new Random(5);
        Prog p = new Prog("ep=2,tp=2", rnd);
        String lhs = p.arg(f32(8, 16), "<@mesh, [{\"tp\"}, {}]>"), ct = p.arg(f32(16, 8), "<@mesh, [{}, {}]>");
        String gs = p.arg(GS, "<@mesh, [{}]>");
        String out = "<@mesh, [{\"ep\"}, {\"tp\"}, {}]>";
        p.result(p.op("chlo.ragged_dot", List.of(lhs, ct, gs), DN, "", f32(4, 8, 8), out), out);
        List<io.hlo4j.runtime.array.HostArray> in = ElementwisePartitionTest.inputs(p, rnd);
        // sizes that sum to 13 of the 16 rows: random values 0..6 from the harness, fixed here for a known split
        in.set(2, SpmdHarness.make(GS, new double[] {2, 6, 0, 5}));
        PartitionedProgram prog = SpmdHarness.check(p.text(), in);
        String text = MlirPrinter.print(prog.module());
        assertThat(text).doesNotContain("all_gather").doesNotContain("all_reduce").doesNotContain("reduce_scatter");
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
    }
}
