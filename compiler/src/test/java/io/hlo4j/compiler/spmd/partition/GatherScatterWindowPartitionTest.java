package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.ADD;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.f32;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * gather and scatter whose window along an indexed operand dimension is more than one row, with that dimension split
 * (by annotation, or by propagation from a neighbour), against the unpartitioned program bit for bit. Scatter bounds-checks
 * each element (StableHLO's scatter semantics, as the interpreter runs them): a window starting at 1 or -2 updates the rows
 * it covers inside the operand, so no device can scatter its block of the window into its block of the rows without the
 * neighbours' update rows; the rule makes such a dimension need replication. gather clamps its start so a whole-dimension
 * slice always starts at 0: that dimension passes through untouched. Found by the autodiff fuzz's sharded mode (the VJP of
 * a gather of a whole split vector: seed 20261130, case 54).
 */
class GatherScatterWindowPartitionTest {
    private static final String X = "<@mesh, [{\"x\"}, {}]>", REP2 = "<@mesh, [{}, {}]>", REP3 = "<@mesh, [{}, {}, {}]>",
            MID = "<@mesh, [{}, {\"x\"}, {}]>";
    /** Window starts: in bounds, overhanging the end by one row, starting before the operand by two rows. */
    private static final long[] STARTS = {0, 1, -2};

    private static String scatter(String windowDims, String toOperand) {
        return "indices_are_sorted = false, scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = " + windowDims
                + ", scatter_dims_to_operand_dims = " + toOperand + ", index_vector_dim = 1>, unique_indices = false";
    }

    private static String gather(String sizes) {
        return "dimension_numbers = #stablehlo.gather<offset_dims = [1, 2], start_index_map = [0], index_vector_dim = 1>, "
                + "indices_are_sorted = false, slice_sizes = array<i64: " + sizes + ">";
    }

    /** Random floats for the float arguments, {@link #STARTS} for the indices. */
    private static List<HostArray> inputs(Prog p, Random rnd) {
        List<HostArray> in = new java.util.ArrayList<>();
        for (TensorType t : p.argTypes()) {
            in.add(t.elementType() instanceof IntegerType ? HostArray.fromLongs(t, STARTS) : SpmdHarness.random(t, rnd));
        }
        return in;
    }

    /** The partitioned program's results equal the global program's bit for bit. */
    private static void bitForBit(Module global, PartitionedProgram prog, List<HostArray> in) {
        List<HostArray> want = SpmdHarness.runGlobal(global, in), got = SpmdHarness.runPartitioned(prog, in);
        for (int r = 0; r < want.size(); r++) {
            double[] w = want.get(r).toDoubleArray(), g = got.get(r).toDoubleArray();
            for (int i = 0; i < w.length; i++) {
                assertThat(Double.doubleToLongBits(g[i])).as("result #%d element %d: %s vs %s", r, i, g[i], w[i])
                        .isEqualTo(Double.doubleToLongBits(w[i]));
            }
        }
    }

