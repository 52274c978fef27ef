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

/** Property tests (see {@link OpsPartitionTest}) for gather and scatter. */
class IndexingPartitionTest {
    @Test
    void gatherRows() {
        forAll("gather", p -> {
            String table = p.arg(f32(16, 8)), idx = p.arg(TensorType.of(IntegerType.I32, 8, 1));
            p.result(p.op("stablehlo.gather", List.of(table, idx), "dimension_numbers = #stablehlo.gather<offset_dims = [1], "
                    + "collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = false, "
                    + "slice_sizes = array<i64: 1, 8>", "", f32(8, 8)));
        });
    }

    @Test
    void scatterAddRows() {
        forAll("scatter", p -> {
            String table = p.arg(f32(16, 8)), idx = p.arg(TensorType.of(IntegerType.I32, 8, 1)), upd = p.arg(f32(8, 8));
            p.result(p.op("stablehlo.scatter", List.of(table, idx, upd), "indices_are_sorted = false, scatter_dimension_numbers = "
                    + "#stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], "
                    + "index_vector_dim = 1>, unique_indices = false", ADD, f32(16, 8)));
        });
    }

    /** Rows of the scattered-into table split: each device shifts the indices to its block; nothing is gathered. */
    @Test
    void scatterIntoSplitRowsMovesNoData() {
        Random rnd = new Random(11);
        Prog p = new Prog("x=4,y=2", rnd);
        String rows = "<@mesh, [{\"x\"}, {\"y\"}]>", rep2 = "<@mesh, [{}, {}]>", upd = "<@mesh, [{}, {\"y\"}]>";
        String table = p.arg(f32(16, 8), rows), idx = p.arg(TensorType.of(IntegerType.I32, 8, 1), rep2), u = p.arg(f32(8, 8), upd);
        p.result(p.op("stablehlo.scatter", List.of(table, idx, u), "indices_are_sorted = false, scatter_dimension_numbers = "
                + "#stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], "
                + "index_vector_dim = 1>, unique_indices = false", ADD, f32(16, 8), rows), rows);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = io.hlo4j.mlir.print.MlirPrinter.print(prog.module());
        org.assertj.core.api.Assertions.assertThat(text).doesNotContain("all_gather").doesNotContain("all_to_all").contains("stablehlo.subtract");
    }
}
