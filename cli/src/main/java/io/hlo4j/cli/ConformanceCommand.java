package io.hlo4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.hlo4j.runtime.conformance.ConformanceRunner;
import io.hlo4j.runtime.conformance.FileResult;
import io.hlo4j.runtime.conformance.Summary;
import io.hlo4j.runtime.conformance.Verdict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code hlo4j conformance PATH...}: runs StableHLO conformance files through the interpreter and the round trip. */
@Command(name = "conformance",
        description = {"Run StableHLO conformance files (folders recursively) and report the pass rate.",
                "Each module of each file is interpreted and its checks applied, or, for files without an interpreter",
                "RUN line, printed and re-parsed to a fixpoint.",
                "Prints PASS/FAIL/ERROR/SKIP per file, then 'conformance summary: P of T files passed (X.X%%), F failed, S skipped'."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j conformance ../shared/conformance",
                "  hlo4j conformance --json ../shared/conformance/interpret/add.mlir"})
public final class ConformanceCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "Files or folders of .mlir files.")
    List<Path> paths;

    @Option(names = "--json", description = "Write one JSON document (files and summary) instead of text lines.")
    boolean json;

    @Option(names = "--threads", description = "Files run in parallel (default: available processors).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--timeout", description = "Seconds one file may take (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds = 60;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (threads < 1) throw new Main.UsageError("--threads must be at least 1, got " + threads);
        if (timeoutSeconds < 1 || timeoutSeconds > 7 * 24 * 3600) {
            throw new Main.UsageError("--timeout must be between 1 and 604800 seconds, got " + timeoutSeconds);
        }
        List<Path> files = ConformanceRunner.collect(paths);
        boolean progress = System.console() != null && !json;
        AtomicInteger done = new AtomicInteger();
        List<FileResult> results = new ConformanceRunner(threads, timeoutSeconds * 1000).run(files, r -> {
            if (!json) {
                out.println(r.line());
                out.flush();
            }
            int n = done.incrementAndGet();
            if (progress && (n % 50 == 0 || n == files.size())) {
                err.print("\r" + n + "/" + files.size() + " files");
                if (n == files.size()) err.println();
                err.flush();
            }
        });
        Summary s = Summary.of(results);
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            List<Map<String, Object>> fs = new ArrayList<>();
            for (FileResult r : results) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("file", r.file().toString());
                m.put("verdict", r.verdict().name());
                m.put("mode", r.mode());
                m.put("modules", r.modules());
                m.put("millis", r.millis());
                if (r.message() != null) m.put("message", r.message());
                fs.add(m);
            }
            doc.put("files", fs);
            Map<String, Object> sm = new LinkedHashMap<>();
            sm.put("total", s.total());
            sm.put("passed", s.passed());
            sm.put("failed", s.failed());
            sm.put("skipped", s.skipped());
            sm.put("passRate", Math.round(s.passRate() * 10) / 10.0);
            doc.put("summary", sm);
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
        } else {
            out.println(s.line());
        }
        out.flush();
        return results.stream().anyMatch(r -> r.verdict() == Verdict.FAIL || r.verdict() == Verdict.ERROR) ? 1 : 0;
    }
}
