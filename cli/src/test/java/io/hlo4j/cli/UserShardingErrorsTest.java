package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A user's model whose shardings do not fit its values: checked as soon as {@code paramShardings} / {@code batchShardings}
 * return, and reported as the model's value (which leaf, its shape, the spec, the mesh axes that do not divide), not as an
 * exception the user's code threw at a line of hlo4j's.
 */
class UserShardingErrorsTest {
    /** TinyRegression (w [4, 8], b [8], x [16, 4], y [16, 8]) with the shardings each test swaps in. */
    static String model(String shardings) {
        return """
                package com.example;

                import io.hlo4j.dsl.DType;
                import io.hlo4j.dsl.Linalg;
                import io.hlo4j.dsl.Ops;
                import io.hlo4j.dsl.Reductions;
                import io.hlo4j.dsl.Shape;
                import io.hlo4j.dsl.Tensor;
                import io.hlo4j.dsl.jit.TracedFunction;
                import io.hlo4j.dsl.nn.Init;
                import io.hlo4j.dsl.optim.AdamW;
                import io.hlo4j.dsl.optim.Optimizer;
                import io.hlo4j.dsl.shard.Mesh;
                import io.hlo4j.dsl.shard.NamedSharding;
                import io.hlo4j.examples.Example;

                import java.util.List;
                import java.util.Map;

                public final class Sharded implements Example {
                    @Override public String name() { return "sharded"; }

                    @Override public Object params() {
                        return Map.of("w", Init.normal(0.5).create(0, "w", Shape.of(4, 8), DType.F32),
                                "b", Init.zeros().create(0, "b", Shape.of(8), DType.F32));
                    }

                    @Override public List<Object> batch() {
                        return List.of(Init.normal(1.0).create(1, "x", Shape.of(16, 4), DType.F32),
                                Init.normal(0.5).create(2, "y", Shape.of(16, 8), DType.F32));
                    }

                    @SuppressWarnings("unchecked")
                    @Override public TracedFunction loss() {
                        return a -> {
                            Map<String, Tensor> p = (Map<String, Tensor>) a[0];
                            Tensor prediction = Ops.tanh(Ops.add(Linalg.matmul((Tensor) a[1], p.get("w")), p.get("b")));
                            return Reductions.mean(Ops.square(Ops.sub(prediction, (Tensor) a[2])));
                        };
                    }

                    @Override public Optimizer optimizer() { return AdamW.of(0.05); }

                """ + shardings + "\n}\n";
    }

    static Path compiled(Path dir, String shardings) throws Exception {
        UserModels.compileSource(dir, "Sharded", model(shardings));
        return dir.resolve("classes");
    }

    static void refused(Cli.Run r, String command, String line) {
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("hlo4j " + command + ": " + line + " (see 'hlo4j " + command + " --help')\n");
        assertThat(r.err()).doesNotContain(" threw ", "Training.java");
    }

    @Test void aParameterDimensionTheMeshAxesDoNotDivide(@TempDir Path dir) throws Exception {
        // b [8] over tp = 3: 8 is not a multiple of 3; w's 8 outputs likewise, but b comes first (maps flatten by key)
        Path cp = compiled(dir, """
                    @Override public Object paramShardings(Mesh mesh) {
                        return Map.of("w", NamedSharding.of(mesh, null, "tp"), "b", NamedSharding.of(mesh, "tp"));
                    }
                """);
        String want = "com.example.Sharded.paramShardings(mesh): params.b dimension 0 of size 8 is not divisible by mesh axes (tp=3) "
                + "with 3 shards (spec P(tp), shape [8])";
        refused(Cli.run("examples", "run", "--class", "com.example.Sharded", "--classpath", cp.toString(), "--mesh", "tp=3", "--steps", "1"),
                "examples run", want);
        refused(Cli.run("dump", "--class", "com.example.Sharded", "--classpath", cp.toString(), "--mesh", "tp=3", "--emit", "annotated", "-o", dir.resolve("o.mlir").toString()),
                "dump", want);
        refused(Cli.run("dump", "--class", "com.example.Sharded", "--classpath", cp.toString(), "--mesh", "tp=3", "--emit", "annotated", "--program", "train-step",
                "-o", dir.resolve("o.mlir").toString()), "dump", want);
        // on a mesh that divides them, the same model trains
        Cli.Run ok = Cli.run("examples", "run", "--class", "com.example.Sharded", "--classpath", cp.toString(), "--mesh", "tp=2", "--steps", "1");
        assertThat(ok.code()).as(ok.toString()).isZero();
    }

