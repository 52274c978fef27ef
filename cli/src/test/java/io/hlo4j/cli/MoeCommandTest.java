package io.hlo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code hlo4j moe run} on golden fixture cases of dsl/src/test/resources/moe (numpy f64 oracle,
 * scripts/moe_reference.py): every output file against the case's expected arrays, with the layer tests'
 * tolerances (1e-5 relative for f32; choices and loads exact); and the refusals, which leave OUT untouched.
 */
class MoeCommandTest {
    static final double TOL = 1e-5;
    static final ObjectMapper JSON = new ObjectMapper();

    /** The fixtures beside this module (surefire runs in cli/). */
    static Path fixtures() {
        Path p = Path.of("").toAbsolutePath().resolveSibling("dsl").resolve("src/test/resources/moe");
        if (!Files.isDirectory(p)) throw new IllegalStateException("MoE fixtures not found at " + p);
        return p;
    }

    /** Runs through Main's command line; adds {@code moe} itself until the lead registers it in Main. */
    static Cli.Run moe(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        PrintWriter o = new PrintWriter(out), e = new PrintWriter(err);
        CommandLine cl = Main.commandLine(new Main(), o, e);
        if (!cl.getSubcommands().containsKey("moe")) {
            cl.addSubcommand(new MoeCommand());
            cl.setOut(o); // picocli hands the streams only to subcommands present when they are set
            cl.setErr(e);
        }
        String[] all = Stream.concat(Stream.of("moe"), Stream.of(args)).toArray(String[]::new);
        int code = cl.execute(all);
        o.flush();
        e.flush();
        return new Cli.Run(code, out.toString(), err.toString());
    }