    /** How many of each collective the explicit module holds (absent ones left out). */
    static Map<String, Integer> collectives(PartitionedProgram prog) {
        String text = MlirPrinter.print(prog.module());
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String c : List.of("all_gather", "all_reduce", "all_to_all", "reduce_scatter", "collective_permute", "collective_broadcast")) {
            int n = text.split("\"stablehlo." + c + "\"", -1).length - 1;
            if (n > 0) out.put(c, n);
        }
        return out;
    }

    private static PartitionedProgram check(Prog p) {
        List<HostArray> in = inputs(p, new Random(5));
        PartitionedProgram prog = SpmdHarness.check(p.text(), in);
        bitForBit(MlirParser.parseModule(p.text(), "global.mlir"), prog, in);
        return prog;
    }

    /**
     * A scatter-add of 4-row windows into a 4-row operand split over "x": the operand and the update windows are
     * gathered (one all_gather each), the scatter runs whole on every device, and each keeps its rows of the result.
     */
    @Test
    void scatterAddOfWholeWindowsIntoSplitRowsGathersTheRows() {
        Prog p = new Prog("x=2", new Random(1));
        String table = p.arg(f32(4, 3), X), idx = p.arg(TensorType.of(IntegerType.I32, 3, 1), REP2), u = p.arg(f32(3, 4, 3), MID);
        p.result(p.op("stablehlo.scatter", List.of(table, idx, u), scatter("[1, 2]", "[0]"), ADD, f32(4, 3), X), X);
        PartitionedProgram prog = check(p);
        assertThat(collectives(prog)).isEqualTo(Map.of("all_gather", 2));
    }

    /** The same with nothing split but the arguments: propagation does not carry the rows' split into the scatter. */
    @Test
    void propagationDoesNotSplitAWholeWindowScattersIndexedRows() {
        String text = """
            module attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=2]>
              func.func @main(%t: tensor<4x3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}, %i: tensor<3x1xi32>,
                              %u: tensor<3x4x3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"x"}, {}]>}) -> tensor<4x3xf32> {
                %0 = "stablehlo.scatter"(%t, %i, %u) <{%s}> ({
                ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                  %s = stablehlo.add %a, %b : tensor<f32>
                  stablehlo.return %s : tensor<f32>
                }) : (tensor<4x3xf32>, tensor<3x1xi32>, tensor<3x4x3xf32>) -> tensor<4x3xf32>
                %1 = stablehlo.multiply %0, %t : tensor<4x3xf32>
                return %1 : tensor<4x3xf32>
              }
            }""".replace("%s}", scatter("[1, 2]", "[0]") + "}");
        Module annotated = MlirParser.parseModule(text, "scatter.mlir");
        Random rnd = new Random(3);
        List<HostArray> in = List.of(SpmdHarness.random(f32(4, 3), rnd), HostArray.fromLongs(TensorType.of(IntegerType.I32, 3, 1), STARTS),
                SpmdHarness.random(f32(3, 4, 3), rnd));
        PartitionedProgram prog = Spmd.explicit(annotated);
        bitForBit(annotated, prog, in);
        // the operand's and the windows' rows are gathered for the scatter; the multiply then runs on the rows of %t
        // each device holds, so the result comes back split, sliced from the scatter's whole result without moving data
        assertThat(collectives(prog)).isEqualTo(Map.of("all_gather", 2));
    }

    /** A whole window on a dimension the indices do not address still passes through: nothing moves. */
    @Test
    void wholeWindowOnAnUnindexedDimensionStaysSplit() {
        Prog p = new Prog("x=2", new Random(2));
        String table = p.arg(f32(4, 6), X), idx = p.arg(TensorType.of(IntegerType.I32, 3, 1), REP2), u = p.arg(f32(3, 4, 2), MID);
        p.result(p.op("stablehlo.scatter", List.of(table, idx, u), scatter("[1, 2]", "[1]"), ADD, f32(4, 6), X), X);
        assertThat(collectives(check(p))).isEmpty();
    }

    /** gather clamps a whole-dimension slice's start to 0: the split rows are read where they are. */
    @Test
    void gatherOfWholeSlicesFromSplitRowsMovesNothing() {
        Prog p = new Prog("x=2", new Random(4));
        String table = p.arg(f32(4, 3), X), idx = p.arg(TensorType.of(IntegerType.I32, 3, 1), REP2);
        p.result(p.op("stablehlo.gather", List.of(table, idx), gather("4, 3"), "", f32(3, 4, 3), MID), MID);
        assertThat(collectives(check(p))).isEmpty();
    }

    /** A 2-row slice of 4 split rows reads across the blocks: the operand's rows are gathered once. */
    @Test
    void gatherOfTwoRowSlicesFromSplitRowsGathersTheRows() {
        Prog p = new Prog("x=2", new Random(6));
        String table = p.arg(f32(4, 3), X), idx = p.arg(TensorType.of(IntegerType.I32, 3, 1), REP2);
        p.result(p.op("stablehlo.gather", List.of(table, idx), gather("2, 3"), "", f32(3, 2, 3), REP3), REP3);
        assertThat(collectives(check(p))).isEqualTo(Map.of("all_gather", 1));
    }
}
