package io.hlo4j.runtime.conformance;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.parse.TextFiles;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.runtime.interp.CheckFailure;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs StableHLO's conformance files the way the reference tools' RUN lines do. A file with an interpreter
 * RUN line passes iff every module of it (split chunks included) evaluates its entry function with every
 * check holding, and its printed output satisfies the RUN line's FileCheck when it has one ({@link InterpretTool},
 * {@link FileCheck}); a {@code not} run must fail. A file without one (e.g. {@code testdata/dynamic/}) passes iff
 * it round-trips (parse, print, parse, print gives the same text).
 */
public final class ConformanceRunner {
    private final int threads;
    private final long timeoutMillis;

    public ConformanceRunner(int threads, long timeoutMillis) {
        this.threads = Math.max(1, threads);
        this.timeoutMillis = timeoutMillis;
    }

    public ConformanceRunner() { this(Runtime.getRuntime().availableProcessors(), 60_000); }

    /** Every {@code .mlir} file under the given files or folders (recursively), sorted. */
    public static List<Path> collect(List<Path> roots) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path r : roots) {
            if (Files.isDirectory(r)) {
                try (Stream<Path> s = Files.walk(r)) {
                    s.filter(p -> p.toString().endsWith(".mlir") && Files.isRegularFile(p)).sorted().forEach(out::add);
                }
            } else if (Files.isRegularFile(r)) {
                out.add(r);
            } else {
                throw new IOException("no such file or folder: " + r);
            }
        }
        return out;
    }

    /** Runs the files in parallel; {@code sink} sees each result as it completes (from one thread at a time). */
    public List<FileResult> run(List<Path> files, Consumer<FileResult> sink) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(null, r, "conformance", 64 << 20);
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<FileResult>> futures = new ArrayList<>();
            for (Path f : files) futures.add(pool.submit(() -> runFile(f)));
            List<FileResult> out = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                FileResult r;
                try {
                    r = futures.get(i).get(timeoutMillis + 5_000, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    futures.get(i).cancel(true);
                    r = new FileResult(files.get(i), Verdict.ERROR, "timed out after " + timeoutMillis + " ms", "interpret", 0, timeoutMillis);
                } catch (Exception e) {
                    r = new FileResult(files.get(i), Verdict.ERROR, String.valueOf(e.getCause()), "?", 0, 0);
                }
                out.add(r);
                if (sink != null) synchronized (this) { sink.accept(r); }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Why a file could not be read, without its path (the result's line names it). */
    private static String reason(FileSystemException e) {
        if (e.getReason() != null) return e.getReason();
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file";
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        return e.getClass().getSimpleName();
    }

    /** One file's verdict; never throws. */
    public FileResult runFile(Path file) {
        long t0 = System.nanoTime();
        String text;
        try {
            text = TextFiles.read(file);   // as the CLI reads modules: the size limit, strict UTF-8 with the bad byte's offset
        } catch (FileSystemException e) {
            return new FileResult(file, Verdict.ERROR, "cannot read: " + reason(e), "?", 0, 0);
        } catch (IOException e) {
            return new FileResult(file, Verdict.ERROR, "cannot read: " + e.getMessage(), "?", 0, 0);
        }
        RunLines run;
        try {
            run = RunLines.of(text);
        } catch (IllegalArgumentException e) {
            return new FileResult(file, Verdict.ERROR, e.getMessage(), "interpret", 0, 0);
        }
        if (run.interpret()) return interpretRuns(file, text, run, t0);
        List<Module> modules;
        try {
            modules = MlirParser.parseSplit(text, file.toString());
        } catch (Hlo4jException e) {
            return result(file, Verdict.ERROR, "parse: " + e.format(), run, 0, t0);
        } catch (RuntimeException | StackOverflowError e) {
            return result(file, Verdict.ERROR, "parse: " + e, run, 0, t0);
        }
        int i = 0;
        try {
            for (i = 0; i < modules.size(); i++) roundTrip(modules.get(i), file);
            return result(file, Verdict.PASS, null, run, modules.size(), t0);
        } catch (Hlo4jException e) {
            return result(file, Verdict.ERROR, chunk(i, modules) + e.format(), run, modules.size(), t0);
        } catch (RuntimeException | StackOverflowError e) {
            return result(file, Verdict.ERROR, chunk(i, modules) + e, run, modules.size(), t0);
        }
    }

    /**
     * Every interpreter RUN line of the file, each as the reference pipeline judges it: the tool must succeed
     * (or, after {@code not}, fail), and its output must satisfy the FileCheck stage when there is one.
     */
    private FileResult interpretRuns(Path file, String text, RunLines run, long t0) {
        int modules = 0;
        for (ToolRun r : run.runs()) {
            InterpretTool.Outcome o = InterpretTool.run(text, file, r, InterpretTool.deadline(t0, timeoutMillis));
            modules = Math.max(modules, o.modules());
            String tag = run.runs().size() > 1 ? "RUN `" + r.line() + "`: " : "";
            if (r.negated() && o.exitCode() == 0) {
                return result(file, Verdict.FAIL, tag + "expected the run to fail, but it succeeded", run, modules, t0);
            }
            if (!r.negated() && o.exitCode() != 0) {
                String msg = o.failure() instanceof Hlo4jException h && !(o.failure() instanceof InterpretTool.ChunkFailure)
                        ? h.format() : o.failure().getMessage();
                return result(file, isCheckFailure(o.failure()) ? Verdict.FAIL : Verdict.ERROR, tag + msg, run, modules, t0);
            }
            if (r.checkPrefixes() != null) {
                String why;
                try {
                    why = FileCheck.check(o.output(), text, r.checkPrefixes());
                } catch (IllegalArgumentException e) {
                    return result(file, Verdict.ERROR, tag + e.getMessage(), run, modules, t0);
                }
                if (why != null) return result(file, Verdict.FAIL, tag + why, run, modules, t0);
            }
        }
        return result(file, Verdict.PASS, null, run, modules, t0);
    }

    private static boolean isCheckFailure(Throwable t) {
        for (; t != null; t = t.getCause()) if (t instanceof CheckFailure) return true;
        return false;
    }

    private static String chunk(int i, List<Module> modules) { return modules.size() > 1 ? "module " + (i + 1) + ": " : ""; }

    private static FileResult result(Path f, Verdict v, String msg, RunLines run, int n, long t0) {
        return new FileResult(f, v, msg, run.mode(), n, (System.nanoTime() - t0) / 1_000_000);
    }

    private static void roundTrip(Module m, Path file) {
        String once = MlirPrinter.print(m);
        Module again = MlirParser.parseModule(once, file + " (printed)");
        String twice = MlirPrinter.print(again);
        if (!once.equals(twice)) {
            int at = 0;
            while (at < Math.min(once.length(), twice.length()) && once.charAt(at) == twice.charAt(at)) at++;
            int line = 1;
            for (int k = 0; k < at; k++) if (once.charAt(k) == '\n') line++;
            throw new Hlo4jException("print -> parse -> print is not a fixpoint: printed text differs at line " + line, null);
        }
    }
}
