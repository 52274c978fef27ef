package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a user's model throws, wherever the CLI calls it (its constructor, static initialiser, name(), description(),
 * optimizer(), defaultSteps(), loss() while tracing or training), exceptions and Errors alike, is one line naming the
 * class, the exception's type and message and the user's own line, exit 2, in {@code dump} and {@code examples} alike,
 * and {@code --verbose} adds the user's stack trace. The classes are compiled here with javac, as a user compiles them;
 * the lines are found in their sources.
 */
class DumpUserModelErrorsTest {

    /** A model of {@code members} (which give at least loss()): parameters [1, 2], batch [3, 4]. */
    static String model(String cls, String name, String members) {
        return """
                package com.example;

                import io.hlo4j.dsl.*;
                import io.hlo4j.dsl.jit.TracedFunction;
                import io.hlo4j.dsl.optim.AdamW;
                import io.hlo4j.dsl.optim.Optimizer;
                import io.hlo4j.examples.Example;
                import io.hlo4j.runtime.array.HostArray;
                import java.util.List;

                public final class CLS implements Example {
                    @Override public String name() { return "NAME"; }
                    @Override public Object params() { return List.of(HostArray.fromDoubles(Spec.of(DType.F32, 2).tensorType(), new double[] {1, 2})); }
                    @Override public List<Object> batch() { return List.of(HostArray.fromDoubles(Spec.of(DType.F32, 2).tensorType(), new double[] {3, 4})); }
                    @SuppressWarnings("unchecked")
                    static Tensor squares(Object[] a) { return Reductions.mean(Ops.square(Ops.sub(((List<Tensor>) a[0]).get(0), (Tensor) a[1]))); }
                MEMBERS
                }
                """.replace("CLS", cls).replace("NAME", name).replace("MEMBERS", members);
    }

    static final String LOSS = "    @Override public TracedFunction loss() { return a -> squares(a); }\n";
    static final String ADAMW = "    @Override public Optimizer optimizer() { return AdamW.of(0.1); }\n";

    /** {@code src}'s classes compiled into {@code dir/classes}. */
    static String compiled(Path dir, String cls, String src) throws Exception {
        return UserModels.compileSource(dir, cls, src).toString();
    }

    /** The 1-based line of {@code src} holding {@code snippet}. */
    static int line(String src, String snippet) {
        String[] lines = src.split("\n", -1);
        for (int i = 0; i < lines.length; i++) if (lines[i].contains(snippet)) return i + 1;
        throw new AssertionError(snippet + " not in the source");
    }

