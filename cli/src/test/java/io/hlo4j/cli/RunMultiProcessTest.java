package io.hlo4j.cli;

import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code hlo4j run} as one process of a job: two real JVMs (the flags in one, the variables in the other) join through
 * process 0's coordinator, each runs its two partitions of the 4-partition global dot on its two mock devices, and both
 * print the global result the interpreter gives; every inconsistent setting is a usage error naming it.
 */
class RunMultiProcessTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path DOT = ROOT.resolve("docs/examples/global-dot.mlir");

    private static Process start(Map<String, String> env, String... args) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("HLO4J_PJRT_PLUGIN");
        pb.environment().putAll(env);
        return pb.start();
    }

    private static String output(Process p) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void twoJvmsRunTheirPartitionsAndPrintTheGlobalResult(@TempDir Path dir) throws Exception {
        Cli.Run in = Cli.run("run", ROOT.resolve("docs/examples/global-dot-inputs.mlir").toString(), "-o", dir.resolve("in").toString());
        assertThat(in.code()).as(in.toString()).isZero();
        String a = dir.resolve("in/result0.npy").toString(), b = dir.resolve("in/result1.npy").toString();
        Cli.Run interp = Cli.run("run", DOT.toString(), "--input", a, "--input", b, "-o", dir.resolve("interp").toString());
        assertThat(interp.code()).as(interp.toString()).isZero();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String plugin = MockPlugin.path().toString();
        Process one = start(Map.of("HLO4J_NUM_PROCESSES", "2", "HLO4J_PROCESS_ID", "1", "HLO4J_COORDINATOR", "localhost:" + port),
                "run", DOT.toString(), "--input", a, "--input", b, "--pjrt-plugin", plugin, "--pjrt-option", "num_devices=2",
                "-o", dir.resolve("p1").toString());
        Process zero = start(Map.of(), "run", DOT.toString(), "--input", a, "--input", b, "--pjrt-plugin", plugin, "--pjrt-option", "num_devices=2",
                "--num-processes", "2", "--process-id", "0", "--coordinator", "localhost:" + port, "-o", dir.resolve("p0").toString());
        String out0 = output(zero), out1 = output(one);
        String result = interp.out().lines().filter(l -> l.startsWith("result0:")).findFirst().orElseThrow();
        assertThat(result).startsWith("result0: tensor<4x4xf32> min ");
        assertThat(out0).contains("process 0 of 2: partitions [0, 1] on devices [100, 101]\n" + result + "\n")
                .contains("on pjrt:mock (4 devices over 2 processes; result blocks exchanged through coordinator localhost:" + port + ")");
        assertThat(out1).contains("process 1 of 2: partitions [2, 3] on devices [102, 103]\n" + result + "\n(-o: process 0 writes the result files)\n");
        HostArray want = Npy.read(dir.resolve("interp/result0.npy"));
        assertThat(Npy.read(dir.resolve("p0/result0.npy")).toDoubleArray()).containsExactly(want.toDoubleArray());
        assertThat(Files.exists(dir.resolve("p1"))).isFalse();
    }

    @Test
    void inconsistentSettingsAreUsageErrors(@TempDir Path dir) throws Exception {
        String plugin = MockPlugin.path().toString();
        String[][] cases = {
                {"--num-processes", "2", "--coordinator", "localhost:1234"},
                {"--num-processes", "2", "--process-id", "0"},
                {"--num-processes", "2", "--process-id", "2", "--coordinator", "localhost:1234"},
                {"--num-processes", "0"},
                {"--process-id", "1"},
                {"--num-processes", "2", "--process-id", "1", "--coordinator", "localhost"},
                {"--num-processes", "2", "--process-id", "1", "--coordinator", "localhost:1234", "--pjrt-option", "node_id=1"},
                {"--num-processes", "2", "--process-id", "1", "--coordinator", "localhost:1234", "--coordinator-timeout", "0"},
        };
        String[] messages = {
                "--num-processes 2 needs --process-id (or HLO4J_PROCESS_ID): which process this is, 0 to 1",
                "--num-processes 2 needs --coordinator HOST:PORT (or HLO4J_COORDINATOR): where process 0 hosts the job's store",
                "--process-id 2 is not in [0, 2) for --num-processes 2",
                "--num-processes must be at least 1, got 0",
                "--process-id needs --num-processes (or HLO4J_NUM_PROCESSES)",
                "--coordinator 'localhost' is not HOST:PORT (a port from 1 to 65535)",
                "--pjrt-option node_id is set by --process-id and --num-processes; leave it out",
                "--coordinator-timeout must be between 1 and 604800 seconds, got 0",
        };
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("run", DOT.toString(), "--pjrt-plugin", plugin));
            args.addAll(List.of(cases[i]));
            Cli.Run r = Cli.run(args.toArray(String[]::new));
            assertThat(r.code()).as(r.toString()).isEqualTo(2);
            assertThat(r.err().lines().findFirst().orElse("")).as(String.join(" ", cases[i])).isEqualTo("hlo4j run: " + messages[i] + " (see 'hlo4j run --help')");
        }
        Cli.Run noPlugin = Cli.run("run", DOT.toString(), "--num-processes", "2", "--process-id", "1", "--coordinator", "localhost:1234");
        assertThat(noPlugin.code()).as(noPlugin.toString()).isEqualTo(2);
        assertThat(noPlugin.err()).startsWith("hlo4j run: --num-processes 2 runs one process of a job on a PJRT plugin: give --pjrt-plugin (or HLO4J_PJRT_PLUGIN)");
        Cli.Run spmd = Cli.run("run", DOT.toString(), "--spmd", "--num-processes", "2");
        assertThat(spmd.code()).as(spmd.toString()).isEqualTo(2);
        assertThat(spmd.err()).startsWith("hlo4j run: --spmd runs on simulated devices in this process; it does not take --num-processes");
        // An unannotated program cannot be split over processes: refused by name (exit 1), before any process joins.
        Path add = ROOT.resolve("docs/examples/add.mlir");
        Cli.Run plain = Cli.run("run", add.toString(), "--pjrt-plugin", plugin, "--num-processes", "2", "--process-id", "1", "--coordinator", "localhost:1234");
        assertThat(plain.code()).as(plain.toString()).isEqualTo(1);
        assertThat(plain.err()).contains("--num-processes 2: @main must declare mhlo.num_partitions > 1 and carry sdy.sharding");
    }

    /** A process that fails after joining (here: its plugin refuses an option) ends the other's wait naming it, long before the timeout. */
    @Test
    void aProcessThatFailsAfterJoiningIsNamedByTheOther(@TempDir Path dir) throws Exception {
        Cli.Run in = Cli.run("run", ROOT.resolve("docs/examples/global-dot-inputs.mlir").toString(), "-o", dir.resolve("in").toString());
        assertThat(in.code()).as(in.toString()).isZero();
        String a = dir.resolve("in/result0.npy").toString(), b = dir.resolve("in/result1.npy").toString();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String plugin = MockPlugin.path().toString();
        long t0 = System.nanoTime();
        Process one = start(Map.of(), "run", DOT.toString(), "--input", a, "--input", b, "--pjrt-plugin", plugin, "--pjrt-option", "num_devices=2",
                "--pjrt-option", "bogus=1", "--num-processes", "2", "--process-id", "1", "--coordinator", "localhost:" + port, "--coordinator-timeout", "60");
        Process zero = start(Map.of(), "run", DOT.toString(), "--input", a, "--input", b, "--pjrt-plugin", plugin, "--pjrt-option", "num_devices=2",
                "--num-processes", "2", "--process-id", "0", "--coordinator", "localhost:" + port, "--coordinator-timeout", "60");
        String out0 = new String(zero.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String out1 = new String(one.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(zero.waitFor(120, TimeUnit.SECONDS) && one.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(one.exitValue()).as(out1).isEqualTo(1);
        assertThat(out1).contains("bogus");
        assertThat((System.nanoTime() - t0) / 1e9).as("not the 60 s timeout: " + out0).isLessThan(40);
        assertThat(zero.exitValue()).as(out0).isEqualTo(1);
        assertThat(out0).as(out0).contains("process 1 of the job failed, so 'mock:mock/topology/1' will not come (this is process 0): process 1: ");
    }
}
