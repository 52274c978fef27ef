package io.hlo4j.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --pjrt-plugin} / {@code --pjrt-option}: one declaration ({@link PjrtFlags}), so one help text, one validation
 * and one rule for the environment variable in every command that takes them (run, moe run, compile, demo). The
 * variable itself, which needs child processes: {@link PjrtFlagsEnvTest}.
 */
class PjrtFlagsTest {

    /** Each command, with arguments that parse and that it does not look at before the PJRT flags. */
    private static Map<String, List<String>> commands(Path dir) {
        String x = dir.resolve("x").toString();
        return Map.of(
                "run", List.of("run", x + ".mlir"),
                "compile", List.of("compile", x + ".mlir"),
                "demo", List.of("demo"),
                "moe run", List.of("moe", "run", "--config", x + ".json", "--weights", x, "--input", x + ".npy", "-o", dir.resolve("out").toString()));
    }

    private static Cli.Run run(List<String> base, String... more) {
        List<String> a = new ArrayList<>(base);
        a.addAll(List.of(more));
        return Cli.run(a.toArray(String[]::new));
    }

    private static void noPluginInEnvironment() {
        Assumptions.assumeTrue(PjrtFlags.fromEnvironment() == null, "HLO4J_PJRT_PLUGIN is set: these cases need it unset");
    }

    @Test
    void everyCommandShowsTheSameHelpForTheFlags() {
        String plugin = "--pjrt-plugin=PATH The PJRT plugin to use, a shared library (e.g. libtpu.so); what runs on it: see above. "
                + "Default: $HLO4J_PJRT_PLUGIN, which this flag overrides.";
        String option = "--pjrt-option=KEY=VALUE A PJRT client create option (repeat; needs a plugin); VALUE is read as int, float, "
                + "true/false, else string.";
        for (String c : List.of("run", "compile", "demo", "moe run")) {
            List<String> a = new ArrayList<>(List.of(c.split(" ")));
            a.add("--help");
            Cli.Run r = Cli.run(a.toArray(String[]::new));
            assertThat(r.code()).as(c).isZero();
            String flat = r.out().replaceAll("\\s+", " ");   // the wrapping depends on each command's option column
            assertThat(flat).as(c).contains(plugin).contains(option);
            // the description says what runs on the plugin, and names the variable
            assertThat(flat).as(c).containsPattern("PJRT plugin.*HLO4J_PJRT_PLUGIN");
        }
    }

    @Test
    void aMalformedOptionIsAUsageErrorNamingTheFlagAndTheValueBeforeAnyFileIsLookedAt(@TempDir Path dir) {
        String missing = dir.resolve("missing.so").toString();
        commands(dir).forEach((name, base) -> {
            for (String bad : List.of("novalue", "=3")) {
                Cli.Run r = run(base, "--pjrt-plugin", missing, "--pjrt-option", bad);
                assertThat(r.code()).as(r.toString()).isEqualTo(2);
                assertThat(r.err()).isEqualTo("hlo4j " + name + ": --pjrt-option '" + bad + "' is not KEY=VALUE (see 'hlo4j " + name + " --help')\n");
            }
            Cli.Run twice = run(base, "--pjrt-plugin", missing, "--pjrt-option", "a=1", "--pjrt-option", "a=2");
            assertThat(twice.code()).as(twice.toString()).isEqualTo(2);
            assertThat(twice.err()).isEqualTo("hlo4j " + name + ": --pjrt-option 'a=2' repeats the key of 'a=1' (see 'hlo4j " + name + " --help')\n");
            assertThat(twice.out()).isEmpty();
        });
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void aMissingPluginIsRefusedNamingThePathAndTheFlag(@TempDir Path dir) {
        Path missing = dir.resolve("missing.so");
        commands(dir).forEach((name, base) -> {
            Cli.Run r = run(base, "--pjrt-plugin", missing.toString());
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).isEqualTo("hlo4j: " + missing + ": no such file (--pjrt-plugin)\n");
            Cli.Run folder = run(base, "--pjrt-plugin", dir.toString());
            assertThat(folder.err()).isEqualTo("hlo4j: " + dir + ": is a directory (--pjrt-plugin takes a file)\n");
            Cli.Run empty = run(base, "--pjrt-plugin", "");
            assertThat(empty.code()).as(empty.toString()).isEqualTo(2);
            assertThat(empty.err()).isEqualTo("hlo4j " + name + ": --pjrt-plugin was given an empty path (see 'hlo4j " + name + " --help')\n");
        });
    }

    @Test
    void optionsWithoutAPluginAreAUsageError(@TempDir Path dir) {
        noPluginInEnvironment();
        commands(dir).forEach((name, base) -> {
            Cli.Run r = run(base, "--pjrt-option", "a=1");
            assertThat(r.code()).as(r.toString()).isEqualTo(2);
            String why = name.equals("compile") ? "no PJRT plugin: give --pjrt-plugin PATH or set HLO4J_PJRT_PLUGIN"
                    : "--pjrt-option needs --pjrt-plugin (or HLO4J_PJRT_PLUGIN)";
            assertThat(r.err()).isEqualTo("hlo4j " + name + ": " + why + " (see 'hlo4j " + name + " --help')\n");
        });
    }

    /** Paths that run no plugin refuse one given on the command line, as moe run --mesh does. */
    @Test
    void pathsThatRunNoPluginRefuseAnExplicitOne(@TempDir Path dir) throws Exception {
        String plugin = dir.resolve("p.so").toString();   // never looked at: the refusal comes first
        Cli.Run spmd = Cli.run("run", dir.resolve("x.mlir").toString(), "--spmd", "--pjrt-plugin", plugin);
        assertThat(spmd.err()).isEqualTo("hlo4j run: --spmd runs the partitioned program on simulated devices; it does not take "
                + "--pjrt-plugin or --pjrt-option (see 'hlo4j run --help')\n");
        assertThat(spmd.code()).isEqualTo(2);
        Cli.Run print = Cli.run("demo", "--print", "--pjrt-plugin", plugin);
        assertThat(print.err()).isEqualTo("hlo4j demo: --print runs nothing; it does not take --pjrt-plugin or --pjrt-option (see 'hlo4j demo --help')\n");
        assertThat(print.out()).isEmpty();
        Cli.Run noRun = Cli.run("demo", "--no-run", "--pjrt-option", "a=1");
        assertThat(noRun.err()).isEqualTo("hlo4j demo: --no-run runs nothing; it does not take --pjrt-plugin or --pjrt-option (see 'hlo4j demo --help')\n");
        assertThat(noRun.code()).isEqualTo(2);
    }
}
