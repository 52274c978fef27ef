package io.hlo4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs the CLI in-process, as {@code ./hlo4j} would, and captures what it writes. */
final class Cli {
    private Cli() {}

    record Run(int code, String out, String err) {
        /** Both streams, for failure messages. */
        @Override public String toString() { return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err; }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** StableHLO's own test files: {@code hlo4j.conformance.dir} (surefire sets it), else beside the checkout. */
    static Path conformance() {
        String dir = System.getProperty("hlo4j.conformance.dir");
        Path p = dir != null ? Path.of(dir) : Path.of("").toAbsolutePath().getParent().resolve("../shared/conformance");
        if (!Files.isDirectory(p)) throw new IllegalStateException("conformance files not found at " + p);
        return p.normalize();
    }
}
