package io.hlo4j.runtime.conformance;

import java.util.ArrayList;
import java.util.List;

/**
 * What a conformance file's {@code // RUN:} lines ask for: an interpreter run, or only parse/print. Files whose
 * RUN lines depend on tooling hlo4j deliberately does not reproduce (FileCheck over the interpreter's printed
 * output, probe output directories, expected-failure runs of the command line) are skipped with that reason.
 */
public record RunLines(boolean interpret, String skipReason) {
    public String mode() { return interpret ? "interpret" : "round-trip"; }

    public static RunLines of(String text) {
        List<String> runs = new ArrayList<>();
        for (String line : text.split("\n", 200)) {
            String l = line.strip();
            if (l.startsWith("// RUN:")) runs.add(l.substring(7).strip());
        }
        boolean interpret = false;
        String skip = null;
        for (String r : runs) {
            if (!r.contains("--interpret")) continue;
            interpret = true;
            if (r.contains("--probe-output-dir")) skip = "needs the reference interpreter's probe output files (interpreter.probe)";
            else if (r.startsWith("not ")) skip = "expects the reference command line to reject its --args (tests stablehlo-translate's CLI)";
            else if (r.contains("--args=")) skip = "passes inputs through stablehlo-translate's --args flag and compares stdout with FileCheck";
            else if (r.contains("FileCheck")) skip = "compares the reference tool's printed output with FileCheck";
        }
        return new RunLines(interpret, skip);
    }
}