    @Test void aSpecLongerThanTheParameter(@TempDir Path dir) throws Exception {
        Path cp = compiled(dir, """
                    @Override public Object paramShardings(Mesh mesh) {
                        return Map.of("w", NamedSharding.of(mesh, null, "tp"), "b", NamedSharding.of(mesh, null, "tp"));
                    }
                """);
        refused(Cli.run("examples", "run", "--class", "com.example.Sharded", "--classpath", cp.toString(), "--mesh", "tp=2", "--steps", "1"),
                "examples run", "com.example.Sharded.paramShardings(mesh): params.b has shape [8] (rank 1) but spec P(None, tp) lists 2 dimensions");
    }

    @Test void aShardingTreeNotShapedLikeTheParameters(@TempDir Path dir) throws Exception {
        Path cp = compiled(dir, """
                    @Override public Object paramShardings(Mesh mesh) { return Map.of("w", NamedSharding.of(mesh, null, "tp")); }
                """);
        refused(Cli.run("examples", "run", "--class", "com.example.Sharded", "--classpath", cp.toString(), "--mesh", "tp=2", "--steps", "1"),
                "examples run", "com.example.Sharded.paramShardings(mesh) must be shaped like params(): params: expected a map with keys [b, w], "
                        + "got a map with keys [w]");
    }

    @Test void batchShardings(@TempDir Path dir) throws Exception {
        Path cp = compiled(dir, """
                    @Override public List<NamedSharding> batchShardings(Mesh mesh) { return List.of(NamedSharding.of(mesh, "dp")); }
                """);
        refused(Cli.run("examples", "run", "--class", "com.example.Sharded", "--classpath", cp.toString(), "--mesh", "dp=2", "--steps", "1"),
                "examples run", "com.example.Sharded.batchShardings(mesh) must give one sharding per leaf of batch() (2), got 1");
        Path cp3 = compiled(dir.resolve("three"), """
                    @Override public List<NamedSharding> batchShardings(Mesh mesh) {
                        return List.of(NamedSharding.of(mesh, "dp"), NamedSharding.of(mesh, "dp", "tp"));
                    }
                """);
        refused(Cli.run("examples", "run", "--class", "com.example.Sharded", "--classpath", cp3.toString(), "--mesh", "dp=2,tp=3", "--steps", "1"),
                "examples run", "com.example.Sharded.batchShardings(mesh): batch leaf 1 dimension 1 of size 8 is not divisible by mesh axes (tp=3) "
                        + "with 3 shards (spec P(dp, tp), shape [16, 8])");
    }

    /** A value hlo4j refuses later, with no line of the user's on the stack: the model's value was refused, it did not throw. */
    @Test void aValueRefusedWithNoUserFrameIsNotBlamedOnTheUser(@TempDir Path dir) throws Exception {
        String source = model("").replace("\"b\", Init.zeros().create(0, \"b\", Shape.of(8), DType.F32)", "\"b\", 3");
        UserModels.compileSource(dir, "Sharded", source);
        Cli.Run r = Cli.run("examples", "run", "--class", "com.example.Sharded", "--classpath", dir.resolve("classes").toString(), "--steps", "1");
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).hasLineCount(1).startsWith("hlo4j examples run: hlo4j refused com.example.Sharded's model while training: ")
                .doesNotContain(" threw ", "Training.java").contains("jit: argument leaf 3 (a Integer) is neither a Spec nor a HostArray");
    }
}
