package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j demo}: the bundled MoE block parses, verifies, and has the ops it was written with. */
class DemoCommandTest {
    @Test void demoRunsAndSummarises() {
        Cli.Run r = Cli.run("demo");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("hlo4j demo: Mixtral-style top-2 MoE block")
                .contains("module @moe_block: 1 function, 54 ops\n")
                .contains("  public @main(tensor<8x16xf32>, tensor<16x4xf32>, tensor<4x16x32xf32>, tensor<4x16x32xf32>,"
                        + " tensor<4x32x16xf32>) -> (tensor<8x16xf32>, tensor<8x4xf32>)\n");
    }

    /** Counted by hand from moe_block.mlir: 40 ops in @main's body, 6 reducer bodies of 2, func + return. */
    @Test void histogramMatchesTheProgram() {
        ModuleSummary s = ModuleSummary.of(MlirParser.parseModule(DemoCommand.source(), DemoCommand.RESOURCE));
        assertThat(s.histogram()).containsOnly(
                java.util.Map.entry("func.func", 1), java.util.Map.entry("func.return", 1),
                java.util.Map.entry("stablehlo.broadcast_in_dim", 9), java.util.Map.entry("stablehlo.reduce", 6),
                java.util.Map.entry("stablehlo.return", 6), java.util.Map.entry("stablehlo.dot_general", 4),
                java.util.Map.entry("stablehlo.compare", 4), java.util.Map.entry("stablehlo.select", 4),
                java.util.Map.entry("stablehlo.constant", 3), java.util.Map.entry("stablehlo.multiply", 3),
                java.util.Map.entry("stablehlo.maximum", 2), java.util.Map.entry("stablehlo.minimum", 2),
                java.util.Map.entry("stablehlo.add", 2), java.util.Map.entry("stablehlo.iota", 1),
                java.util.Map.entry("stablehlo.or", 1), java.util.Map.entry("stablehlo.subtract", 1),
                java.util.Map.entry("stablehlo.exponential", 1), java.util.Map.entry("stablehlo.divide", 1),
                java.util.Map.entry("stablehlo.logistic", 1), java.util.Map.entry("stablehlo.transpose", 1));
    }

    /** The program is written the way upstream prints it, so printing gives back its text without the comments. */
    @Test void printedProgramIsTheSourceWithoutComments() {
        String source = DemoCommand.source().lines().filter(l -> !l.stripLeading().startsWith("//"))
                .map(l -> l + "\n").collect(java.util.stream.Collectors.joining());
        Cli.Run r = Cli.run("demo", "--print");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(source);
    }

    @Test void printedProgramParsesVerifiesAndPrintsTheSame() {
        Cli.Run r = Cli.run("demo", "--print");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("module @moe_block {").contains("stablehlo.dot_general");
        Module again = MlirParser.parseModule(r.out(), "printed.mlir");
        ModuleVerifier.verify(again);
        assertThat(ModuleSummary.of(again)).isEqualTo(ModuleSummary.of(
                MlirParser.parseModule(DemoCommand.source(), DemoCommand.RESOURCE)));
    }
}
