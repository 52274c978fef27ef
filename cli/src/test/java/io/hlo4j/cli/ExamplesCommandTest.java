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

    @Test void unknownNamesAndNegativeStepsAreUsageErrors() {
        Run r = run("run", "nope");
        assertThat(r.code()).isEqualTo(Main.USAGE);
        assertThat(r.err()).contains("no example 'nope'", "mlp-regression");
        assertThat(run("run", "mlp-regression", "--steps", "-1").err()).contains("--steps must be >= 0");
    }
}
