package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.verify.ModuleVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code hlo4j bench parse}: parse + verify throughput over a folder of {@code .mlir} files, on one thread.
 * Files are read into memory first, so disk speed is not measured. Files that fail are reported and left
 * out of the timing; any failure makes the exit code 1.
 */
@Command(name = "parse",
        description = {"Parse+verify throughput (MB/s, files/s) over every .mlir file under PATH, on one thread.",
                "Best of --repeat timed rounds after --warmup untimed ones; MB = 10^6 bytes of UTF-8 text."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j bench parse", "  hlo4j bench parse --warmup 1 --repeat 3 ../shared/conformance/interpret"})
final class BenchParseCommand extends CliCommand {
    @Parameters(paramLabel = "PATH", arity = "0..1",
            description = "A folder (searched recursively) or one file (default: ../shared/conformance).")
    Path path;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed rounds first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "5", description = "Timed rounds; the best counts (default ${DEFAULT-VALUE}).")
    int repeat;

    static final int MAX_ROUNDS = 10_000;

    record Input(Path path, String text, long bytes) {}

    @Override public Integer call() throws IOException {
        // bounded, so that a stray digit does not start a run of days with nothing printed
        if (warmup < 0 || warmup > MAX_ROUNDS) throw usage("--warmup must be between 0 and " + MAX_ROUNDS + ", not " + warmup);
        if (repeat < 1 || repeat > MAX_ROUNDS) throw usage("--repeat must be between 1 and " + MAX_ROUNDS + ", not " + repeat);
        Path root = path != null ? path : defaultPath();
        if (!Files.exists(root)) throw new java.nio.file.NoSuchFileException(root.toString());

        List<Input> inputs = new ArrayList<>();
        int failed = 0;
        for (Path f : mlirFiles(root)) {
            try {
                String text = CliFiles.readText(f);
                parseAndVerify(text, f.toString()); // once up front: only files that work are timed
                inputs.add(new Input(f, text, text.getBytes(StandardCharsets.UTF_8).length));
            } catch (Exception | StackOverflowError e) {
                fail(f, e);
                failed++;
            }
        }
        if (inputs.isEmpty()) {
            // one file that failed has said why on its own line: the error is that line alone
            if (!(failed == 1 && Files.isRegularFile(root))) err().println("hlo4j: no .mlir file under " + Main.printable(root.toString()) + " parses and verifies; nothing to measure");
            return Main.FAILED;
        }
        long bytes = inputs.stream().mapToLong(Input::bytes).sum();

        long sink = 0;
        for (int i = 0; i < warmup; i++) sink += round(inputs);
        // Wall time is what a user waits; the thread's CPU time leaves out time the OS gave to other processes,
        // which on a shared machine is the steadier figure. Both are best-of-N.
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean cpuTimed = threads.isCurrentThreadCpuTimeSupported();
        long bestWall = Long.MAX_VALUE;
        long bestCpu = Long.MAX_VALUE;
        for (int i = 0; i < repeat; i++) {
            long c0 = cpuTimed ? threads.getCurrentThreadCpuTime() : 0;
            long t0 = System.nanoTime();
            sink += round(inputs);
            bestWall = Math.min(bestWall, System.nanoTime() - t0);
            if (cpuTimed) bestCpu = Math.min(bestCpu, threads.getCurrentThreadCpuTime() - c0);
        }
        double mb = bytes / 1e6;
        out().printf(Locale.ROOT, "bench parse: %d files, %.2f MB under %s%s%n", inputs.size(), mb, root,
                failed == 0 ? "" : " (" + failed + " failing files left out)");
        out().printf(Locale.ROOT, "parse+verify, one thread, best of %d after %d warm-up:%n", repeat, warmup);
        out().printf(Locale.ROOT, "  wall time   %.3f s = %.1f MB/s, %.0f files/s%n",
                bestWall / 1e9, mb / (bestWall / 1e9), inputs.size() / (bestWall / 1e9));
        if (cpuTimed) {
            out().printf(Locale.ROOT, "  thread CPU  %.3f s = %.1f MB/s, %.0f files/s%n",
                    bestCpu / 1e9, mb / (bestCpu / 1e9), inputs.size() / (bestCpu / 1e9));
        }
        if (verbose()) out().println("(checksum " + sink + ")");
        out().flush();
        return failed == 0 ? Main.OK : Main.FAILED;
    }

    /** One pass over all inputs; returns a value that depends on every parse so none can be optimised away. */
    private static long round(List<Input> inputs) {
        long n = 0;
        for (Input in : inputs) n += parseAndVerify(in.text, in.path.toString());
        return n;
    }

    private static int parseAndVerify(String text, String name) {
        int ops = 0;
        for (Module m : MlirParser.parseSplit(text, name)) {
            ModuleVerifier.verify(m);
            ops += m.operations().size();
        }
        return ops;
    }

    static List<Path> mlirFiles(Path root) throws IOException {
        if (Files.isRegularFile(root)) return List.of(root);
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".mlir") && Files.isRegularFile(p)).sorted().toList();
        }
    }

    /** {@code hlo4j.conformance.dir} if set, else {@code <hlo4j.root>/../shared/conformance}, else relative to here. */
    static Path defaultPath() {
        String dir = System.getProperty("hlo4j.conformance.dir");
        if (dir != null && !dir.isBlank()) return Path.of(dir);
        String root = System.getProperty("hlo4j.root");
        Path p = root != null ? Path.of(root).resolve("../shared/conformance") : Path.of("../shared/conformance");
        return p.normalize();
    }
}
