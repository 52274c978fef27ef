package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Usage errors exit 2 with one line naming the problem; help and version exit 0. */
class UsageTest {
    @Test void noCommandIsAUsageErrorListingTheCommands() {
        Cli.Run r = Cli.run();
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).startsWith("hlo4j: no command given; commands: print, verify, demo, bench, ")
                .endsWith(" (see 'hlo4j --help')\n").hasLineCount(1).doesNotContain("help,");
        assertThat(r.out()).isEmpty();
    }

    @Test void unknownCommandSuggestsTheNearOne() {
        Cli.Run r = Cli.run("pirnt", "x.mlir");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("hlo4j: unknown command 'pirnt'").contains("print").hasLineCount(1);
    }

    @Test void unknownOptionNamesItAndTheCommand() {
        Cli.Run r = Cli.run("print", "--bogus", "x.mlir");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("hlo4j print: Unknown option: '--bogus' (see 'hlo4j print --help')\n");
    }

    @Test void printWithoutFilesIsAUsageError() {
        Cli.Run r = Cli.run("print");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("hlo4j print: Missing required parameter: 'FILE' (see 'hlo4j print --help')\n");
    }

    @Test void verifyWithoutFilesIsAUsageError() {
        Cli.Run r = Cli.run("verify");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("hlo4j verify: Missing required parameter").hasLineCount(1);
    }

    @Test void severalFilesToPrintNeedAnOutputDirectory() {
        Cli.Run r = Cli.run("print", "a.mlir", "b.mlir");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("hlo4j print: several files need -o DIR (see 'hlo4j print --help')\n");
    }

    @Test void benchWithoutAMeasurementIsAUsageError() {
        Cli.Run r = Cli.run("bench");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("hlo4j bench: which benchmark? one of [parse] (see 'hlo4j bench --help')\n");
    }

    @Test void benchRefusesZeroRepetitions() {
        Cli.Run r = Cli.run("bench", "parse", "--repeat", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("hlo4j bench parse: --repeat must be between 1 and 10000, not 0 (see 'hlo4j bench parse --help')\n");
    }

    @Test void nonNumericOptionValueIsAUsageError() {
        Cli.Run r = Cli.run("bench", "parse", "--repeat", "many");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("'many'").hasLineCount(1);
    }

    @Test void versionNamesTheJava() {
        Cli.Run r = Cli.run("--version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("hlo4j ").contains("Java " + Runtime.version().feature());
    }

    @Test void helpCommandShowsACommandsHelp() {
        Cli.Run r = Cli.run("help", "verify");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("Usage: hlo4j verify");
    }

    /** Every command and subcommand, as its argument list, e.g. [bench, parse]. */
    static List<List<String>> allCommands() {
        List<List<String>> all = new ArrayList<>();
        collect(Main.commandLine(new Main(), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())),
                new ArrayList<>(), all);
        return all;
    }

    private static void collect(CommandLine cl, List<String> path, List<List<String>> all) {
        all.add(List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            if (name.equals("help")) return;
            path.add(name);
            collect(sub, path, all);
            path.removeLast();
        });
    }

    @ParameterizedTest @MethodSource("allCommands")
    void everyCommandsHelpShowsAnExample(List<String> command) {
        List<String> args = new ArrayList<>(command);
        args.add("--help");
        // picocli reports badly formatted help text (a lone '%') on System.err, not through our streams
        PrintStream realErr = System.err;
        ByteArrayOutputStream picocliWarnings = new ByteArrayOutputStream();
        Cli.Run r;
        try {
            System.setErr(new PrintStream(picocliWarnings, true, StandardCharsets.UTF_8));
            r = Cli.run(args.toArray(String[]::new));
        } finally {
            System.setErr(realErr);
        }
        assertThat(picocliWarnings.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("Usage: hlo4j").contains("Examples:").contains("  hlo4j " + String.join(" ", command));
        assertThat(r.err()).isEmpty();
    }

    @Test void theCommandTreeIsWhatTheDocsDescribe() {
        assertThat(allCommands()).containsExactly(List.of(), List.of("print"), List.of("verify"), List.of("demo"),
                List.of("bench"), List.of("bench", "parse"), List.of("run"), List.of("compile"), List.of("conformance"),
                List.of("inspect"), List.of("diff"), List.of("graph"), List.of("shardings"),
                List.of("examples"), List.of("examples", "list"), List.of("examples", "run"),
                List.of("moe"), List.of("moe", "run"), List.of("dump"));
    }
}
