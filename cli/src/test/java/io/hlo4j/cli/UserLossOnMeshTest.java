package io.hlo4j.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Example.loss(Mesh)}: a user's model whose loss on a mesh uses the expert-parallel layer
 * ({@code ExpertParallelMoe}, which needs the mesh): docs/examples/SharedExpertMoe.java built with its routed experts
 * expert parallel (TOKEN_SHARDED) on the mesh, wrapped in a class the CLI can create. {@code examples run --mesh
 * dp=2,ep=2} follows the one-device curve (the FUSED block, {@code loss()}) within 1e-5 relative, as ExamplesMeshTest
 * bounds a partitioned program's f32 sums; {@code dump --mesh} writes the expert-parallel body (a manual computation)
 * for this class and not for the plain one, so the sharded paths do call {@code loss(Mesh)}.
 */
class UserLossOnMeshTest {
    static final String WRAPPER = """
            package com.example;

            import io.hlo4j.dsl.jit.TracedFunction;
            import io.hlo4j.dsl.moe.MoEMethods;
            import io.hlo4j.dsl.moe.ep.EpMode;
            import io.hlo4j.dsl.optim.Optimizer;
            import io.hlo4j.dsl.shard.Mesh;
            import io.hlo4j.examples.Example;

            import java.util.List;

            public final class ExpertParallelBlock implements Example {
                private final SharedExpertMoe block = new SharedExpertMoe(MoEMethods.FUSED_MOE, false, EpMode.TOKEN_SHARDED);

                @Override public String name() { return "ep-block"; }
                @Override public Object params() { return block.params(); }
                @Override public List<Object> batch() { return block.batch(); }
                @Override public TracedFunction loss() { return block.loss(); }
                @Override public TracedFunction loss(Mesh mesh) { return block.loss(mesh); }
                @Override public Optimizer optimizer() { return block.optimizer(); }
                @Override public Object paramShardings(Mesh mesh) { return block.paramShardings(mesh); }
            }
            """;

    @TempDir static Path dir;
    static String classes;

    @BeforeAll static void compile() throws Exception {
        Path root = Path.of(System.getProperty("hlo4j.root", "..")).toAbsolutePath().normalize();
        Path src = dir.resolve("src/ExpertParallelBlock.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, WRAPPER);
        classes = UserModels.compile(dir.resolve("classes"), root.resolve("docs/examples/SharedExpertMoe.java"), src).toString();
    }

    @Test void anExpertParallelLossOnTheMeshFollowsTheOneDeviceCurve() {
        Cli.Run one = Cli.run("examples", "run", "--class", "com.example.ExpertParallelBlock", "--classpath", classes, "--steps", "3");
        Cli.Run ep = Cli.run("examples", "run", "--class", "com.example.ExpertParallelBlock", "--classpath", classes, "--steps", "3",
                "--mesh", "dp=2,ep=2");
        assertThat(one.code()).as(one.toString()).isZero();
        assertThat(ep.code()).as(ep.toString()).isZero();
        List<Double> a = UserModels.printedLosses(one.out()), b = UserModels.printedLosses(ep.out());
        assertThat(b).hasSize(3);
        // printed to 6 decimals: within the printing's 5e-7 (twice) plus 1e-5 relative
        for (int i = 0; i < 3; i++) assertThat(Math.abs(a.get(i) - b.get(i))).as("step " + i).isLessThanOrEqualTo(1e-6 + 1e-5 * Math.abs(a.get(i)));
        assertThat(b.get(2)).isLessThan(b.get(0));
    }

    @Test void dumpOnTheMeshTracesTheExpertParallelLoss() throws Exception {
        Path ep = dir.resolve("ep.mlir"), plain = dir.resolve("plain.mlir");
        Cli.Run r = Cli.run("dump", "--class", "com.example.ExpertParallelBlock", "--classpath", classes, "--mesh", "dp=2,ep=2", "--emit", "annotated",
                "-o", ep.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        Cli.Run p = Cli.run("dump", "--class", "com.example.SharedExpertMoe", "--classpath", classes, "--mesh", "dp=2,ep=2", "--emit", "annotated",
                "-o", plain.toString());
        assertThat(p.code()).as(p.toString()).isZero();
        assertThat(Files.readString(ep)).contains("sdy.manual_computation");
        assertThat(Files.readString(plain)).doesNotContain("sdy.manual_computation");
    }
}
