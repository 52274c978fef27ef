package io.hlo4j.cli;

import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.examples.Example;
import io.hlo4j.examples.Training;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.hlo4j.cli.UserModels.TINY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code hlo4j dump --class FQCN --classpath PATH}: a user's model, compiled here with javac as a user compiles it
 * (docs/examples/TinyRegression.java, the class docs/cli-models.md shows), dumped by the CLI. The oracle is the user's
 * own function called through {@code Jit} in this JVM: the dump, parsed, verified and run on the interpreter, must give
 * the same numbers, bit for bit (the same ops on the same interpreter).
 */
class DumpUserModelTest {

    @Test void aUserClassIsDumpedAsJitTracesIt(@TempDir Path dir) throws Exception {
        Path classes = UserModels.compile(dir.resolve("classes"), UserModels.tinySource());
        Cli.Run r = Cli.run("dump", "--class", TINY, "--classpath", classes.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        // parameters by key (b [8], w [4, 8]), then x [16, 4] and y [16, 8]
        assertThat(DumpCommandTest.mainArgs(r.out())).containsExactly("tensor<8xf32>", "tensor<4x8xf32>", "tensor<16x4xf32>", "tensor<16x8xf32>");

        Example ex = UserModels.load(classes, TINY);
        Object[] args = Training.lossArgs(ex);
        HostArray want = Jit.jit(ex.loss()).call1(args);
        List<HostArray> got = UserModels.runGlobal(r.out(), UserModels.leaves(args));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).toDoubleArray()).containsExactly(want.toDoubleArray());
        assertThat(want.getDouble(0)).isPositive();

