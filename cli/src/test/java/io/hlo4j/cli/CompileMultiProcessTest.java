package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code hlo4j compile} as one process of a job: two processes (two threads, each its own mock client of 2 devices)
 * compile the 4-partition global dot over the job's 4 devices, each reporting its own partitions and devices, and
 * report otherwise what one process with all 4 devices reports; process 0 alone writes the dump.
 */
class CompileMultiProcessTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path DOT = ROOT.resolve("docs/examples/global-dot.mlir");

    static String freeAddress() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return "localhost:" + s.getLocalPort();
        }
    }

    /** Runs {@code args} as processes 0 and 1 of a 2-process job (the flags appended), each in its own thread. */
    static List<Cli.Run> job(String address, String... args) throws Exception {
        List<CompletableFuture<Cli.Run>> fs = new ArrayList<>();
        for (int id : new int[] {1, 0}) {
            List<String> a = new ArrayList<>(List.of(args));
            a.addAll(List.of("--num-processes", "2", "--process-id", String.valueOf(id), "--coordinator", address, "--coordinator-timeout", "60"));
            fs.add(CompletableFuture.supplyAsync(() -> Cli.run(a.toArray(String[]::new)), r -> Thread.ofPlatform().daemon().start(r)));
        }
        return List.of(fs.get(1).get(120, TimeUnit.SECONDS), fs.get(0).get(120, TimeUnit.SECONDS));
    }

    /** The report without its first line (the compile time) and the process line. */
    private static List<String> rest(String out) {
        return out.lines().skip(1).filter(l -> !l.startsWith("process ")).filter(l -> !l.startsWith("wrote ") && !l.startsWith("(process 0")).toList();
    }

    @Test
    void eachProcessCompilesTheJobsAssignmentAndReportsItsOwnPart(@TempDir Path dir) throws Exception {
        String plugin = CompileCommandTest.mock().toString();
        Cli.Run single = Cli.run("compile", DOT.toString(), "--pjrt-plugin", plugin, "--pjrt-option", "num_devices=4");
        assertThat(single.code()).as(single.toString()).isZero();
        Path hlo = dir.resolve("dot.hlo");
        List<Cli.Run> runs = job(freeAddress(), "compile", DOT.toString(), "--pjrt-plugin", plugin, "--pjrt-option", "num_devices=2",
                "--dump-optimized", hlo.toString());
        for (int id = 0; id < 2; id++) {
            Cli.Run r = runs.get(id);
            assertThat(r.code()).as(r.toString()).isZero();
            List<String> lines = r.out().lines().toList();
            assertThat(lines.getFirst()).as("the job's assignment").matches("compiled " + java.util.regex.Pattern.quote(DOT.toString())
                    + " on pjrt:mock \\(PJRT C API [0-9.]+\\): 4 partitions on devices \\[100, 101, 102, 103\\] in [0-9.]+ ms");
            assertThat(lines.get(1)).isEqualTo(id == 0 ? "process 0 of 2: partitions [0, 1] on devices [100, 101]"
                    : "process 1 of 2: partitions [2, 3] on devices [102, 103]");
            assertThat(rest(r.out())).as("process %d reports what one process of 4 devices reports", id).isEqualTo(rest(single.out()));
        }
        assertThat(runs.get(0).out()).contains("wrote " + hlo);
        assertThat(runs.get(1).out()).contains("(process 0 writes the --dump-optimized files)").doesNotContain("wrote ");
        assertThat(Files.readString(hlo)).startsWith("HloModule ");
        // --json: the process's own part under "process"
        List<Cli.Run> json = job(freeAddress(), "compile", DOT.toString(), "--pjrt-plugin", plugin, "--pjrt-option", "num_devices=2", "--json");
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.get(1).out());
        assertThat(node.get("devices").toString()).isEqualTo("[100,101,102,103]");
        assertThat(node.get("process").toString()).isEqualTo("{\"index\":1,\"count\":2,\"partitions\":[2,3],\"devices\":[102,103]}");
    }

    /**
     * Only the process that writes the --dump files checks their paths: process 1 given a folder for --dump-optimized (it
     * writes nothing) runs; process 0 given the same is refused by name before it compiles.
     */
    @Test
    void onlyTheWritingProcessChecksTheDumpPath(@TempDir Path dir) throws Exception {
        String plugin = CompileCommandTest.mock().toString(), address = freeAddress();
        java.util.function.BiFunction<Integer, Path, CompletableFuture<Cli.Run>> start = (id, dump) -> CompletableFuture.supplyAsync(() ->
                Cli.run("compile", DOT.toString(), "--pjrt-plugin", plugin, "--pjrt-option", "num_devices=2", "--dump-optimized", dump.toString(),
                        "--num-processes", "2", "--process-id", String.valueOf(id), "--coordinator", address, "--coordinator-timeout", "60"),
                r -> Thread.ofPlatform().daemon().start(r));
        Path good = dir.resolve("dot.hlo");
        CompletableFuture<Cli.Run> one = start.apply(1, dir), zero = start.apply(0, good);
        Cli.Run r1 = one.get(120, TimeUnit.SECONDS), r0 = zero.get(120, TimeUnit.SECONDS);
        assertThat(r1.code()).as(r1.toString()).isZero();
        assertThat(r1.out()).contains("(process 0 writes the --dump-optimized files)");
        assertThat(r0.code()).as(r0.toString()).isZero();
        assertThat(Files.readString(good)).startsWith("HloModule ");
        Cli.Run refused = Cli.run("compile", DOT.toString(), "--pjrt-plugin", plugin, "--pjrt-option", "num_devices=2", "--dump-optimized", dir.toString(),
                "--num-processes", "2", "--process-id", "0", "--coordinator", freeAddress(), "--coordinator-timeout", "60");
        assertThat(refused.code()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).contains(dir.toString()).contains("is a directory");
    }

    @Test
    void withoutAPluginOrOnAPathWithoutOneTheFlagsAreRefused() {
        if (System.getenv("HLO4J_PJRT_PLUGIN") == null) {
            Cli.Run none = Cli.run("compile", DOT.toString(), "--num-processes", "2", "--process-id", "0", "--coordinator", "localhost:1");
            assertThat(none.code()).as(none.toString()).isEqualTo(2);
            assertThat(none.err()).startsWith("hlo4j compile: no PJRT plugin: give --pjrt-plugin PATH or set HLO4J_PJRT_PLUGIN");
        }
        Cli.Run bad = Cli.run("compile", DOT.toString(), "--pjrt-plugin", CompileCommandTest.mock().toString(), "--num-processes", "2", "--process-id", "2",
                "--coordinator", "localhost:1");
        assertThat(bad.code()).as(bad.toString()).isEqualTo(2);
        assertThat(bad.err()).startsWith("hlo4j compile: --process-id 2 is not in [0, 2) for --num-processes 2");
    }
}
