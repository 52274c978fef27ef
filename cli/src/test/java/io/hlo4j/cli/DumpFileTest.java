package io.hlo4j.cli;

import io.hlo4j.compiler.diff.StructuralDiff;
import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.compiler.spmd.propagate.Propagation;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j dump FILE.mlir}: the user's annotated module through hlo4j's SPMD path, as Java gives it. */
class DumpFileTest {
    /** A dp x tp MLP: rows of x on dp, w1's columns and w2's rows on tp (Megatron), so the second matmul sums over tp. */
    static final String MLP = """
            module @mlp attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["dp"=2, "tp"=2]>
              func.func @main(%x: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>},
                              %w1: tensor<16x32xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"tp"}]>},
                              %w2: tensor<32x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"tp"}, {}]>})
                  -> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}) {
                %h = stablehlo.dot_general %x, %w1, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
                %a = stablehlo.tanh %h : tensor<8x32xf32>
                %y = stablehlo.dot_general %a, %w2, contracting_dims = [1] x [0] : (tensor<8x32xf32>, tensor<32x8xf32>) -> tensor<8x8xf32>
                return %y : tensor<8x8xf32>
              }
            }
            """;

    static Path mlp(Path dir) throws Exception {
        Path f = dir.resolve("mlp.mlir");
        Files.writeString(f, MLP);
        return f;
    }

    static List<HostArray> inputs(long seed) {
        Random r = new Random(seed);
        return List.of(random(r, 8, 16), random(r, 16, 32), random(r, 32, 8));
    }

    private static HostArray random(Random r, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return HostArray.fromFloats(TensorType.of(FloatType.F32, rows, cols), v);
    }

    private static Module parse(String text, String name) {
        Module m = MlirParser.parseModule(text, name);
        ModuleVerifier.verify(m);
        return m;
    }

    @Test
    void builtInNamesStayModelsAndPathsAreFiles(@TempDir Path dir) throws Exception {
        Path named = Files.writeString(dir.resolve("moe"), MLP);
        List<String> models = DumpModel.names(ModelSource.open(null));
        assertThat(models).containsExactly("moe", "mlp", "mlp-regression", "moe-regression", "mixtral-lm");
        for (String builtin : models) Files.writeString(dir.resolve(builtin), MLP);   // files named like every model
        for (String builtin : models) assertThat(DumpFile.isFile(builtin, models, dir)).as(builtin).isFalse();
        assertThat(DumpFile.isFile("./moe", models, dir)).isTrue();                  // a path to it is the file
        assertThat(DumpFile.isFile(named.toString(), models)).isTrue();
        assertThat(DumpFile.isFile(dir.resolve("missing.mlir").toString(), models)).isTrue();   // .mlir: a file, refused later if missing
        assertThat(DumpFile.isFile(dir.resolve("missing").toString(), models)).isFalse();
        // a user's model name is a model as well (DumpUserModelNamesTest runs it): even one ending in .mlir
        assertThat(DumpFile.isFile("tiny.mlir", List.of("tiny.mlir"), dir)).isFalse();
        assertThat(DumpFile.isFile("tiny.mlir", models, dir)).isTrue();
    }

