package io.hlo4j.cli.jaxinterop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.cli.Main;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The GPU check's interop fixtures (src/test/resources/jaxexport: StableHLO text in the form JAX 0.11 prints, inputs
 * and numpy-made expected outputs from scripts/gen_jax_export_fixtures.py), run the way the interop stage's
 * InteropCheck runs JAX's own exports on the GPU machine: {@code hlo4j run F.mlir --input ... -o DIR}, plus
 * {@code --spmd} for the program with a mesh; every result within the manifest's tolerance of numpy's
 * (max|hlo4j - numpy| / max|numpy|).
 */
class JaxExportFixturesTest {
    static Path dir() throws URISyntaxException {
        return Path.of(JaxExportFixturesTest.class.getResource("/jaxexport/manifest.json").toURI()).getParent();
    }

    static JsonNode manifest() throws IOException, URISyntaxException {
        return new ObjectMapper().readTree(dir().resolve("manifest.json").toFile());
    }

    /** Runs one program; returns the worst relative error over its results (fails the test on a refusal). */
    static double worstError(JsonNode p, boolean spmd, Path out) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("run", dir().resolve(p.get("mlir").asText()).toString()));
        for (JsonNode in : p.get("inputs")) cmd.addAll(List.of("--input", dir().resolve(in.asText()).toString()));
        if (spmd) cmd.add("--spmd");
        cmd.addAll(List.of("-o", out.toString()));
        StringWriter so = new StringWriter(), se = new StringWriter();
        int code = Main.run(new PrintWriter(so), new PrintWriter(se), cmd.toArray(String[]::new));
        assertThat(code).as("%s\n%s%s", cmd, so, se).isZero();
        double worst = 0;
        JsonNode outs = p.get("outputs");
        for (int j = 0; j < outs.size(); j++) {
            worst = Math.max(worst, relErr(Npy.read(out.resolve("result" + j + ".npy")), Npy.read(dir().resolve(outs.get(j).asText()))));
        }
        assertThat(out.resolve("result" + outs.size() + ".npy")).doesNotExist();
        return worst;
    }

    static double relErr(HostArray got, HostArray want) {
        assertThat(got.shape()).isEqualTo(want.shape());
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        double num = 0, den = 0;
        for (int i = 0; i < g.length; i++) {
            num = Math.max(num, Math.abs(g[i] - w[i]));
            den = Math.max(den, Math.abs(w[i]));
        }
        return den == 0 ? num : num / den;
    }

    @TestFactory
    List<DynamicTest> everyFixtureMatchesNumpy(@TempDir Path tmp) throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode p : manifest().get("programs")) {
            for (boolean spmd : p.path("spmd").asBoolean(false) ? List.of(false, true) : List.of(false)) {
                String name = p.get("name").asText() + (spmd ? " --spmd" : "");
                tests.add(DynamicTest.dynamicTest(name, () -> {
                    Path out = Files.createTempDirectory(tmp, "out");
                    assertThat(worstError(p, spmd, out)).as(name).isLessThanOrEqualTo(p.get("tol").asDouble());
                }));
            }
        }
        assertThat(tests).hasSizeGreaterThanOrEqualTo(6);
        return tests;
    }

    /** The comparison can fail: the router's expected expert counts, one count moved to another expert. */
    @Test
    void aWrongExpectationIsCaught(@TempDir Path tmp) throws Exception {
        JsonNode router = null;
        for (JsonNode p : manifest().get("programs")) if (p.get("name").asText().equals("router")) router = p;
        assertThat(router).isNotNull();
        Path out = Files.createTempDirectory(tmp, "out");
        assertThat(worstError(router, false, out)).isLessThanOrEqualTo(router.get("tol").asDouble());
        HostArray counts = Npy.read(out.resolve("result2.npy"));
        for (int j = 1; j <= 3; j++)   // the top-k picks, the counts and the sort order are integers: exact
            assertThat(relErr(Npy.read(out.resolve("result" + j + ".npy")), Npy.read(dir().resolve("router.out" + j + ".npy")))).isZero();
        long[] c = counts.toLongArray();
        assertThat(c).hasSize(4);
        assertThat(java.util.Arrays.stream(c).sum()).isEqualTo(12);   // 6 tokens x top-2
        int from = c[0] > 0 ? 0 : 1;
        c[from]--;
        c[(from + 1) % 4]++;
        assertThat(relErr(counts, HostArray.fromLongs(counts.type(), c))).isGreaterThan(0.1);
    }
}
