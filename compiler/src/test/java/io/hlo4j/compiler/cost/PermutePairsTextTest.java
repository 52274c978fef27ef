package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.parse.MlirParser;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** inspect's line for a collective_permute names source/target pairs (not groups) and says which move data. */
class PermutePairsTextTest {
    @Test void pairsThatMoveDataAreListedAndSelfPairsSaidToMoveNothing() {
        String text = """
                module @m attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
                    %r = "stablehlo.collective_permute"(%x) {source_target_pairs = dense<[[0, 1], [1, 2], [2, 0], [3, 3]]> : tensor<4x2xi64>, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>} : (tensor<4xf32>) -> tensor<4xf32>
                    return %r : tensor<4xf32>
                  }
                }
                """;
        String report = CostReport.text(CostAnalysis.analyze(MlirParser.parseModule(text, "p.mlir")), Target.named("h100"));
        assertThat(report).contains("  stablehlo.collective_permute in @main at p.mlir:3:5"
                + ": source/target pairs [[0, 1], [1, 2], [2, 0]] move data ([[3, 3]] sends to itself: nothing moves),"
                + " 16 B received per device (buffer 16 B)\n").doesNotContain("group size");
    }

    @Test void noMovingPairOrNoPairIsSaidSo() {
        assertThat(CostReport.permutePairs(List.of(List.of(0L, 0L), List.of(1L, 1L))))
                .isEqualTo("no source/target pair moves data ([[0, 0], [1, 1]] send to themselves: nothing moves)");
        assertThat(CostReport.permutePairs(List.of())).isEqualTo("no source/target pairs");
        assertThat(CostReport.permutePairs(List.of(List.of(0L, 1L)))).isEqualTo("source/target pairs [[0, 1]] move data");
    }
}
