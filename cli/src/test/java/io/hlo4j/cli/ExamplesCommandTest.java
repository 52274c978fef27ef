package io.hlo4j.cli;

import io.hlo4j.examples.Examples;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j examples} (run through picocli directly until Main lists it). */
class ExamplesCommandTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new ExamplesCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test void listsEveryExample() {
        Run r = run("list");
        assertThat(r.code()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(Examples.all().size());
        assertThat(r.out()).contains("mlp-regression", "moe-regression");
    }

    @Test void runPrintsTheLossPerStepAndItFalls() {
        Run r = run("run", "moe-regression", "--steps", "40");
        assertThat(r.code()).as(r.err()).isZero();
        List<Double> losses = r.out().lines().filter(l -> l.startsWith("step ")).map(l -> Double.parseDouble(l.split(" ")[3])).toList();
        assertThat(losses).hasSize(40);
        assertThat(r.out()).contains("step 0 loss", "step 39 loss", "final loss");
        assertThat(losses.get(39)).isLessThan(losses.get(0));
    }

    /** Through {@code Main}, whose handler turns a command's usage error into its line and exit 2. */
    @Test void unknownNamesAndNegativeStepsAreUsageErrors() {
        Cli.Run r = Cli.run("examples", "run", "nope");
        assertThat(r.code()).isEqualTo(Main.USAGE);
        assertThat(r.err()).contains("no example 'nope'", "mlp-regression");
        Cli.Run negative = Cli.run("examples", "run", "mlp-regression", "--steps", "-1");
        assertThat(negative.code()).isEqualTo(Main.USAGE);
        assertThat(negative.err()).contains("--steps must be >= 0");
    }

    /** {@code --pjrt-plugin}/{@code --pjrt-option} as {@code run} takes them (PjrtFlags): checked, and the examples' jit compiles there. */
    @Test void runTakesThePluginFlags(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path missing = dir.resolve("gone.so");
        Cli.Run gone = Cli.run("examples", "run", "mlp-regression", "--steps", "1", "--pjrt-plugin", missing.toString());
        assertThat(gone.code()).as(gone.toString()).isEqualTo(1);
        assertThat(gone.err()).isEqualTo("hlo4j: " + missing + ": no such file (--pjrt-plugin)\n");
        assertThat(gone.out()).isEmpty();
        Cli.Run bad = Cli.run("examples", "run", "mlp-regression", "--steps", "1", "--pjrt-plugin", missing.toString(), "--pjrt-option", "novalue");
        assertThat(bad.code()).as(bad.toString()).isEqualTo(2);
        assertThat(bad.err()).startsWith("hlo4j examples run: --pjrt-option 'novalue' is not KEY=VALUE");
        if (System.getenv("HLO4J_PJRT_PLUGIN") == null) {
            Cli.Run lone = Cli.run("examples", "run", "mlp-regression", "--steps", "1", "--pjrt-option", "a=1");
            assertThat(lone.code()).as(lone.toString()).isEqualTo(2);
            assertThat(lone.err()).startsWith("hlo4j examples run: --pjrt-option needs --pjrt-plugin (or HLO4J_PJRT_PLUGIN)");
        }
        // the training goes to the plugin, not to the interpreter: the mock compiles a lone add or dot only, and says so
        Cli.Run mock = Cli.run("examples", "run", "mlp-regression", "--steps", "1", "--pjrt-plugin", MockPlugin.path().toString());
        assertThat(mock.code()).as(mock.toString()).isEqualTo(1);
        assertThat(mock.err()).as(mock.toString()).hasLineCount(1).startsWith("hlo4j: MlpRegression.java:")
                .contains("PJRT_Client_Compile failed with UNIMPLEMENTED: PJRT_Client_Compile: the mock runs only a single stablehlo.add or stablehlo.dot_general");
    }
}
