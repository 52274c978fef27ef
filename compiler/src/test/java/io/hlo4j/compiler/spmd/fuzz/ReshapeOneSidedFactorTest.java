package io.hlo4j.compiler.spmd.fuzz;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.fuzz.ProgramGen.Program;
import io.hlo4j.compiler.spmd.fuzz.ProgramGen.Val;
import io.hlo4j.compiler.spmd.partition.PartitionReport;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reshape whose result is split on a dimension made of a factor the operand does not have: 3x2 -> 2x1x3 shares no
 * factor (3 and 2 meet only as the product 6), so result rows 0 and 1 (elements 0-2 and 3-5) are no block of the
 * operand's rows. The partitioner used to emit the local reshape (3x2) -> 1x1x3 (a device's whole operand into half
 * the elements: an invalid op, found by the autodiff fuzz's sharded mode in the cotangent of such a reshape). The
 * one-sided factors now stay whole: each device reshapes the whole operand and keeps its rows. Each program is
 * partitioned, the per-device module re-parsed and verified, and run on 2 simulated devices against the unpartitioned
 * program on the interpreter ({@link SpmdDifferentialFuzzTest#check}: bit for bit in the exact mode, every device's
 * block too).
 */
class ReshapeOneSidedFactorTest {
    private static final Val ARG = new Val("%arg0", new long[] {3, 2}, "f32");
    private static final Val SPLIT = new Val("%arg1", new long[] {2, 1, 3}, "f32");
    private static final String ROWS = "<@mesh, [{\"a\"}, {}, {}]>";
    private static final String RESHAPE = "%v0 = \"stablehlo.reshape\"(%arg0) : (tensor<3x2xf32>) -> tensor<2x1x3xf32>";

    /** The minimised case: the result's declared sharding splits the dimension only the result has. */
    @Test
    void aResultSplitOnItsOwnFactorIsComputedWholeAndSliced() {
        Program p = new Program(FuzzOracleTest.HEAD, List.of(ARG), Arrays.asList((String) null), List.of(RESHAPE),
                List.of(new Val("%v0", new long[] {2, 1, 3}, "f32")), List.of(ROWS), true);
        PartitionedProgram pp = partitionedAndVerified(p);
        String local = MlirPrinter.print(pp.module());
        assertThat(local).contains("(tensor<3x2xf32>) -> tensor<2x1x3xf32>").doesNotContain("(tensor<3x2xf32>) -> tensor<1x1x3xf32>");
        assertThat(pp.report().entries()).extracting(PartitionReport.Entry::kind).containsExactly(PartitionReport.Kind.COMPUTED_LESS_SHARDED);
        assertThat(SpmdDifferentialFuzzTest.check(p, 285)).as("a slice of a local value moves nothing").isZero();
    }

    /**
     * As in the backward program: the split reaches the reshape by propagation, from an argument split on dim 0 that
     * multiplies its result, and the product is reshaped back (the other way, 2x1x3 -> 3x2, the operand's own factor).
     */
    @Test
    void aSplitPropagatedOntoTheReshapeFromItsUserAndBack() {
        List<String> body = List.of(RESHAPE,
                "%v1 = \"stablehlo.multiply\"(%v0, %arg1) : (tensor<2x1x3xf32>, tensor<2x1x3xf32>) -> tensor<2x1x3xf32>",
                "%v2 = \"stablehlo.reshape\"(%v1) : (tensor<2x1x3xf32>) -> tensor<3x2xf32>");
        Program p = new Program(FuzzOracleTest.HEAD, List.of(ARG, SPLIT), Arrays.asList(null, ROWS), body,
                List.of(new Val("%v1", new long[] {2, 1, 3}, "f32"), new Val("%v2", new long[] {3, 2}, "f32")), Arrays.asList(null, null), true);
        PartitionedProgram pp = partitionedAndVerified(p);
        assertThat(pp.resultShardings().get(0).toString()).as("the product stays split").isEqualTo("#sdy.sharding<@mesh, [{\"a\"}, {}, {}]>");
        assertThat(SpmdDifferentialFuzzTest.check(p, 285)).isGreaterThanOrEqualTo(0);
    }

    /** The other orders of one-sided factors: 2x3 -> 3x2 split either way, and 6x4 -> 4x6 (a shared 2, then 3 against 2). */
    @Test
    void otherReshapesWithoutACommonFactor() {
        String[][] cases = {
                {"2x3", "3x2", "<@mesh, [{\"a\"}, {}]>", null},
                {"2x3", "3x2", null, "<@mesh, [{}, {\"a\"}]>"},
                {"6x4", "4x6", "<@mesh, [{}, {\"a\"}]>", "<@mesh, [{}, {\"a\"}]>"},
                {"6x4", "4x6", "<@mesh, [{\"a\"}, {}]>", "<@mesh, [{\"a\"}, {}]>"},
                {"3x1x2", "2x3", null, "<@mesh, [{\"a\"}, {}]>"},
        };
        for (String[] c : cases) {
            long[] in = Arrays.stream(c[0].split("x")).mapToLong(Long::parseLong).toArray(), out = Arrays.stream(c[1].split("x")).mapToLong(Long::parseLong).toArray();
            Program p = new Program(FuzzOracleTest.HEAD, List.of(new Val("%arg0", in, "f32")), Arrays.asList(c[2]),
                    List.of("%v0 = \"stablehlo.reshape\"(%arg0) : (tensor<" + c[0] + "xf32>) -> tensor<" + c[1] + "xf32>"),
                    List.of(new Val("%v0", out, "f32")), Arrays.asList(c[3]), true);
            partitionedAndVerified(p);
            assertThat(SpmdDifferentialFuzzTest.check(p, 1)).as("%s -> %s, %s -> %s", c[0], c[1], c[2], c[3]).isGreaterThanOrEqualTo(0);
        }
    }

    private static PartitionedProgram partitionedAndVerified(Program p) {
        PartitionedProgram pp = Spmd.explicit(MlirParser.parseModule(p.text(), "fuzz.mlir"));
        ModuleVerifier.verify(MlirParser.parseModule(MlirPrinter.print(pp.module()), "explicit.mlir"));
        return pp;
    }
}
