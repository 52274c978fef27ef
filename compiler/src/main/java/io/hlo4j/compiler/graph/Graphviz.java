package io.hlo4j.compiler.graph;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Renders DOT with Graphviz's {@code dot} program, when it is on the PATH. */
public final class Graphviz {
    private Graphviz() {}

    /**
     * The {@code dot} executable on PATH, or null. The system property {@code hlo4j.dot} overrides the search:
     * a path to use, or empty to act as if Graphviz were not installed.
     */
    public static Path dotExecutable() {
        String override = System.getProperty("hlo4j.dot");
        if (override != null) return override.isEmpty() ? null : Path.of(override);
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, "dot");
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    public static boolean available() { return dotExecutable() != null; }

    /** {@code dot -Tsvg} of the text; refuses with dot's own message when it fails or runs past two minutes. */
    public static String svg(String dot) throws IOException {
        Path exe = dotExecutable();
        if (exe == null) throw new IOException("Graphviz 'dot' is not on PATH (Debian/Ubuntu: apt-get install graphviz)");
        Process p = new ProcessBuilder(exe.toString(), "-Tsvg").start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread o = pump(p.getInputStream(), out);
        Thread e = pump(p.getErrorStream(), err);
        try (OutputStream in = p.getOutputStream()) {
            in.write(dot.getBytes(StandardCharsets.UTF_8));
        }
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("Graphviz 'dot' ran longer than 120 s; write --dot and render it yourself");
            }
            o.join();
            e.join();
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while waiting for Graphviz 'dot'");
        }
        if (p.exitValue() != 0) {
            throw new IOException("Graphviz 'dot' failed (exit " + p.exitValue() + "): " + err.toString(StandardCharsets.UTF_8).strip());
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream to) {
        Thread t = Thread.ofVirtual().start(() -> {
            try (in) { in.transferTo(to); } catch (IOException ignored) { /* the exit code reports the failure */ }
        });
        return t;
    }
}
