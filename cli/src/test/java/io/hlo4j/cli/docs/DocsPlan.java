package io.hlo4j.cli.docs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.verify.ModuleVerifier;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Every page's blocks sorted into what runs and what is only shown, the Java examples compiled, and all
 * examples run once in a forked JVM (working directory: the repository root). Built once per test JVM.
 */
final class DocsPlan {
    /** What the test does with a block. */
    enum Kind { CONSOLE, JAVA, MLIR, OUTPUT, SHOWN, NO_RUN, BROKEN }

    /** A block, its kind, and (by kind) its script, its Java unit, the output block after it, or why it is broken. */
    record Item(MarkdownBlocks.Block block, Kind kind, ConsoleScript script, JavaExamples.Unit unit,
                MarkdownBlocks.Block output, String problem) {}

    final Path root;
    final Map<String, List<Item>> pages = new TreeMap<>();
    final Map<String, DocsRunner.Result> results = new HashMap<>();
    final Map<MarkdownBlocks.Block, String> compileErrors = new HashMap<>();
    /** Set when the runner JVM failed as a whole: why, and the end of its output. */
    String runnerFailure;
    long compileMillis, runMillis;

    private static DocsPlan instance;

    static synchronized DocsPlan get() throws Exception {
        if (instance == null) instance = new DocsPlan(root()).build();
        return instance;
    }

    static Path root() {
        Path r = Path.of(System.getProperty("hlo4j.root", "..")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(r.resolve("pom.xml")) || !Files.isDirectory(r.resolve("docs"))) {
            throw new IllegalStateException("repository root not found at " + r + " (surefire sets hlo4j.root)");
        }
        return r;
    }

