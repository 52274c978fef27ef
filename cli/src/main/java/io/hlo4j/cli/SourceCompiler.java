package io.hlo4j.cli;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code --classpath Model.java}: the sources compiled into a temporary folder against hlo4j's own class path (and the
 * other {@code --classpath} entries), as {@code java Model.java} runs a source file without a build step. A compile
 * error is a usage error naming the file and line.
 */
final class SourceCompiler {
    private SourceCompiler() {}

    static Path compile(List<Path> sources, List<URL> others) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw CliCommand.usage("--classpath " + sources.get(0) + ": compiling a .java source needs a JDK's compiler, and this Java has none"
                    + " (compile it with javac and give the class folder or jar)");
        }
        Path out;
        try {
            out = Files.createTempDirectory("hlo4j-classes");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a folder for the compiled --classpath sources: " + e.getMessage(), e);
        }
        StringBuilder cp = new StringBuilder(System.getProperty("java.class.path", ""));
        for (URL u : others) {
            try {
                cp.append(File.pathSeparator).append(Path.of(u.toURI()));
            } catch (URISyntaxException e) {
                throw new IllegalStateException(u + ": " + e.getMessage(), e);
            }
        }
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        boolean ok;
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diags, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of("-classpath", cp.toString(), "-d", out.toString(), "-proc:none", "-encoding", "UTF-8",
                    "-Xlint:none", "-nowarn", "-g");
            ok = javac.getTask(null, fm, diags, options, null, fm.getJavaFileObjectsFromPaths(sources)).call();
        } catch (IOException e) {
            delete(out);
            throw new IllegalStateException("javac: " + e.getMessage(), e);
        }
        if (!ok) {
            delete(out);
            List<String> errors = new ArrayList<>();
            for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics()) {
                if (d.getKind() != Diagnostic.Kind.ERROR) continue;
                String file = d.getSource() == null ? "javac" : shortName(d.getSource().getName(), sources);
                errors.add(file + (d.getLineNumber() > 0 ? ":" + d.getLineNumber() : "") + ": " + Diagnostics.firstLine(d.getMessage(Locale.ROOT)));
            }
            String more = errors.size() > 1 ? " (and " + (errors.size() - 1) + " more error" + (errors.size() > 2 ? "s" : "") + ")" : "";
            throw CliCommand.usage("--classpath: does not compile: " + (errors.isEmpty() ? "javac failed" : errors.get(0)) + more);
        }
        return out;
    }

    /** The source as the user named it on --classpath. */
    private static String shortName(String name, List<Path> sources) {
        for (Path p : sources) if (Path.of(name).toAbsolutePath().normalize().equals(p.toAbsolutePath().normalize())) return p.toString();
        return name;
    }

    static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }
}