        // its ops carry the user's own lines, not hlo4j.builtin
        Cli.Run loc = Cli.run("dump", "--class", TINY, "--classpath", classes.toString(), "--locations");
        assertThat(loc.out()).contains("loc(\"TinyRegression.java\":").doesNotContain("hlo4j.builtin");
    }

    @Test void aJarListsItsModelsAndTheyAreDumpedByName(@TempDir Path dir) throws Exception {
        Path classes = UserModels.compile(dir.resolve("classes"), UserModels.tinySource());
        Path jar = UserModels.jar(classes, dir.resolve("models.jar"), TINY);
        Cli.Run list = Cli.run("dump", "--classpath", jar.toString());
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out().lines().map(l -> l.split(" ")[0]).toList())
                .containsExactly("moe", "mlp-regression", "moe-regression", "mixtral-lm", "tiny-regression");
        Cli.Run examples = Cli.run("examples", "list", "--classpath", jar.toString());
        assertThat(examples.out()).contains("tiny-regression  y = tanh(x w + b), a user's model trained with AdamW");

        Cli.Run byName = Cli.run("dump", "tiny-regression", "--classpath", jar.toString());
        Cli.Run byClass = Cli.run("dump", "--class", TINY, "--classpath", classes.toString());
        assertThat(byName.code()).as(byName.toString()).isZero();
        assertThat(byName.out()).isEqualTo(byClass.out());
        // the source itself on --classpath is compiled there, as `java Model.java` runs one
        Cli.Run bySource = Cli.run("dump", "--class", TINY, "--classpath", UserModels.tinySource().toString());
        assertThat(bySource.code()).as(bySource.toString()).isZero();
        assertThat(bySource.out()).isEqualTo(byClass.out());
    }

    /** On a mesh the user's own shardings annotate its parameters, and the batch is split over (dp, fsdp). */
    @Test void aUserClassOnAMesh(@TempDir Path dir) throws Exception {
        Path classes = UserModels.compile(dir.resolve("classes"), UserModels.tinySource());
        Cli.Run r = Cli.run("dump", "--class", TINY, "--classpath", classes.toString(), "--emit", "annotated", "--mesh", "dp=2,tp=2");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("%arg0: tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"tp\"}]>}",
                "%arg1: tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {\"tp\"}]>}",
                "%arg2: tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"dp\", \"fsdp\"}, {}]>}");
        Cli.Run explicit = Cli.run("dump", "--class", TINY, "--classpath", classes.toString(), "--emit", "explicit", "--mesh", "dp=2,tp=2");
        assertThat(explicit.code()).as(explicit.toString()).isZero();
        assertThat(DumpCommandTest.mainArgs(explicit.out())).containsExactly("tensor<4xf32>", "tensor<4x4xf32>", "tensor<8x4xf32>", "tensor<8x8xf32>");
    }

    @Test void everyFailureIsOneLineNamingTheClassExit2(@TempDir Path dir) throws Exception {
        Path classes = UserModels.compile(dir.resolve("classes"), UserModels.tinySource());
        String cp = classes.toString();
        refused(Cli.run("dump", "--class", "com.example.Nope", "--classpath", cp),
                "hlo4j dump: --class com.example.Nope: class not found on --classpath " + cp + " (see 'hlo4j dump --help')");
        refused(Cli.run("dump", "--class", "com.example.Nope"),
                "hlo4j dump: --class com.example.Nope: class not found on the class path (give --classpath PATH) (see 'hlo4j dump --help')");
        refused(Cli.run("dump", "--class", "java.lang.String", "--classpath", cp),
                "hlo4j dump: --class java.lang.String does not implement io.hlo4j.examples.Example (see 'hlo4j dump --help')");
        refused(Cli.run("dump", "--class", TINY, "--classpath", dir.resolve("gone").toString()),
                "hlo4j dump: --classpath: " + dir.resolve("gone") + ": no such file or folder (see 'hlo4j dump --help')");
        refused(Cli.run("dump", "tiny-regression"), "hlo4j dump: unknown model 'tiny-regression' (expected one of moe, mlp, mlp-regression, "
                + "moe-regression, mixtral-lm) (see 'hlo4j dump --help')");
        refused(Cli.run("dump", "mlp", "--class", TINY, "--classpath", cp), "hlo4j dump: give MODEL or --class FQCN, not both (see 'hlo4j dump --help')");

        // what the user's code throws while tracing: its message and the user's line
        Path broken = dir.resolve("broken");
        UserModels.compileSource(broken, "Broken", BROKEN);
        refused(Cli.run("dump", "--class", "com.example.Broken", "--classpath", broken.resolve("classes").toString()),
                "hlo4j dump: com.example.Broken threw while tracing: IllegalStateException: no layer 3 in this model (at Broken.java:17)"
                        + " (see 'hlo4j dump --help')");
        // a DSL error in the user's code is located at the user's line by the DSL itself
        Cli.Run shape = Cli.run("dump", "--class", "com.example.Broken", "--classpath", broken.resolve("classes").toString(), "--program", "train-step");
        refused(shape, "hlo4j dump: --program train-step: broken has no optimizer() (its loss() does not train), so no train step (see 'hlo4j dump --help')");
        Path badShape = dir.resolve("badshape");
        UserModels.compileSource(badShape, "BadShape", BROKEN.replace("Broken", "BadShape")
                .replace("throw new IllegalStateException(\"no layer 3 in this model\");", "return Linalg.matmul((Tensor) a[1], (Tensor) a[1]);"));
        Cli.Run bad = Cli.run("dump", "--class", "com.example.BadShape", "--classpath", badShape.resolve("classes").toString());
        assertThat(bad.code()).as(bad.toString()).isEqualTo(2);
        assertThat(bad.err()).hasLineCount(1).startsWith("hlo4j dump: com.example.BadShape threw while tracing: BadShape.java:17")
                .contains("dotGeneral: invalid operands (f32[4, 2], f32[4, 2])");

        // a constructor that throws: the class, the message and the user's line
        Path ctor = dir.resolve("ctor");
        UserModels.compileSource(ctor, "Ctor", """
                package com.example;

                public final class Ctor implements io.hlo4j.examples.Example {
                    public Ctor() {
                        throw new IllegalStateException("no config file");
                    }
                    @Override public String name() { return "ctor"; }
                    @Override public Object params() { return null; }
                    @Override public java.util.List<Object> batch() { return null; }
                    @Override public io.hlo4j.dsl.jit.TracedFunction loss() { return null; }
                }
                """);
        refused(Cli.run("dump", "--class", "com.example.Ctor", "--classpath", ctor.resolve("classes").toString()),
                "hlo4j dump: com.example.Ctor threw while being created: IllegalStateException: no config file (at Ctor.java:5) (see 'hlo4j dump --help')");

        // a source that does not compile: the file and the line
        Path src = dir.resolve("Oops.java");
        java.nio.file.Files.writeString(src, "public class Oops implements io.hlo4j.examples.Example {\n  int x = \"no\";\n}\n");
        Cli.Run oops = Cli.run("dump", "--class", "Oops", "--classpath", src.toString());
        assertThat(oops.code()).as(oops.toString()).isEqualTo(2);
        assertThat(oops.err()).hasLineCount(1).startsWith("hlo4j dump: --classpath: does not compile: " + src + ":");
    }

    private static void refused(Cli.Run r, String line) {
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(line + "\n");
    }

    /** A model whose loss throws at line 17 (the line numbers matter to the test above). */
    static final String BROKEN = """
            package com.example;

            import io.hlo4j.dsl.*;
            import io.hlo4j.dsl.jit.TracedFunction;
            import io.hlo4j.runtime.array.HostArray;
            import io.hlo4j.examples.Example;
            import java.util.List;

            public final class Broken implements Example {
                @Override public String name() { return "broken"; }
                @Override public Object params() { return List.of(HostArray.fromDoubles(Spec.of(DType.F32, 2, 3).tensorType(), new double[6])); }
                @Override public List<Object> batch() { return List.of(HostArray.fromDoubles(Spec.of(DType.F32, 4, 2).tensorType(), new double[8])); }
                @Override public TracedFunction loss() { return a -> lossOf(a); }

                private static Object lossOf(Object[] a) {
                    if (a.length == 3) return null;
                    throw new IllegalStateException("no layer 3 in this model");
                }
            }
            """;
}
