package io.hlo4j.cli;

import io.hlo4j.dsl.Pytree;
import io.hlo4j.examples.Example;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.OutputStream;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A user's model classes as a user builds them: compiled with javac against hlo4j's jars, into a folder or a jar. */
final class UserModels {
    private UserModels() {}

    /** The model docs/cli-models.md shows: docs/examples/TinyRegression.java, class com.example.TinyRegression. */
    static final String TINY = "com.example.TinyRegression";

    static Path tinySource() {
        Path root = Path.of(System.getProperty("hlo4j.root", "..")).toAbsolutePath().normalize();
        return root.resolve("docs/examples/TinyRegression.java");
    }

    /** Compiles the sources (files) into {@code out} against this JVM's class path; fails the test on an error. */
    static Path compile(Path out, Path... sources) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        Files.createDirectories(out);
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diags, Locale.ROOT, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(null, fm, diags, List.of("-classpath", System.getProperty("java.class.path"), "-d", out.toString(),
                    "-proc:none", "-g"), null, fm.getJavaFileObjectsFromPaths(List.of(sources))).call();
            assertThat(ok).as(diags.getDiagnostics().toString()).isTrue();
        }
        return out;
    }

    /** {@code name}'s source written under {@code dir} and compiled into {@code dir/classes}. */
    static Path compileSource(Path dir, String simpleName, String source) throws Exception {
        Path f = dir.resolve("src").resolve(simpleName + ".java");
        Files.createDirectories(f.getParent());
        Files.writeString(f, source);
        return compile(dir.resolve("classes"), f);
    }

    /** A jar of the classes under {@code classes}, listing {@code providers} in META-INF/services/io.hlo4j.examples.Example. */
    static Path jar(Path classes, Path jar, String... providers) throws Exception {
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(os); Stream<Path> s = Files.walk(classes)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                j.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                j.write(Files.readAllBytes(p));
                j.closeEntry();
            }
            j.putNextEntry(new JarEntry("META-INF/services/" + Example.class.getName()));
            j.write((String.join("\n", providers) + "\n").getBytes(StandardCharsets.UTF_8));
            j.closeEntry();
        }
        return jar;
    }

    /** An instance of the user's class, loaded from {@code classes} as the CLI loads it (a child of this loader). */
    static Example load(Path classes, String fqcn) throws Exception {
        URLClassLoader l = new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()}, Example.class.getClassLoader());
        return (Example) l.loadClass(fqcn).getConstructor().newInstance();
    }

    /** The host-array leaves of a pytree of arguments, in @main's order. */
    static List<HostArray> leaves(Object... args) {
        List<HostArray> out = new ArrayList<>();
        for (Object o : Pytree.leaves(List.of(args))) out.add((HostArray) o);
        return out;
    }

    /** Parses and verifies a dump and runs its @main on the interpreter. */
    static List<HostArray> runGlobal(String text, List<HostArray> args) {
        var m = MlirParser.parseModule(text, "dump.mlir");
        ModuleVerifier.verify(m);
        return new Interpreter(m).runHost("main", args);
    }

    /** The losses an {@code examples run} printed, one per {@code step N loss L} line. */
    static List<Double> printedLosses(String out) {
        return out.lines().filter(l -> l.startsWith("step ")).map(l -> Double.parseDouble(l.split(" ")[3])).toList();
    }
}
