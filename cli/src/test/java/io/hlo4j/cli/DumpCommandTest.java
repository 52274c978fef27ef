package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class DumpCommandTest {
    /** Runs {@code hlo4j dump ARGS}, registering the command here until Main lists it. */
    static Cli.Run dump(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        PrintWriter o = new PrintWriter(out), e = new PrintWriter(err);
        CommandLine cl = Main.commandLine(new Main(), o, e);
        if (!cl.getSubcommands().containsKey("dump")) cl.addSubcommand("dump", new DumpCommand());
        cl.setOut(o); // reach the added subcommand too
        cl.setErr(e);
        String[] all = new String[args.length + 1];
        all[0] = "dump";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = cl.execute(all);
        o.flush();
        e.flush();
        return new Cli.Run(code, out.toString(), err.toString());
    }

    /** Parses and verifies the dump; returns the argument types of @main as the parser read them. */
    static List<String> mainArgs(String text) {
        Module m = MlirParser.parseModule(text, "dump.mlir");
        ModuleVerifier.verify(m);
        String printed = ModuleText.print(List.of(m), PrintOptions.DEFAULT);
        int at = printed.indexOf("@main(");
        assertThat(at).as(printed).isGreaterThanOrEqualTo(0);
        String sig = printed.substring(at, printed.indexOf("->", at));
        List<String> types = new ArrayList<>();
        Matcher mt = Pattern.compile("%arg\\d+: (tensor<[^>]*>)").matcher(sig);
        while (mt.find()) types.add(mt.group(1));
        return types;
    }

    @Test void moeDefaultHasTheConfigShapes() {
        Cli.Run r = dump("moe", "--batch", "2", "--seq", "4");
        assertThat(r.code()).as(r.toString()).isZero();
        int e = 8, h = 64, m = 128, b = 2, s = 4; // DumpCommand.DEFAULT_MOE: 8 experts, hidden 64, intermediate 128
        assertThat(mainArgs(r.out())).containsExactly("tensor<" + b + "x" + s + "x" + h + "xf32>", "tensor<" + h + "x" + e + "xf32>",
                "tensor<" + e + "x" + h + "x" + m + "xf32>", "tensor<" + e + "x" + h + "x" + m + "xf32>", "tensor<" + e + "x" + m + "x" + h + "xf32>");
    }

    @Test void moeFromConfigFileToOutputFile(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("moe.json");
        Files.writeString(cfg, "{\"n_routed_experts\": 4, \"num_experts_per_tok\": 2, \"hidden_size\": 16, \"moe_intermediate_size\": 32}");
        Path out = dir.resolve("moe.mlir");
        Cli.Run r = dump("moe", "--config", cfg.toString(), "-o", out.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(mainArgs(Files.readString(out))).containsExactly("tensor<2x8x16xf32>", "tensor<16x4xf32>",
                "tensor<4x16x32xf32>", "tensor<4x16x32xf32>", "tensor<4x32x16xf32>");
    }

    @Test void exampleModels() {
        Cli.Run r = dump("mlp");
        assertThat(r.code()).as(r.toString()).isZero();
        // Mlp.of(F32, 2, 16, 1): two weights and two biases, then x [64, 2] and y [64, 1]
        assertThat(mainArgs(r.out())).hasSize(6).contains("tensor<2x16xf32>", "tensor<16x1xf32>", "tensor<16xf32>", "tensor<1xf32>")
                .endsWith("tensor<64x2xf32>", "tensor<64x1xf32>");
        Cli.Run q = dump("moe-regression");
        assertThat(q.code()).as(q.toString()).isZero();
        // router [4, 4], w1 [4, 4, 16], b1 [4, 16], w2 [4, 16], x [128, 4], y [128]
        assertThat(mainArgs(q.out())).hasSize(6).contains("tensor<4x4xf32>", "tensor<4x4x16xf32>", "tensor<4x16xf32>")
                .endsWith("tensor<128x4xf32>", "tensor<128xf32>");
    }

    @Test void annotatedMoeDeclaresTheMesh() {
        Cli.Run r = dump("moe", "--emit", "annotated", "--mesh", "dp=1,fsdp=2,ep=2,tp=2,sp=1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).contains("sdy.mesh @mesh = <[\"dp\"=1, \"fsdp\"=2, \"ep\"=2, \"tp\"=2, \"sp\"=1]>")
                .contains("mhlo.num_partitions = 8 : i32")
                .contains("#sdy.sharding<@mesh, [{\"ep\"}, {}, {\"tp\"}]>");
        assertThat(mainArgs(r.out())).hasSize(5);
    }

    @Test void annotatedMlp() {
        Cli.Run r = dump("mlp", "--emit", "annotated", "--mesh", "dp=2,fsdp=2");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).contains("sdy.mesh @mesh = <[\"dp\"=2, \"fsdp\"=2, \"ep\"=1, \"tp\"=1, \"sp\"=1]>")
                .contains("#sdy.sharding<@mesh, [{\"dp\", \"fsdp\"}, {}]>");
        mainArgs(r.out());
    }

    /** After propagation every op of the annotated MLP carries the sharding Shardy's form gives it. */
    @Test void propagatedStageAnnotatesEveryOp() {
        Cli.Run r = dump("mlp", "--emit", "annotated", "--stage", "propagated", "--mesh", "dp=2");
        assertThat(r.code()).as(r.toString()).isZero();
        Module m = MlirParser.parseModule(r.out(), "propagated.mlir");
        ModuleVerifier.verify(m);
        List<String> unannotated = new ArrayList<>();
        m.body().operations().stream().filter(op -> op.name().equals("func.func")).forEach(f -> f.region(0).entry().operations().forEach(op -> {
            if (op.numResults() > 0 && op.attributes().get("sdy.sharding") == null) unannotated.add(op.name());
        }));
        assertThat(unannotated).as("ops without a propagated sharding").isEmpty();
    }

    /**
     * The explicit MLP on dp=2 is the program hlo4j's partitioner makes of the annotated one, and it computes what
     * the global program computes: run on two simulated devices against the global program on one (the oracle).
     */
    @Test void explicitStageRunsLikeTheGlobalProgram() {
        Cli.Run annotated = dump("mlp", "--emit", "annotated", "--mesh", "dp=2");
        Cli.Run explicit = dump("mlp", "--emit", "explicit", "--mesh", "dp=2");
        Cli.Run global = dump("mlp");
        assertThat(explicit.code()).as(explicit.toString()).isZero();
        var program = io.hlo4j.compiler.spmd.Spmd.explicit(MlirParser.parseModule(annotated.out(), "annotated.mlir"));
        assertThat(explicit.out().strip()).isEqualTo(io.hlo4j.mlir.print.MlirPrinter.print(program.moduleWithMeshes()).strip());
        Module perDevice = MlirParser.parseModule(explicit.out(), "explicit.mlir");
        ModuleVerifier.verify(perDevice);
        // the per-device program keeps its mesh (as JAX's shard_map text does) and nothing else of Shardy
        assertThat(explicit.out()).contains("mhlo.num_partitions = 2").contains("  sdy.mesh @mesh = <[\"dp\"=2, \"fsdp\"=1, \"ep\"=1, \"tp\"=1, \"sp\"=1]>\n");
        assertThat(explicit.out().replace("sdy.mesh @mesh", "")).doesNotContain("sdy.");

        java.util.Random rnd = new java.util.Random(7);
        List<io.hlo4j.runtime.array.HostArray> args = new ArrayList<>();
        for (var t : program.argTypes()) {
            double[] v = new double[(int) t.numElements()];
            for (int i = 0; i < v.length; i++) v[i] = rnd.nextGaussian();
            args.add(io.hlo4j.runtime.array.HostArray.fromDoubles(t, v));
        }
        List<io.hlo4j.runtime.array.HostArray> want = new io.hlo4j.runtime.interp.Interpreter(MlirParser.parseModule(global.out(), "global.mlir"))
                .runHost("main", args);
        var got = io.hlo4j.runtime.spmd.SpmdRunner.run(perDevice, program.mesh(), args, program.argShardings(), program.resultShardings(),
                program.resultTypes()).results();
        assertThat(got).hasSameSizeAs(want);
        for (int j = 0; j < want.size(); j++) {
            double[] a = got.get(j).toDoubleArray(), b = want.get(j).toDoubleArray();
            for (int i = 0; i < b.length; i++) {
                assertThat(Math.abs(a[i] - b[i])).as("result %d element %d: explicit %s, global %s", j, i, a[i], b[i])
                        .isLessThanOrEqualTo(1e-5 * Math.max(1, Math.abs(b[i])));
            }
        }
    }

    /**
     * mixtral-lm: the global loss has the example's 13 parameters (by name) then tokens and targets; its per-device
     * program on the 8 devices of dp=1, fsdp=2, ep=2, tp=2, sp=1, run on simulated devices with the example's own
     * parameters and batch, gives the loss the global dump gives on the interpreter and the example's jit gives.
     */
    @Test void mixtralLmGlobalAndPerDeviceLossAgree() {
        Cli.Run global = dump("mixtral-lm");
        assertThat(global.code()).as(global.toString()).isZero();
        // embed, gate, lm_head, norm1, norm2, norm_f, wd, wi, wk, wo, wq, wu, wv; tokens, targets
        assertThat(mainArgs(global.out())).containsExactly("tensor<16x16xf32>", "tensor<16x4xf32>", "tensor<16x16xf32>",
                "tensor<16xf32>", "tensor<16xf32>", "tensor<16xf32>", "tensor<4x16x16xf32>", "tensor<4x16x16xf32>", "tensor<16x16xf32>",
                "tensor<16x16xf32>", "tensor<16x16xf32>", "tensor<4x16x16xf32>", "tensor<16x16xf32>", "tensor<4x8xi32>", "tensor<4x8xi32>");
        String mesh = "dp=1,fsdp=2,ep=2,tp=2,sp=1";
        Cli.Run annotated = dump("mixtral-lm", "--emit", "annotated", "--mesh", mesh);
        Cli.Run explicit = dump("mixtral-lm", "--emit", "explicit", "--mesh", mesh);
        assertThat(explicit.code()).as(explicit.toString()).isZero();
        assertThat(annotated.out()).contains("#sdy.sharding<@mesh, [{\"ep\"}, {\"fsdp\"}, {\"tp\"}]>"); // wi, wu
        var program = io.hlo4j.compiler.spmd.Spmd.explicit(MlirParser.parseModule(annotated.out(), "annotated.mlir"));
        Module perDevice = MlirParser.parseModule(explicit.out(), "explicit.mlir");
        ModuleVerifier.verify(perDevice);

        List<io.hlo4j.runtime.array.HostArray> args = new ArrayList<>(io.hlo4j.examples.MixtralLm.initParams(0, io.hlo4j.dsl.DType.F32).values());
        args.addAll(List.of(io.hlo4j.examples.MixtralLm.batch(1)));
        double want = new io.hlo4j.runtime.interp.Interpreter(MlirParser.parseModule(global.out(), "global.mlir")).runHost("main", args)
                .get(0).getDouble(0);
        double got = io.hlo4j.runtime.spmd.SpmdRunner.run(perDevice, program.mesh(), args, program.argShardings(), program.resultShardings(),
                program.resultTypes()).results().get(0).getDouble(0);
        double jit = io.hlo4j.dsl.jit.Jit.jit(io.hlo4j.examples.MixtralLm.LOSS).call1(
                io.hlo4j.examples.MixtralLm.initParams(0, io.hlo4j.dsl.DType.F32), args.get(13), args.get(14)).getDouble(0);
        assertThat(want).isEqualTo(jit);
        assertThat(got).isCloseTo(want, org.assertj.core.api.Assertions.within(1e-5 * want));
    }

    /** --inputs writes the example's own arguments in @main's order: its parameters by name, then its batch. */
    @Test void inputsAreTheExamplesOwnArguments(@TempDir Path dir) throws Exception {
        Cli.Run r = dump("mixtral-lm", "-o", dir.resolve("mlm.mlir").toString(), "--inputs", dir.resolve("in").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        List<io.hlo4j.runtime.array.HostArray> want = new ArrayList<>(io.hlo4j.examples.MixtralLm.initParams(0, io.hlo4j.dsl.DType.F32).values());
        want.addAll(List.of(io.hlo4j.examples.MixtralLm.batch(1)));
        try (var files = Files.list(dir.resolve("in"))) { assertThat(files.count()).isEqualTo(15); }
        for (int i = 0; i < want.size(); i++) {
            assertThat(io.hlo4j.runtime.io.Npy.read(dir.resolve("in").resolve("arg" + i + ".npy"))).as("arg%d", i).isEqualTo(want.get(i));
        }
        Cli.Run q = dump("mlp", "-o", dir.resolve("mlp.mlir").toString(), "--inputs", dir.resolve("mlp").toString());
        assertThat(q.code()).as(q.toString()).isZero();
        assertThat(io.hlo4j.runtime.io.Npy.read(dir.resolve("mlp").resolve("arg4.npy"))).isEqualTo(io.hlo4j.examples.MlpRegression.data()[0]);
        assertRefused(dump("moe", "--inputs", dir.resolve("x").toString()), 2, "--inputs: the moe model is traced on shapes only");
        assertRefused(dump("docs/examples/mlp-dp-tp.mlir", "--inputs", dir.resolve("y").toString()), 2, "--inputs applies to the built-in models");
        assertThat(dir.resolve("x")).doesNotExist();
    }

    /** Dumping a model with fewer arguments into the same folder removes the longer dump's extra arg files. */
    @Test void inputsRemovesTheArgFilesOfAnEarlierLongerDump(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in");
        assertThat(dump("mixtral-lm", "-o", dir.resolve("mlm.mlir").toString(), "--inputs", in.toString()).code()).isZero();
        Cli.Run q = dump("mlp", "-o", dir.resolve("mlp.mlir").toString(), "--inputs", in.toString());
        assertThat(q.code()).as(q.toString()).isZero();
        int nargs = MlirParser.parseModule(Files.readString(dir.resolve("mlp.mlir")), "mlp.mlir").entryFunction().region(0).entry().arguments().size();
        try (var files = Files.list(in)) { assertThat(files.count()).isEqualTo(nargs); }
        Cli.Run r = Cli.run("run", dir.resolve("mlp.mlir").toString(), "--input", in.toString());
        assertThat(r.code()).as(r.toString()).isZero();
    }

    /** The per-device program takes blocks, not the global arrays --inputs writes: refused, naming the annotated dump. */
    @Test void inputsWithTheExplicitDumpIsRefused(@TempDir Path dir) {
        assertRefused(dump("mixtral-lm", "--emit", "explicit", "--mesh", "dp=1,fsdp=2,ep=2,tp=2,sp=1", "--inputs", dir.resolve("in").toString()),
                2, "--inputs writes global arrays, which the per-device program of --emit explicit does not take: dump with --emit annotated");
        assertThat(dir.resolve("in")).doesNotExist();
    }

    @Test void helpHasAnExample() {
        Cli.Run r = dump("--help");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Usage: hlo4j dump").contains("Examples:").contains("hlo4j dump moe --emit annotated --mesh");
    }

    @Test void refusals() {
        assertRefused(dump("resnet"), 2, "unknown model 'resnet'");
        assertRefused(dump("moe", "--emit", "explicit"), 2, "--emit explicit needs --mesh");
        assertRefused(dump("moe", "--stage", "partitioned"), 2, "--stage partitioned needs --mesh");
        assertRefused(dump("moe", "--emit", "explicit", "--stage", "propagated", "--mesh", "dp=2"), 2, "use --emit annotated");
        assertRefused(dump("moe", "--emit", "annotated", "--stage", "lowered", "--mesh", "dp=2"), 2, "unknown stage 'lowered'");
        assertRefused(dump("moe", "--emit", "annotated"), 2, "--emit annotated needs --mesh");
        assertRefused(dump("moe", "--mesh", "dp=2"), 2, "--mesh needs --emit annotated or explicit");
        assertRefused(dump("mlp", "--config", "moe.json"), 2, "--config applies only to the moe model");
        assertRefused(dump("moe", "--config", "/nonexistent/moe.json"), 1, "/nonexistent/moe.json: no such file");
        assertMeshRefused("dp=two", 2, "not a whole number");
        assertMeshRefused("xp=2", 2, "unknown axis 'xp'");
        assertMeshRefused("dp=2,ep=2", 2, "has 4 devices but --devices is 8", "--devices", "8");
        // 8 experts do not split over ep=3: the refusal names the layer's array and dimension (E), not "argument #2"
        assertMeshRefused("ep=3", 1, "wi [E=8, H=64, M=128] is split P(ep, None, tp): E = 8 (n_routed_experts) does not divide over ep=3 (3 shards)");
        assertMeshRefused("ep=2,tp=3", 1,
                "wi [E=8, H=64, M=128] is split P(ep, None, tp): M = 128 (moe_intermediate_size) does not divide over tp=3 (3 shards)");
        assertMeshRefused("fsdp=4", 1,
                "x [B=2, S=8, H=64] is split P((dp, fsdp), sp, None): B = 2 (batch) does not divide over (dp=1, fsdp=4) (4 shards)", "--batch", "2");
        assertMeshRefused("sp=3", 1,
                "x [B=2, S=8, H=64] is split P((dp, fsdp), sp, None): S = 8 (sequence length) does not divide over sp=3 (3 shards)");
    }

    @Test void easydelMeshSpellings() {
        // EasyDeL's sharding_axis_dims (1, -1, 1, 1, 1): -1 takes the devices the other axes leave of --devices
        Cli.Run ok = dump("moe", "--emit", "annotated", "--mesh", "ep=2,fsdp=-1", "--devices", "8", "--batch", "4");
        assertThat(ok.code()).as(ok.toString()).isZero();
        assertThat(ok.out()).contains("sdy.mesh @mesh = <[\"dp\"=1, \"fsdp\"=4, \"ep\"=2, \"tp\"=1, \"sp\"=1]>");
        assertMeshRefused("fsdp=-1", 2, "--mesh: fsdp=-1 means the devices the other axes leave (EasyDeL's -1), so it needs --devices N");
        assertMeshRefused("fsdp=-1,ep=-1", 2, "--mesh: both 'fsdp' and 'ep' are -1; at most one axis takes the devices left", "--devices", "4");
        assertMeshRefused("fsdp=-1,ep=3", 2,
                "--mesh fsdp=-1,ep=3: the other axes hold 3 devices, which do not divide --devices 8, so fsdp=-1 has no whole size", "--devices", "8");
        assertMeshRefused("fsdp=-2", 2, "--mesh: size of 'fsdp' is -2, must be at least 1 (or -1 for the devices left, with --devices N)");
        assertMeshRefused("fsdp=2,fsdp=-1", 2, "--mesh: axis 'fsdp' given twice", "--devices", "4");
        assertMeshRefused("fsdp=-1,fsdp=2", 2, "--mesh: axis 'fsdp' given twice", "--devices", "4");
        // --devices is a device count on its own: none, or past the limit, is refused before any axis is read
        assertMeshRefused("fsdp=-1", 2, "--devices must be at least 1, got 0", "--devices", "0");
        assertMeshRefused("dp=2", 2, "--devices must be at least 1, got -8", "--devices", "-8");
        // -1 with a huge --devices (as a fuzzer writes it) is refused by size, not by running out of memory building the mesh
        assertMeshRefused("dp=-1", 2, "--devices 2147483647; a mesh has at most 16777216 devices", "--devices", "2147483647");
        assertMeshRefused("dp=16777217", 2, "--mesh dp=16777217 has 16777217 devices; a mesh has at most 16777216 devices");
        assertMeshRefused("dp=4096,tp=4096", 2, "has 16777216 devices but --devices is 8", "--devices", "8"); // 2^24 itself is a mesh
        // sizes multiply in the user's order and are refused as soon as the product passes 2^24, before a long can wrap:
        // these once divided by zero (the product wrapped to 0), printed a negative count, or reached Mesh with a Java line
        assertMeshRefused("dp=65536,fsdp=65536,ep=65536,tp=65536,sp=-1", 2,
                "--mesh dp=65536,fsdp=65536,ep=65536,tp=65536,sp=-1 has at least 4294967296 (dp=65536 x fsdp=65536) devices; a mesh has at most 16777216 devices",
                "--devices", "8");
        assertMeshRefused("dp=1633746944,fsdp=44106401,ep=22253377,sp=-1", 2,
                "--mesh dp=1633746944,fsdp=44106401,ep=22253377,sp=-1 has at least 1633746944 (dp=1633746944) devices; a mesh has at most 16777216 devices",
                "--devices", "131072");
        assertMeshRefused("dp=65536,fsdp=65536,ep=65536,tp=65536", 2,
                "--mesh dp=65536,fsdp=65536,ep=65536,tp=65536 has at least 4294967296 (dp=65536 x fsdp=65536) devices; a mesh has at most 16777216 devices");
        assertMeshRefused("tp=4096,ep=4096,dp=2", 2,
                "--mesh tp=4096,ep=4096,dp=2 has 33554432 devices; a mesh has at most 16777216 devices");
        assertMeshRefused("dp=2147483647,tp=2147483647", 2,
                "--mesh dp=2147483647,tp=2147483647 has at least 2147483647 (dp=2147483647) devices; a mesh has at most 16777216 devices");
        // the 3D expert mesh's axis is a view, not a --mesh axis
        assertMeshRefused("dp=2,expert=4", 2,
                "--mesh: 'expert' is an axis of the 3D expert mesh (dp, expert, tp), a view of the 5D model mesh: give the 5D axes "
                        + "(dp, fsdp, ep, tp, sp); fsdp, ep and sp fold into expert (fsdp_is_ep_bound, sp_is_ep_bound)");
    }

    /** {@code dump moe --emit annotated --mesh MESH EXTRA...} is refused with {@code code} and one line containing {@code message}. */
    private static void assertMeshRefused(String mesh, int code, String message, String... extra) {
        List<String> args = new ArrayList<>(List.of("moe", "--emit", "annotated", "--mesh", mesh));
        args.addAll(List.of(extra));
        assertRefused(dump(args.toArray(String[]::new)), code, message);
    }

    private static void assertRefused(Cli.Run r, int code, String message) {
        assertThat(r.code()).as(r.toString()).isEqualTo(code);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains(message);
        assertThat(r.err().strip().lines()).hasSize(1);
    }
}
