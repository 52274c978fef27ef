package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.print.MlirPrinter;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.f32;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * concatenate along a dimension its result is split on: the operands' pieces moved to the devices whose result
 * block they land in (collective_permute), no all_gather; against the global program on one device.
 */
class ConcatPartitionTest {
    /** Operands of 4, 8 and 4 rows on x=4 (blocks of 1, 2, 1) into 16 rows (blocks of 4): pieces from up to 3 devices away. */
    @Test
    void unequalOperandsOnFourDevices() {
        Random rnd = new Random(21);
        Prog p = new Prog("x=4", rnd);
        String sh = "<@mesh, [{\"x\"}, {}]>";
        String a = p.arg(f32(4, 3), sh), b = p.arg(f32(8, 3), sh), c = p.arg(f32(4, 3), sh);
        p.result(p.op("stablehlo.concatenate", List.of(a, b, c), "dimension = 0 : i64", "", f32(16, 3), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).isEmpty();
        assertThat(text).doesNotContain("all_gather").contains("collective_permute");
    }

    /**
     * Random shardings on every mesh, concatenation along either dimension, operands of different sizes; on the uneven
     * meshes (3, 6, 2x3 devices) sizes that divide by 2, 3 and 6.
     */
    @Test
    void randomShardings() {
        int permutes = 0;
        List<String> meshes = new java.util.ArrayList<>(OpsPartitionTest.MESHES);
        meshes.addAll(HaloPartitionTest.UNEVEN_MESHES);
        for (String mesh : meshes) {
            long u = HaloPartitionTest.UNEVEN_MESHES.contains(mesh) ? 6 : 8; // rows and columns per unit
            for (int seed = 0; seed < OpsPartitionTest.SEEDS; seed++) {
                Random rnd = new Random(seed * 7919L + mesh.hashCode());
                Prog p = new Prog(mesh, rnd);
                String a = p.arg(f32(2 * u, u)), b = p.arg(f32(2 * u, 2 * u)), c = p.arg(f32(4 * u, u));
                p.result(p.op("stablehlo.concatenate", List.of(a, b), "dimension = 1 : i64", "", f32(2 * u, 3 * u)));
                p.result(p.op("stablehlo.concatenate", List.of(a, c, a), "dimension = 0 : i64", "", f32(8 * u, u)));
                PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
                assertThat(prog.report().replicated()).isEmpty();
                permutes += HaloPartitionTest.count(MlirPrinter.print(prog.module()), "collective_permute");
            }
        }
        assertThat(permutes).as("pieces moved over all random programs").isGreaterThan(15);
    }

    /** Operands of 3 and 9 rows on x=3 (pieces from two devices away) and an empty operand (skipped; this divided by zero). */
    @Test
    void threeDevicesAndAnEmptyOperand() {
        Random rnd = new Random(24);
        Prog p = new Prog("x=3", rnd);
        String sh = "<@mesh, [{\"x\"}, {}]>";
        String a = p.arg(f32(3, 2), sh), b = p.arg(f32(9, 2), sh), e = p.arg(f32(0, 2), sh);
        p.result(p.op("stablehlo.concatenate", List.of(a, e, b), "dimension = 0 : i64", "", f32(12, 2), sh), sh);
        p.result(p.op("stablehlo.concatenate", List.of(e, b), "dimension = 0 : i64", "", f32(9, 2), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
        assertThat(text).doesNotContain("all_gather").contains("collective_permute");
    }

    /** Operands held whole along the dimension (here replicated) are cut locally: no collective at all. */
    @Test
    void wholeOperandsAreCutLocally() {
        Random rnd = new Random(22);
        Prog p = new Prog("x=2,y=2", rnd);
        String a = p.arg(f32(6, 4), "<@mesh, [{}, {}]>"), b = p.arg(f32(2, 4), "<@mesh, [{}, {\"y\"}]>");
        String sh = "<@mesh, [{\"x\"}, {\"y\"}]>";
        p.result(p.op("stablehlo.concatenate", List.of(a, b), "dimension = 0 : i64", "", f32(8, 4), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).isEmpty();
        assertThat(LocalBlockOpsPartitionTest.collectives(text)).as(text).isZero();
    }

    /**
     * Operands whose size does not divide into the 4 devices' blocks (6 and 2 rows, replicated) next to one that does
     * (8 rows split on x): the first two are cut locally, the third moves by pieces; no all_gather (this gathered all
     * of them and computed the concatenation whole).
     */
    @Test
    void operandsThatDoNotDivideAreCutLocally() {
        Random rnd = new Random(25);
        Prog p = new Prog("x=4", rnd);
        String sh = "<@mesh, [{\"x\"}, {}]>";
        String a = p.arg(f32(6, 2), "<@mesh, [{}, {}]>"), b = p.arg(f32(8, 2), sh), c = p.arg(f32(2, 2), "<@mesh, [{}, {}]>");
        p.result(p.op("stablehlo.concatenate", List.of(a, b, c), "dimension = 0 : i64", "", f32(16, 2), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
        assertThat(HaloPartitionTest.count(text, "all_gather")).as(text).isZero();
        assertThat(HaloPartitionTest.count(text, "collective_permute")).as(text).isPositive();
    }

    /**
     * A 6-row operand split on x alone cannot be held in the 4 blocks of x, y: only it is gathered (over x), the
     * 8-row operand moves by pieces.
     */
    @Test
    void operandSplitOnOtherAxesIsGatheredAlone() {
        Random rnd = new Random(26);
        Prog p = new Prog("x=2,y=2", rnd);
        String sh = "<@mesh, [{\"x\", \"y\"}, {}]>";
        String a = p.arg(f32(6, 2), "<@mesh, [{\"x\"}, {}]>"), b = p.arg(f32(2, 2), "<@mesh, [{}, {}]>"), c = p.arg(f32(8, 2), sh);
        p.result(p.op("stablehlo.concatenate", List.of(a, b, c), "dimension = 0 : i64", "", f32(16, 2), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
        assertThat(HaloPartitionTest.count(text, "all_gather")).as(text).isEqualTo(1);
        assertThat(text).contains("(tensor<3x2xf32>) -> tensor<6x2xf32>");
        assertThat(HaloPartitionTest.count(text, "collective_permute")).as(text).isPositive();
    }

    /** Sizes 5, 7 and 12 (24 in all) under random shardings on uneven and power-of-two meshes; against one device. */
    @Test
    void randomShardingsOfOperandsThatDoNotDivide() {
        int permutes = 0;
        for (String mesh : List.of("x=3", "x=6", "x=2,y=3", "x=4,y=2", "x=8")) {
            for (int seed = 0; seed < 3; seed++) {
                Random rnd = new Random(seed * 104729L + mesh.hashCode());
                Prog p = new Prog(mesh, rnd);
                String a = p.arg(f32(5, 6)), b = p.arg(f32(7, 6)), c = p.arg(f32(12, 6));
                p.result(p.op("stablehlo.concatenate", List.of(a, c, b), "dimension = 0 : i64", "", f32(24, 6)));
                p.result(p.op("stablehlo.concatenate", List.of(c, a, b), "dimension = 0 : i64", "", f32(24, 6), "<@mesh, [{\"x\"}, {}]>"));
                PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
                assertThat(prog.report().replicated()).isEmpty();
                assertThat(prog.report().entries()).as(prog.report().toString()).noneMatch(e -> e.op().equals("stablehlo.concatenate"));
                permutes += HaloPartitionTest.count(MlirPrinter.print(prog.module()), "collective_permute");
            }
        }
        assertThat(permutes).as("pieces moved").isPositive();
    }

    /**
     * Operands whose rows divide some axes of the mesh but not the result's blocks, held split along those rows and
     * along their 12 columns: each is brought whole along the rows alone (an all_gather of that operand over its row
     * axes, its columns staying split), the others move by pieces; against the global program on one device.
     */
    @Test
    void randomShardingsOfIndivisibleOperandsSplitOnOtherAxes() {
        int gathers = 0, exercised = 0;
        // rows: some divide one axis only, none divides the result's 6 or 8 blocks, the sum does
        Map<String, long[]> rowsPerMesh = Map.of("x=2,y=3", new long[] {4, 9, 5, 6}, "x=4,y=2", new long[] {4, 2, 6, 12});
        for (Map.Entry<String, long[]> m : rowsPerMesh.entrySet()) {
            String[] axes = {"x", "y"};
            long[] sizes = m.getKey().equals("x=2,y=3") ? new long[] {2, 3} : new long[] {4, 2};
            for (int seed = 0; seed < 3; seed++) {
                Random rnd = new Random(seed * 7927L + m.getKey().hashCode());
                Prog p = new Prog(m.getKey(), rnd);
                long[] rows = m.getValue();
                List<String> operands = new java.util.ArrayList<>();
                long total = 0;
                for (long r : rows) {
                    // rows on a random axis that divides them (if any), columns (12) on another random one
                    List<String> rowAxes = new java.util.ArrayList<>(), colAxes = new java.util.ArrayList<>();
                    int first = rnd.nextInt(2);
                    if (r % sizes[first] == 0) rowAxes.add(axes[first]);
                    else if (r % sizes[1 - first] == 0) rowAxes.add(axes[1 - first]);
                    for (int a = 0; a < 2; a++) if (!rowAxes.contains(axes[a]) && 12 % sizes[a] == 0 && rnd.nextBoolean()) colAxes.add(axes[a]);
                    operands.add(p.arg(f32(r, 12), Prog.sharding(List.of(rowAxes, colAxes))));
                    // split along the rows but not into either result's blocks (all axes; the axis of `one` below)
                    if (!rowAxes.isEmpty() && r % (sizes[0] * sizes[1]) != 0) exercised++;
                    if (!rowAxes.isEmpty() && r % sizes[seed % 2] != 0) exercised++;
                    total += r;
                }
                String all = "<@mesh, [{\"x\", \"y\"}, {}]>";
                String one = "<@mesh, [{\"" + axes[seed % 2] + "\"}, {\"" + axes[1 - seed % 2] + "\"}]>";
                p.result(p.op("stablehlo.concatenate", operands, "dimension = 0 : i64", "", f32(total, 12), all), all);
                java.util.Collections.reverse(operands);
                p.result(p.op("stablehlo.concatenate", operands, "dimension = 0 : i64", "", f32(total, 12), one), one);
                PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
                assertThat(prog.report().replicated()).isEmpty();
                assertThat(prog.report().entries()).as(prog.report().toString()).noneMatch(e -> e.op().equals("stablehlo.concatenate"));
                gathers += HaloPartitionTest.count(MlirPrinter.print(prog.module()), "all_gather");
            }
        }
        assertThat(exercised).as("operands split along the rows, not into the result's blocks").isGreaterThan(10);
        assertThat(gathers).as("indivisible split operands gathered").isGreaterThan(4);
    }
}