    @Test
    void theExplicitDumpIsWhatSpmdExplicitGivesAndRunsAsTheGlobalProgram(@TempDir Path dir) throws Exception {
        Path f = mlp(dir);
        Path out = dir.resolve("per-device.mlir");
        Cli.Run r = Cli.run("dump", f.toString(), "--emit", "explicit", "-o", out.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEmpty();
        Module dumped = parse(Files.readString(out), "per-device.mlir");
        PartitionedProgram pp = Spmd.explicit(parse(MLP, "mlp.mlir"));
        StructuralDiff.Result d = StructuralDiff.diff(List.of(dumped), List.of(pp.moduleWithMeshes()), 2);
        assertThat(d.equal()).as(d.format("dump", "Spmd.explicit", 5)).isTrue();
        // local shapes: x [4,16], w1 [16,16], w2 [16,8]; the tp partial sums are reduced by one all_reduce
        String text = Files.readString(out);
        assertThat(text).contains("tensor<4x16xf32>", "tensor<16x16xf32>", "tensor<16x8xf32>").contains("stablehlo.all_reduce");
        // --emit explicit is the default for a file, and stdout the default target
        Cli.Run std = Cli.run("dump", f.toString());
        assertThat(std.code()).as(std.toString()).isZero();
        assertThat(StructuralDiff.diff(List.of(parse(std.out(), "stdout")), List.of(dumped), 2).equal()).isTrue();

        // the dumped per-device program on 4 simulated devices = the global program on one
        List<HostArray> in = inputs(11);
        SpmdRun run = SpmdRunner.run(dumped, pp.meshes(), in, pp.argShardings(), pp.resultShardings(), pp.resultTypes());
        HostArray want = HostArrays.toHost(new Interpreter(parse(MLP, "mlp.mlir")).run("main", HostArrays.toValues(in))).get(0);
        double[] got = run.results().get(0).toDoubleArray(), exp = want.toDoubleArray();
        assertThat(got).hasSize(64);
        for (int i = 0; i < exp.length; i++) {
            assertThat(got[i]).as("y[%d]", i).isCloseTo(exp[i], org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(exp[i]))));
        }
    }

    @Test
    void theAnnotatedStagesAreTheParsedAndThePropagatedModule(@TempDir Path dir) throws Exception {
        Path f = mlp(dir);
        Cli.Run traced = Cli.run("dump", f.toString(), "--emit", "annotated");
        assertThat(traced.code()).as(traced.toString()).isZero();
        assertThat(StructuralDiff.diff(List.of(parse(traced.out(), "t")), List.of(parse(MLP, "mlp.mlir")), 2).equal()).isTrue();
        Cli.Run prop = Cli.run("dump", f.toString(), "--emit", "annotated", "--stage", "propagated");
        assertThat(prop.code()).as(prop.toString()).isZero();
        Module want = Propagation.propagate(Spmd.inlineCalls(parse(MLP, "mlp.mlir"))).module();
        StructuralDiff.Result d = StructuralDiff.diff(List.of(parse(prop.out(), "p")), List.of(want), 2);
        assertThat(d.equal()).as(d.format("dump", "propagate", 5)).isTrue();
        // propagation gives the hidden activation its sharding: rows on dp, columns on tp
        assertThat(prop.out()).contains("[{\"dp\"}, {\"tp\"}]");
    }

    @Test
    void builtInFlagsAndWrongFormsAreRefusedByName(@TempDir Path dir) throws Exception {
        Path f = mlp(dir);
        Cli.Run mesh = Cli.run("dump", f.toString(), "--mesh", "dp=2");
        assertThat(mesh.code()).as(mesh.toString()).isEqualTo(2);
        assertThat(mesh.err()).contains("--mesh applies to the built-in models").contains("its own sdy.mesh");
        Cli.Run global = Cli.run("dump", f.toString(), "--emit", "global");
        assertThat(global.code()).isEqualTo(2);
        assertThat(global.err()).contains("--emit global").contains("--emit annotated");
        Cli.Run stage = Cli.run("dump", f.toString(), "--emit", "explicit", "--stage", "propagated");
        assertThat(stage.code()).isEqualTo(2);
        assertThat(stage.err()).contains("use --emit annotated");
        Cli.Run missing = Cli.run("dump", dir.resolve("nope.mlir").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("nope.mlir");
    }

    @Test
    void anUnknownAxisIsRefusedAtItsLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.mlir");
        Files.writeString(f, MLP.replace("[{\"tp\"}, {}]>})", "[{\"pp\"}, {}]>})"));
        Cli.Run r = Cli.run("dump", f.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        // the verifier places an argument's annotation at its function (line 3) and names the argument
        assertThat(r.err()).isEqualTo("hlo4j: " + f + ":3:3: 'func.func' op argument #2 sdy.sharding refers to unknown axis \"pp\" (mesh axes [dp, tp])\n");
    }
}