    static void refused(Cli.Run r, String line) {
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.err()).isEqualTo(line + "\n");
    }

    static String dumpHelp(String message) { return "hlo4j dump: " + message + " (see 'hlo4j dump --help')"; }

    static String runHelp(String message) { return "hlo4j examples run: " + message + " (see 'hlo4j examples run --help')"; }

    @Test void anAssertionErrorWhileTracingOrTrainingNamesTheClassAndLine(@TempDir Path dir) throws Exception {
        String src = model("Asserts", "asserts", "    @Override public TracedFunction loss() {\n"
                + "        return a -> { throw new AssertionError(\"weights not normalised\"); };\n    }\n" + ADAMW);
        String cp = compiled(dir, "Asserts", src);
        String why = "AssertionError: weights not normalised (at Asserts.java:" + line(src, "throw new AssertionError") + ")";
        refused(Cli.run("dump", "--class", "com.example.Asserts", "--classpath", cp), dumpHelp("com.example.Asserts threw while tracing: " + why));
        refused(Cli.run("dump", "--class", "com.example.Asserts", "--classpath", cp, "--program", "train-step", "--emit", "explicit", "--mesh", "dp=2"),
                dumpHelp("com.example.Asserts threw while tracing: " + why));
        refused(Cli.run("examples", "run", "--class", "com.example.Asserts", "--classpath", cp, "--steps", "1"),
                runHelp("com.example.Asserts threw while training: " + why));
        Cli.Run mesh = Cli.run("examples", "run", "--class", "com.example.Asserts", "--classpath", cp, "--steps", "1", "--mesh", "dp=2");
        assertThat(mesh.code()).as(mesh.toString()).isEqualTo(2);
        assertThat(mesh.err()).isEqualTo(runHelp("com.example.Asserts threw while training: " + why) + "\n");

        // --verbose: the same line, then the user's stack trace, down to the user's own frame
        Cli.Run verbose = Cli.run("--verbose", "dump", "--class", "com.example.Asserts", "--classpath", cp);
        assertThat(verbose.code()).isEqualTo(2);
        assertThat(verbose.err()).startsWith(dumpHelp("com.example.Asserts threw while tracing: " + why) + "\n"
                + "java.lang.AssertionError: weights not normalised\n");
        assertThat(verbose.err()).contains("at hlo4j-user//com.example.Asserts.lambda$loss$0(Asserts.java:" + line(src, "throw new AssertionError") + ")");
        Cli.Run verboseAfter = Cli.run("dump", "--verbose", "--class", "com.example.Asserts", "--classpath", cp);
        assertThat(verboseAfter.err().lines().limit(3).toList()).isEqualTo(verbose.err().lines().limit(3).toList());
        assertThat(Cli.run("dump", "--class", "com.example.Asserts", "--classpath", cp).err()).doesNotContain("\tat ");
    }

    @Test void aClassMissingFromTheClassPathIsNamedWithTheLineThatNeedsIt(@TempDir Path dir) throws Exception {
        String src = model("Uses", "uses", "    @Override public TracedFunction loss() {\n"
                + "        return a -> Ops.mul(squares(a), Dep.scale());\n    }\n")
                + "\nfinal class Dep {\n    static double scale() { return 2; }\n}\n";
        String cp = compiled(dir, "Uses", src);
        Files.delete(Path.of(cp, "com", "example", "Dep.class"));   // as a jar left off --classpath
        refused(Cli.run("dump", "--class", "com.example.Uses", "--classpath", cp), dumpHelp("com.example.Uses threw while tracing: "
                + "NoClassDefFoundError: com/example/Dep (at Uses.java:" + line(src, "Dep.scale()") + ")"));
    }

    @Test void aStaticInitialiserThatThrowsIsTheUsersException(@TempDir Path dir) throws Exception {
        String src = model("Init", "init", LOSS + "    static final int WIDTH = Integer.parseInt(\"two\");\n");
        String cp = compiled(dir, "Init", src);
        String why = "NumberFormatException: For input string: \"two\" (at Init.java:" + line(src, "parseInt") + ")";
        refused(Cli.run("dump", "--class", "com.example.Init", "--classpath", cp), dumpHelp("com.example.Init threw while its class was initialised: " + why));
        refused(Cli.run("examples", "run", "--class", "com.example.Init", "--classpath", cp),
                runHelp("com.example.Init threw while its class was initialised: " + why));
        // found through its services file: ServiceLoader's line, then the same exception
        Path jar = UserModels.jar(Path.of(cp), dir.resolve("init.jar"), "com.example.Init");
        Cli.Run listed = Cli.run("dump", "--classpath", jar.toString());
        assertThat(listed.code()).as(listed.toString()).isEqualTo(2);
        assertThat(listed.out()).isEmpty();
        assertThat(listed.err()).hasLineCount(1).startsWith("hlo4j dump: --classpath " + jar + ": ").contains("com.example.Init", ": " + why.replace(")", ", in the static initialiser of com.example.Init)") + " (see");
    }

    @Test void userMethodsOutsideTracingAreGuardedToo(@TempDir Path dir) throws Exception {
        String src = model("NoOpt", "no-opt", LOSS
                + "    @Override public Optimizer optimizer() { throw new IllegalStateException(\"no optimizer configured\"); }\n"
                + "    @Override public int defaultSteps() { throw new UnsupportedOperationException(\"steps come from a file\"); }\n");
        String cp = compiled(dir, "NoOpt", src);
        String opt = "IllegalStateException: no optimizer configured (at NoOpt.java:" + line(src, "no optimizer configured") + ")";
        String steps = "UnsupportedOperationException: steps come from a file (at NoOpt.java:" + line(src, "steps come from a file") + ")";
        refused(Cli.run("examples", "run", "--class", "com.example.NoOpt", "--classpath", cp, "--steps", "1"), runHelp("com.example.NoOpt threw in optimizer(): " + opt));
        refused(Cli.run("examples", "run", "--class", "com.example.NoOpt", "--classpath", cp, "--steps", "1", "--mesh", "dp=2"),
                runHelp("com.example.NoOpt threw in optimizer(): " + opt));
        refused(Cli.run("examples", "run", "--class", "com.example.NoOpt", "--classpath", cp), runHelp("com.example.NoOpt threw in defaultSteps(): " + steps));
        refused(Cli.run("examples", "run", "--class", "com.example.NoOpt", "--classpath", cp, "--mesh", "dp=2"),
                runHelp("com.example.NoOpt threw in defaultSteps(): " + steps));
        refused(Cli.run("dump", "--class", "com.example.NoOpt", "--classpath", cp, "--program", "train-step"), dumpHelp("com.example.NoOpt threw while tracing: " + opt));
        // --steps 0 asks for neither: the initial loss, (1-3)^2 and (2-4)^2 averaged
        Cli.Run zero = Cli.run("examples", "run", "--class", "com.example.NoOpt", "--classpath", cp, "--steps", "0");
        assertThat(zero.code()).as(zero.toString()).isZero();
        assertThat(zero.out()).isEqualTo("initial loss 4.000000\n");
    }

    /** The lists are made whole before a line is printed: a name() or description() that throws leaves no partial list. */
    @Test void aListIsWholeOrNotPrinted(@TempDir Path dir) throws Exception {
        String desc = model("BadDesc", "bad-desc", LOSS + "    @Override public String description() { throw new AssertionError(\"no text\"); }\n");
        Path classes = UserModels.compileSource(dir.resolve("desc"), "BadDesc", desc);
        Path jar = UserModels.jar(classes, dir.resolve("desc.jar"), "com.example.BadDesc");
        String line = "com.example.BadDesc threw in description(): AssertionError: no text (at BadDesc.java:" + line(desc, "no text") + ")";
        refused(Cli.run("dump", "--classpath", jar.toString()), dumpHelp(line));
        refused(Cli.run("examples", "list", "--classpath", jar.toString()), "hlo4j examples list: " + line + " (see 'hlo4j examples list --help')");

        String name = model("BadName", "x", LOSS).replace("return \"x\";", "throw new AssertionError(\"unnamed\");");
        Path nameClasses = UserModels.compileSource(dir.resolve("name"), "BadName", name);
        Path nameJar = UserModels.jar(nameClasses, dir.resolve("name.jar"), "com.example.BadName");
        String nameLine = "com.example.BadName threw in name(): AssertionError: unnamed (at BadName.java:" + line(name, "unnamed") + ")";
        refused(Cli.run("dump", "--classpath", nameJar.toString()), dumpHelp(nameLine));
        refused(Cli.run("examples", "list", "--classpath", nameJar.toString()), "hlo4j examples list: " + nameLine + " (see 'hlo4j examples list --help')");
        refused(Cli.run("dump", "--class", "com.example.BadName", "--classpath", nameClasses.toString()), dumpHelp(nameLine));
    }
}
