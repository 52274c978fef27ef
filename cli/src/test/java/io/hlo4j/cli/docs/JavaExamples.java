package io.hlo4j.cli.docs;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the docs' {@code java} blocks into classes: a complete program (a class with {@code main}) is compiled as
 * written, in a package of its own; a {@code java snippet} becomes the body of a {@code main} with
 * {@link #SNIPPET_IMPORTS} (and its own leading {@code import} lines) in scope. All are compiled in one
 * {@code javac} run against the test class path; the classes are kept under {@code cli/target/docs-examples/}
 * keyed by a hash of the sources and the class path, so an unchanged set is not compiled again.
 */
final class JavaExamples {
    private JavaExamples() {}

    /** What a snippet sees without importing it. */
    static final List<String> SNIPPET_IMPORTS = List.of(
            "io.hlo4j.dsl.*", "io.hlo4j.dsl.jit.*", "io.hlo4j.dsl.grad.*", "io.hlo4j.dsl.nn.*", "io.hlo4j.dsl.optim.*",
            "io.hlo4j.dsl.shard.*", "io.hlo4j.dsl.Random", "io.hlo4j.compiler.ad.Checkpoint",
            "io.hlo4j.runtime.array.HostArray", "java.nio.file.*", "java.util.*", "static io.hlo4j.dsl.DType.*");

    private static final Pattern MAIN = Pattern.compile("static\\s+void\\s+main\\s*\\(");
    private static final Pattern CLASS = Pattern.compile("(?m)^(?:public\\s+)?(?:final\\s+)?(?:class|record)\\s+(\\w+)");

    /** One block as a compilation unit; {@code pageLines[k]} is the page line of unit line k+1 (0 when generated). */
    record Unit(MarkdownBlocks.Block block, String className, String source, int[] pageLines) {}

    /** The classes (or why a block did not compile, by block). */
    record Compiled(Path classDir, Map<MarkdownBlocks.Block, String> errors) {}

    /**
     * The generated declarations share lines with the example's own, so that the unit's line k is the block's
     * line k: a stack trace or a traced {@code loc("Snippet.java":k:0)} points at the page's text.
     */
    static Unit unit(MarkdownBlocks.Block b, int index) {
        String pkg = "docsexamples.b" + index;
        List<String> body = new ArrayList<>(b.content());
        if (body.isEmpty()) throw new IllegalArgumentException(b.where() + ": empty java block");
        String className;
        if (b.has("snippet")) {
            int k = 0;
            while (k < body.size() && (body.get(k).isBlank() || body.get(k).startsWith("import "))) k++;
            StringBuilder header = new StringBuilder();
            for (String imp : SNIPPET_IMPORTS) header.append("import ").append(imp).append("; ");
            header.append("public final class Snippet { public static void main(String[] args) throws Exception { ");
            if (k == 0) body.set(0, header + body.get(0));
            else body.set(k - 1, body.get(k - 1) + " " + header);
            body.add("}}");
            className = "Snippet";
        } else {
            String text = String.join("\n", body);
            Matcher c = CLASS.matcher(text);
            if (!MAIN.matcher(text).find() || !c.find()) {
                throw new IllegalArgumentException(b.where() + ": a java block must be a complete program (a class with main), or be marked"
                        + " 'java snippet' (run as the body of main) or 'java no-run'");
            }
            if (text.matches("(?s)\\s*package\\s.*")) throw new IllegalArgumentException(b.where() + ": leave the package line out of a docs example");
            className = c.group(1);
        }
        body.set(0, "package " + pkg + "; " + body.get(0));
        int[] map = new int[body.size()];
        for (int i = 0; i < map.length; i++) map[i] = i < b.content().size() ? b.lineOf(i) : 0;
        return new Unit(b, pkg + "." + className, String.join("\n", body) + "\n", map);
    }

    static Compiled compile(Path cacheRoot, List<Unit> units, String classPath) throws IOException {
        Path dir = cacheRoot.resolve(key(units, classPath));
        if (Files.exists(dir.resolve("ok"))) return new Compiled(dir, Map.of());
        // Only the current set is kept: older sets (other sources, other class paths) are removed.
        if (Files.isDirectory(cacheRoot)) {
            try (var old = Files.list(cacheRoot)) {
                for (Path p : old.toList()) DocsRunner.deleteTree(p);
            }
        }
        Files.createDirectories(dir);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) throw new IllegalStateException("no system Java compiler (the tests need a JDK, not a JRE)");
        Map<MarkdownBlocks.Block, String> errors = new LinkedHashMap<>();
        List<Unit> todo = units;
        // A unit with errors stops javac writing classes for the others, so those are compiled again without it.
        for (int round = 0; round < 2 && !todo.isEmpty(); round++) {
            Map<Unit, List<String>> bad = run(javac, dir, todo, classPath);
            if (bad.isEmpty()) break;
            bad.forEach((u, msgs) -> errors.put(u.block(), String.join("\n", msgs)));
            todo = todo.stream().filter(u -> !bad.containsKey(u)).toList();
        }
        if (errors.isEmpty()) Files.writeString(dir.resolve("ok"), "");
        return new Compiled(dir, errors);
    }

    private static Map<Unit, List<String>> run(JavaCompiler javac, Path dir, List<Unit> units, String classPath) throws IOException {
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        Map<JavaFileObject, Unit> byFile = new LinkedHashMap<>();
        for (Unit u : units) byFile.put(new Source(u), u);
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diags, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of("-classpath", classPath, "-d", dir.toString(), "-proc:none", "-implicit:none",
                    "-encoding", "UTF-8", "-Xlint:none", "-nowarn");
            javac.getTask(null, fm, diags, options, null, byFile.keySet()).call();
        }
        Map<Unit, List<String>> bad = new LinkedHashMap<>();
        for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) continue;
            Unit u = byFile.get(d.getSource());
            if (u == null) throw new IllegalStateException("javac: " + d.getMessage(Locale.ROOT));
            int line = (int) d.getLineNumber();
            int page = line >= 1 && line <= u.pageLines().length ? u.pageLines()[line - 1] : 0;
            String where = u.block().page() + ":" + (page > 0 ? page : u.block().line() + " (generated code)");
            bad.computeIfAbsent(u, k -> new ArrayList<>()).add(where + ": " + d.getMessage(Locale.ROOT));
        }
        return bad;
    }

    private static final class Source extends SimpleJavaFileObject {
        private final String text;

        Source(Unit u) {
            super(URI.create("string:///" + u.className().replace('.', '/') + ".java"), Kind.SOURCE);
            this.text = u.source();
        }

        @Override public CharSequence getCharContent(boolean ignoreEncodingErrors) { return text; }
    }

    private static String key(List<Unit> units, String classPath) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(Runtime.version().toString().getBytes(StandardCharsets.UTF_8));
            for (String e : classPath.split(File.pathSeparator)) {
                // An entry's time stamp, so rebuilt classes (a changed API) mean compiling the examples again.
                md.update((e + "@" + new File(e).lastModified() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            for (Unit u : units) md.update((u.className() + "\n" + u.source()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest(), 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