    /** README.md and every Markdown page under docs/. */
    static List<Path> pageFiles(Path root) throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(root.resolve("README.md"));
        try (Stream<Path> s = Files.walk(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        // -Dhlo4j.docs.page=dsl.md runs only the pages whose path contains that text (while writing one).
        String only = System.getProperty("hlo4j.docs.page", "");
        if (!only.isBlank()) files.removeIf(f -> !root.relativize(f).toString().contains(only));
        return files;
    }

    private DocsPlan(Path root) { this.root = root; }

    private DocsPlan build() throws Exception {
        List<JavaExamples.Unit> units = new ArrayList<>();
        for (Path f : pageFiles(root)) {
            MarkdownBlocks page = MarkdownBlocks.read(root, f);
            List<Item> items = new ArrayList<>();
            List<MarkdownBlocks.Block> bs = page.blocks();
            for (int i = 0; i < bs.size(); i++) {
                MarkdownBlocks.Block b = bs.get(i);
                MarkdownBlocks.Block next = i + 1 < bs.size() ? bs.get(i + 1) : null;
                Item item = classify(b, next, units.size());
                if (item.unit() != null) units.add(item.unit());
                items.add(item);
                if (item.output() != null) { items.add(new Item(next, Kind.OUTPUT, null, null, null, null)); i++; }
            }
            pages.put(page.page(), items);
        }
        String cp = System.getProperty("java.class.path");
        long t0 = System.nanoTime();
        JavaExamples.Compiled compiled = JavaExamples.compile(root.resolve("cli/target/docs-examples"), units, cp);
        compileErrors.putAll(compiled.errors());
        compileMillis = (System.nanoTime() - t0) / 1_000_000;

        List<DocsRunner.Job> jobs = new ArrayList<>();
        for (List<Item> items : pages.values()) {
            for (Item it : items) {
                if (it.kind() == Kind.CONSOLE) {
                    jobs.add(new DocsRunner.Job(it.block().where(), "console",
                            it.script().steps().stream().map(ConsoleScript.Step::command).toList(), null, null));
                } else if (it.kind() == Kind.JAVA && !compileErrors.containsKey(it.block())) {
                    jobs.add(new DocsRunner.Job(it.block().where(), "java", null, compiled.classDir().toString(), it.unit().className()));
                }
            }
        }
        t0 = System.nanoTime();
        fork(jobs, cp + File.pathSeparator + compiled.classDir());
        runMillis = (System.nanoTime() - t0) / 1_000_000;
        return this;
    }

    private static Item classify(MarkdownBlocks.Block b, MarkdownBlocks.Block next, int index) {
        if (b.lang().isEmpty()) {
            return broken(b, "code block without a language: label it console (run), java, text, sh, mlir, ...;"
                    + " console no-run or java no-run for examples that cannot run in the tests");
        }
        if (b.has("output")) return broken(b, "an output block must come right after the java block whose output it is");
        if (b.has("no-run")) return new Item(b, Kind.NO_RUN, null, null, null, null);
        try {
            switch (b.lang()) {
                case "console" -> { return new Item(b, Kind.CONSOLE, ConsoleScript.of(b), null, null, null); }
                case "java" -> {
                    MarkdownBlocks.Block out = next != null && next.has("output") ? next : null;
                    return new Item(b, Kind.JAVA, null, JavaExamples.unit(b, index), out, null);
                }
                case "mlir" -> {
                    // A complete module is parsed and verified; one with '...' lines is an excerpt, only shown.
                    boolean excerpt = b.content().stream().anyMatch(l -> l.contains("..."));
                    return new Item(b, excerpt ? Kind.SHOWN : Kind.MLIR, null, null, null, null);
                }
                default -> { return new Item(b, Kind.SHOWN, null, null, null, null); }
            }
        } catch (IllegalArgumentException e) {
            return broken(b, e.getMessage());
        }
    }

    /** Null when an mlir block (a whole module, or split modules) parses and verifies, else why not. */
    static String mlirProblem(MarkdownBlocks.Block b) {
        try {
            for (Module m : MlirParser.parseSplit(String.join("\n", b.content()) + "\n", "block")) ModuleVerifier.verify(m);
            return null;
        } catch (RuntimeException e) {
            String why = e instanceof io.hlo4j.mlir.ir.Hlo4jException h ? h.format() : e.toString();
            return b.where() + ": the mlir block does not parse or verify: " + why + " ('block:L:C' counts from the line after the fence;"
                    + " an excerpt needs a '...' line)";
        }
    }

    /** {@code why} with the block's place in front, unless it already names one. */
    private static Item broken(MarkdownBlocks.Block b, String why) {
        String problem = why.startsWith(b.page() + ":") ? why : b.where() + ": " + why;
        return new Item(b, Kind.BROKEN, null, null, null, problem);
    }

    private String conformanceOverride() {
        String dir = System.getProperty("hlo4j.conformance.dir");
        if (dir == null || dir.isBlank() || dir.contains("${")) return null;
        Path given = Path.of(dir).toAbsolutePath().normalize();
        Path beside = root.resolve("../shared/conformance").normalize();
        return given.equals(beside) ? null : given.toString();
    }

    private void fork(List<DocsRunner.Job> jobs, String classPath) throws IOException, InterruptedException {
        if (jobs.isEmpty()) return;
        Path work = Files.createTempDirectory("hlo4j-docs-run");
        try {
            ObjectMapper json = new ObjectMapper();
            Path in = work.resolve("jobs.json"), out = work.resolve("results.json"), log = work.resolve("runner.log");
            json.writeValue(in.toFile(), new DocsRunner.Jobs(conformanceOverride(), jobs));
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            ProcessBuilder pb = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-Xss16m", "-Xmx3g",
                    "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classPath, DocsRunner.class.getName(), in.toString(), out.toString())
                    .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            Process p = pb.start();
            boolean done = p.waitFor(300, TimeUnit.SECONDS);
            if (!done) p.destroyForcibly().waitFor();
            if (Files.exists(out)) {
                for (DocsRunner.Result r : json.readValue(out.toFile(), new TypeReference<List<DocsRunner.Result>>() {})) {
                    results.put(r.id(), r);
                }
            }
            if (!done || p.exitValue() != 0) {
                List<String> lines = Files.readAllLines(log);
                runnerFailure = (done ? "the examples' JVM exited " + p.exitValue() : "the examples' JVM ran past 300 s and was stopped")
                        + "; the end of its output:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
            }
        } finally {
            DocsRunner.deleteTree(work);
        }
    }
}
