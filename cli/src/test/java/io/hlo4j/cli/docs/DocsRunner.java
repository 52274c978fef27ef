package io.hlo4j.cli.docs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs the docs' examples in a JVM whose working directory is the repository root, as a reader's shell would
 * be: {@code java ... DocsRunner jobs.json results.json}. Console lines run in-process ({@code ./hlo4j} is
 * {@link Main#run}; a few file utilities are built in); Java examples are compiled classes whose {@code main}
 * is called. Each console block gets its own temporary folder that stands for {@code /tmp}.
 */
public final class DocsRunner {
    private DocsRunner() {}

    /** A console block (its command lines) or a compiled Java example (its class). */
    public record Job(String id, String kind, List<String> lines, String classDir, String className) {}

    public record Jobs(String conformanceDir, List<Job> jobs) {}

    /** Per command line (one for a Java example): what the terminal showed, and what broke the docs' rules. */
    public record Result(String id, List<String> outputs, List<List<String>> problems, long millis) {}

    public static void main(String[] args) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Jobs jobs = json.readValue(Path.of(args[0]).toFile(), Jobs.class);
        List<Result> results = new ArrayList<>();
        PrintStream realOut = System.out, realErr = System.err;
        for (Job job : jobs.jobs()) {
            long t0 = System.nanoTime();
            try {
                Result r = job.kind().equals("java") ? runJava(job) : new Console(job, jobs.conformanceDir()).run();
                results.add(new Result(r.id(), r.outputs(), r.problems(), (System.nanoTime() - t0) / 1_000_000));
            } finally {
                System.setOut(realOut);
                System.setErr(realErr);
            }
            // Written after every job, so a crash (a stack overflow that kills the JVM) still leaves the others.
            json.writeValue(Path.of(args[1]).toFile(), results);
        }
    }

    static Result runJava(Job job) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        List<String> problems = new ArrayList<>();
        System.setOut(capture);
        System.setErr(capture);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {Path.of(job.classDir()).toUri().toURL()},
                DocsRunner.class.getClassLoader())) {
            Class<?> c = Class.forName(job.className(), true, loader);
            c.getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } catch (InvocationTargetException e) {
            problems.add("threw " + trace(e.getCause()));
        } catch (Throwable t) {
            problems.add("could not run: " + trace(t));
        }
        capture.flush();
        return new Result(job.id(), List.of(buf.toString(StandardCharsets.UTF_8)), List.of(problems), 0);
    }

    static String trace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        String[] lines = w.toString().split("\n");
        return String.join("\n", java.util.Arrays.copyOf(lines, Math.min(lines.length, 12)));
    }

    /** One console block's commands, with the shell's {@code $?} carried from line to line. */
    static final class Console {
        private static final Pattern TMP = Pattern.compile("(^|=)/tmp(?=/|$)");
        private static final String CONFORMANCE = "../shared/conformance";
        /**
         * The coordinator port the pages show ({@code --coordinator localhost:29517}). Two docs runs on one host (two
         * checkouts, CI beside a developer) would meet on it, so each block that names it gets a port free at that
         * moment instead, in its commands, and shows it as 29517 again in their output.
         */
        static final String DOCS_PORT = "29517";
        private static final Pattern PORT_IN_WORD = Pattern.compile(":" + DOCS_PORT + "(?![0-9])");

        private final Job job;
        private final String conformance; // where ../shared/conformance really is, when elsewhere; else null
        private final Path tmp;
        private String port; // the free port standing for DOCS_PORT in this block, once a word names it
        private int status;
        /** A non-zero status not yet shown by {@code echo $?}: the command, and the problems of its line. */
        private String unshown;
        private List<String> unshownProblems;

        Console(Job job, String conformance) throws IOException {
            this.job = job;
            this.conformance = conformance;
            this.tmp = Files.createTempDirectory("hlo4j-docs");
        }

        Result run() throws IOException {
            List<String> outputs = new ArrayList<>();
            List<List<String>> problems = new ArrayList<>();
            try {
                for (String text : job.lines()) {
                    StringWriter terminal = new StringWriter();
                    List<String> lineProblems = new ArrayList<>();
                    try {
                        runLine(Shell.parse(text), terminal, lineProblems);
                    } catch (IllegalArgumentException e) {
                        lineProblems.add(e.getMessage());
                    }
                    outputs.add(unmap(terminal.toString()));
                    problems.add(lineProblems);
                }
                if (unshown != null) unshownProblems.add(unshownMessage());
            } finally {
                deleteTree(tmp);
            }
            return new Result(job.id(), outputs, problems, 0);
        }

        private String unshownMessage() {
            return "'" + unmap(unshown) + "' exited " + status + " but the page does not show it"
                    + " (end the line with '; echo \"exit $?\"' or follow it with '$ echo $?')";
        }

        private void runLine(Shell.Line line, StringWriter terminal, List<String> problems) throws IOException {
            for (List<List<String>> pipeline : line.pipelines()) {
                String stdin = null;
                for (int s = 0; s < pipeline.size(); s++) {
                    boolean last = s == pipeline.size() - 1;
                    List<String> words = new ArrayList<>();
                    boolean showsStatus = false;
                    for (String w : pipeline.get(s)) {
                        if (w.indexOf(Shell.STATUS) >= 0) showsStatus = true;
                        words.add(map(w.replace(String.valueOf(Shell.STATUS), Integer.toString(status))));
                    }
                    if (unshown != null) {
                        if (!(showsStatus && s == 0)) unshownProblems.add(unshownMessage());
                        unshown = null;
                    }
                    StringWriter piped = new StringWriter();
                    Writer out = last ? terminal : piped;
                    int code = command(words, stdin, out, terminal);
                    if (code != 0 && !last) {
                        problems.add("'" + unmap(String.join(" ", words)) + "' exited " + code + " inside a pipe, where the page cannot show it");
                    }
                    stdin = piped.toString();
                    status = code;
                    if (last && code != 0) {
                        unshown = String.join(" ", words);
                        unshownProblems = problems;
                    }
                }
            }
        }

        /** Runs one command; stdout to {@code out}, stderr to the terminal. Returns its exit status. */
        private int command(List<String> w, String stdin, Writer out, Writer terminal) throws IOException {
            String name = w.get(0);
            List<String> args = w.subList(1, w.size());
            PrintWriter o = new PrintWriter(out, true), e = new PrintWriter(terminal, true);
            return switch (name) {
                case "./hlo4j" -> hlo4j(args, o, e);
                case "echo" -> { o.println(String.join(" ", args)); yield 0; }
                case "cat" -> Builtins.cat(args, stdin, o, e);
                case "ls" -> Builtins.ls(args, o, e);
                case "head" -> Builtins.head(args, stdin, o, e);
                case "tail" -> Builtins.tail(args, stdin, o, e);
                case "grep" -> Builtins.grep(args, stdin, o, e);
                case "sed" -> Builtins.sed(args, stdin, o, e);
                case "wc" -> Builtins.wc(args, stdin, o, e);
                default -> throw new IllegalArgumentException("the docs test runs ./hlo4j and the builtins echo, cat, ls, head, tail,"
                        + " grep, sed and wc; not '" + name + "' (mark the block console no-run if it cannot run here)");
            };
        }

        private static int hlo4j(List<String> args, PrintWriter out, PrintWriter err) {
            // Commands print through the writers they are given; anything sent to System.out/err lands here too.
            ByteArrayOutputStream stray = new ByteArrayOutputStream();
            PrintStream ps = new PrintStream(stray, true, StandardCharsets.UTF_8);
            PrintStream so = System.out, se = System.err;
            System.setOut(ps);
            System.setErr(ps);
            try {
                return Main.run(out, err, args.toArray(String[]::new));
            } finally {
                System.setOut(so);
                System.setErr(se);
                ps.flush();
                if (stray.size() > 0) err.print(stray.toString(StandardCharsets.UTF_8));
                err.flush();
            }
        }

        /** A word as the program sees it: /tmp is this block's folder, the conformance files where they are. */
        private String map(String word) {
            String s = TMP.matcher(word).replaceAll("$1" + Matcher.quoteReplacement(tmp.toString()));
            if (conformance != null && s.startsWith(CONFORMANCE)) s = conformance + s.substring(CONFORMANCE.length());
            if (PORT_IN_WORD.matcher(s).find()) {
                if (port == null) port = freePort();
                s = PORT_IN_WORD.matcher(s).replaceAll(":" + port);
            }
            return s;
        }

        /** Output as the page shows it. */
        private String unmap(String text) {
            String s = text.replace(tmp.toString(), "/tmp");
            if (conformance != null) s = s.replace(conformance, CONFORMANCE);
            if (port != null) s = s.replaceAll("(?<=:|port )" + port + "(?![0-9])", DOCS_PORT);
            return s;
        }

        /** A port nobody listens on now (the system's pick for a socket bound to port 0, released at once). */
        private static String freePort() {
            try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
                return Integer.toString(probe.getLocalPort());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("no free port for the docs' coordinator port " + DOCS_PORT, e);
            }
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> all = Files.walk(p)) {
            for (Path q : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