    @ParameterizedTest(name = "{0} --method {1}")
    @CsvSource({
            "c17_top_k_ndiv_expert_choice_k2_e8_n7, fused",    // biases, load-balancing loss and z-loss present
            "c02_expert_choice_none_k4_e4_n7, standard",      // expert-choice routing, biases, both losses null
            "c27_hash_switch_transformer_k4_e16_n512, dense", // HASH routing with token_ids.npy, 512 tokens
    })
    void matchesTheFixture(String name, String method, @TempDir Path tmp) throws IOException {
        Path c = fixtures().resolve(name);
        Path out = tmp.resolve("out"), dump = tmp.resolve("moe.mlir");
        Cli.Run r = moe("run", "--config", c.resolve("config.json").toString(), "--weights", c.toString(),
                "--input", c.resolve("x.npy").toString(), "-o", out.toString(), "--method", method, "--dump", dump.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains(method + "_moe");
        for (String f : List.of("selected_experts", "expert_loads")) {
            assertThat(Npy.read(out.resolve(f + ".npy")).toLongArray()).as(name + " " + f)
                    .containsExactly(Npy.read(c.resolve(f + ".npy")).toLongArray());
        }
        for (String f : List.of("output", "router_logits", "selected_weights")) {
            assertRelClose(name + " " + f, Npy.read(out.resolve(f + ".npy")), Npy.read(c.resolve(f + ".npy")));
        }
        JsonNode got = JSON.readTree(out.resolve("metrics.json").toFile()), want = JSON.readTree(c.resolve("metrics.json").toFile());
        for (String k : MoeRunCommand.METRICS) {
            assertThat(got.has(k)).as(k + " present").isTrue();
            if (want.get(k).isNull()) {
                assertThat(got.get(k).isNull()).as(name + " " + k + " is null").isTrue();
            } else {
                double g = got.get(k).asDouble(), w = want.get(k).asDouble();
                assertThat(Math.abs(g - w)).as(name + " " + k + " = " + g + ", want " + w).isLessThanOrEqualTo(TOL * Math.abs(w) + 1e-9);
            }
        }
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("expert_loads.npy",
                    "metrics.json", "output.npy", "router_logits.npy", "selected_experts.npy", "selected_weights.npy");
        }
        String mlir = Files.readString(dump);
        assertThat(mlir).contains("func.func public @main").contains("stablehlo.");
        if (Files.exists(c.resolve("token_ids.npy")) && name.contains("hash")) {
            assertThat(mlir.lines().filter(l -> l.contains("func.func public @main")).findFirst().orElseThrow())
                    .as("token_ids is the last argument").contains("%arg5: tensor<8x64xi");
        }
        assertThat(Cli.run("verify", dump.toString()).code()).as("the dump verifies").isZero();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.filter(p -> p.getFileName().toString().contains(".tmp-")).toList()).as("no temp folder left").isEmpty();
        }
    }

    @Test
    void theOutputShapesAreTheIssuesOnes(@TempDir Path tmp) throws IOException {
        Path c = fixtures().resolve("c17_top_k_ndiv_expert_choice_k2_e8_n7"), out = tmp.resolve("out");
        Cli.Run r = moe("run", "--config", c.resolve("config.json").toString(), "--weights", c.toString(),
                "--input", c.resolve("x.npy").toString(), "-o", out.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Npy.read(out.resolve("output.npy")).shape()).containsExactly(1, 7, 8);
        assertThat(Npy.read(out.resolve("router_logits.npy")).shape()).containsExactly(7, 8);
        assertThat(Npy.read(out.resolve("expert_loads.npy")).shape()).containsExactly(8);
    }

    /** A copy of case c17's inputs in {@code tmp/w} that a test can damage. */
    static Path copyCase(Path tmp) throws IOException {
        Path c = fixtures().resolve("c17_top_k_ndiv_expert_choice_k2_e8_n7"), w = tmp.resolve("w");
        Files.createDirectories(w);
        try (Stream<Path> s = Files.list(c)) {
            for (Path f : s.toList()) Files.copy(f, w.resolve(f.getFileName()));
        }
        return w;
    }

    Cli.Run runCopy(Path w, Path out, String... extra) {
        String[] base = {"run", "--config", w.resolve("config.json").toString(), "--weights", w.toString(),
                "--input", w.resolve("x.npy").toString(), "-o", out.toString()};
        return moe(Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    void assertRefused(Cli.Run r, int code, Path tmp, String... fragments) throws IOException {
        assertThat(r.code()).as(r.toString()).isEqualTo(code);
        assertThat(r.err().strip().lines().count()).as("one line: " + r.err()).isEqualTo(1);
        assertThat(r.err()).contains(fragments);
        assertThat(tmp.resolve("out")).as("nothing written").doesNotExist();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.filter(p -> p.getFileName().toString().contains(".tmp-")).toList()).as("no temp folder").isEmpty();
        }
    }

    /** EasyDeL's switch keeps k slots; hlo4j's uses one, so a switch config with k > 1 says so in the summary. */
    @Test
    void switchWithKAboveOneSaysItUsesOneExpert(@TempDir Path tmp) {
        Path c = fixtures().resolve("c33_switch_none_k2_e16_n1");
        Cli.Run r = moe("run", "--config", c.resolve("config.json").toString(), "--weights", c.toString(),
                "--input", c.resolve("x.npy").toString(), "-o", tmp.resolve("out").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("moe run: fused_moe, 1 tokens (B=1, S=1), E=16, k=2, switch routing (1 expert per token, whatever k), "
                + "bfloat16: wrote " + tmp.resolve("out") + "\n");
        Path k1 = fixtures().resolve("c24_switch_standard_k1_e16_n15");
        Cli.Run one = moe("run", "--config", k1.resolve("config.json").toString(), "--weights", k1.toString(),
                "--input", k1.resolve("x.npy").toString(), "-o", tmp.resolve("out1").toString());
        assertThat(one.out()).as(one.toString()).contains("k=1, switch routing, float32");
    }

    @Test
    void refusesAGateWhoseExpertCountIsNotTheConfigs(@TempDir Path tmp) throws IOException {
        Path w = copyCase(tmp);
        Npy.write(w.resolve("gate.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 8, 4), new float[32]));
        assertRefused(runCopy(w, tmp.resolve("out")), 1, tmp, "gate.npy", "4 experts", "n_routed_experts is 8");
    }

    @Test
    void refusesAWrongWeightShape(@TempDir Path tmp) throws IOException {
        Path w = copyCase(tmp);
        Npy.write(w.resolve("wd.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 8, 8, 16), new float[8 * 8 * 16]));
        assertRefused(runCopy(w, tmp.resolve("out")), 1, tmp, "wd.npy: shape [8, 8, 16]", "expected [8, 16, 8]");
    }

    @Test
    void refusesAnInputWithTheWrongHiddenSize(@TempDir Path tmp) throws IOException {
        Path w = copyCase(tmp);
        Npy.write(w.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 1, 3, 5), new float[15]));
        assertRefused(runCopy(w, tmp.resolve("out")), 1, tmp, "x.npy: shape [1, 3, 5]", "hidden_size 8");
    }

    @Test
    void refusesKGreaterThanE(@TempDir Path tmp) throws IOException {
        Path w = copyCase(tmp);
        Files.writeString(w.resolve("config.json"), Files.readString(w.resolve("config.json"))
                .replaceFirst("\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 9"));
        Cli.Run r = runCopy(w, tmp.resolve("out"));
        assertRefused(r, 1, tmp, "num_experts_per_tok: 9 exceeds n_routed_experts 8");
        // worded once by MoeConfigJson: the file, then the key and the values
        assertThat(r.err()).isEqualTo("hlo4j: " + w.resolve("config.json") + ": num_experts_per_tok: 9 exceeds n_routed_experts 8\n");
    }

    @Test
    void refusesAConfigWithTextAfterTheObject(@TempDir Path tmp) throws IOException {
        Path w = copyCase(tmp);
        Files.writeString(w.resolve("config.json"), Files.readString(w.resolve("config.json")).strip() + "\n{}\n");
        Cli.Run r = runCopy(w, tmp.resolve("out"));
        assertRefused(r, 1, tmp, "not valid JSON: Trailing token");
        assertThat(r.err()).startsWith("hlo4j: " + w.resolve("config.json") + ":").doesNotContain("REDACTED");
    }

    @Test
    void refusesAnUnknownRoutingStrategy(@TempDir Path tmp) throws IOException {
        Path w = copyCase(tmp);
        Files.writeString(w.resolve("config.json"), Files.readString(w.resolve("config.json"))
                .replaceFirst("\"routing_strategy\": \"top_k_ndiv\"", "\"routing_strategy\": \"round_robin\""));
        assertRefused(runCopy(w, tmp.resolve("out")), 1, tmp, "round_robin");
    }

    @Test
    void refusesAnUnknownMethod(@TempDir Path tmp) throws IOException {
        Path w = copyCase(tmp);
        assertRefused(runCopy(w, tmp.resolve("out"), "--method", "sparse"), 2, tmp, "unknown method 'sparse'");
    }

    @Test
    void refusesAMissingWeight(@TempDir Path tmp) throws IOException {
        Path w = copyCase(tmp);
        Files.delete(w.resolve("wu.npy"));
        assertRefused(runCopy(w, tmp.resolve("out")), 1, tmp, "wu.npy: no such file");
    }

    @Test
    void moeWithoutASubcommandIsAUsageError() {
        Cli.Run r = moe();
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("expected: run");
    }

    /** |got - want| <= TOL * max|want| elementwise, shapes equal (as MoeLayerFixturesTest). */
    static void assertRelClose(String what, HostArray got, HostArray want) {
        assertThat(got.shape()).as(what + " shape").containsExactly(want.shape());
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        double scale = 1e-6;
        for (double v : w) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < w.length; i++) {
            double err = Math.abs(g[i] - w[i]) / scale;
            if (!(err <= TOL)) throw new AssertionError(what + ": element " + i + " is " + g[i] + ", want " + w[i] + " (relative error " + err + ")");
        }
    }
}
