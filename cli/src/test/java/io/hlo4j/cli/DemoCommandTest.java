package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;

import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code hlo4j demo}: the bundled MoE block parses, verifies, and has the ops it was written with. */
class DemoCommandTest {
    @Test void demoRunsAndSummarises() {
        Cli.Run r = Cli.run("demo");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("hlo4j demo: Mixtral-style top-2 MoE block")
                .contains("module @moe_block: 1 function, 54 ops\n")
                .contains("  public @main(tensor<8x16xf32>, tensor<16x4xf32>, tensor<4x16x32xf32>, tensor<4x16x32xf32>,"
                        + " tensor<4x32x16xf32>) -> (tensor<8x16xf32>, tensor<8x4xf32>)\n")
                .contains("ran @main on the interpreter with seeded inputs (seed 42)")
                .containsPattern("max \\|interpreter - reference\\|: output [0-9.e+-]+, logits [0-9.e+-]+ \\(limit 1e-04\\)");
        // one routing line per token: token, two distinct experts, two gates summing to 1
        List<String> routes = r.out().lines().filter(l -> l.matches(" +[0-7] +[0-3] +[0-3] +0\\.\\d{4} 0\\.\\d{4}")).toList();
        assertThat(routes).hasSize(8);
        for (String line : routes) {
            String[] f = line.trim().split(" +");
            assertThat(f[1]).isNotEqualTo(f[2]);
            assertThat(Double.parseDouble(f[3]) + Double.parseDouble(f[4])).isCloseTo(1.0, within(2e-4));
            assertThat(Double.parseDouble(f[3])).isGreaterThanOrEqualTo(Double.parseDouble(f[4]));
        }
    }

    @Test void noRunStopsAfterTheSummary() {
        Cli.Run r = Cli.run("demo", "--no-run");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("op histogram:").doesNotContain("interpreter");
    }

    /** The interpreter's result for the program equals the plain-Java reference, element by element. */
    @Test void interpreterMatchesTheReference() {
        Module m = MlirParser.parseModule(DemoCommand.source(), DemoCommand.RESOURCE);
        MoeReference.Inputs in = MoeReference.inputs(7);
        List<HostArray> out = new Interpreter(m).runHost(null, List.of(
                HostArray.fromFloats(TensorType.of(FloatType.F32, 8, 16), in.x()),
                HostArray.fromFloats(TensorType.of(FloatType.F32, 16, 4), in.router()),
                HostArray.fromFloats(TensorType.of(FloatType.F32, 4, 16, 32), in.w1()),
                HostArray.fromFloats(TensorType.of(FloatType.F32, 4, 16, 32), in.w3()),
                HostArray.fromFloats(TensorType.of(FloatType.F32, 4, 32, 16), in.w2())));
        MoeReference.Outputs ref = MoeReference.compute(in);
        assertThat(out.get(0).shape()).containsExactly(8, 16);
        assertThat(out.get(0).toDoubleArray()).containsExactly(ref.y(), within(1e-5));
        assertThat(out.get(1).toDoubleArray()).containsExactly(ref.logits(), within(1e-5));
        for (int t = 0; t < 8; t++) assertThat(DemoCommand.top2(out.get(1).toDoubleArray(), t)).containsExactly(ref.experts()[t]);
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
