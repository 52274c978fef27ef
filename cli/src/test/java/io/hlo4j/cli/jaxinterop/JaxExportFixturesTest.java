package io.hlo4j.cli.jaxinterop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.gpucheck.InteropCheck;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The GPU check's interop fixtures (src/test/resources/jaxexport: StableHLO text in the form JAX 0.11 prints, inputs
 * and numpy-made expected outputs from scripts/gen_jax_export_fixtures.py), run by the interop stage's own
 * {@link InteropCheck} (runtime/src/test/pjrt-gpu, compiled with these tests): {@code hlo4j run F.mlir --input ... -o DIR}
 * in this JVM, plus {@code --spmd} for the program with a mesh; every result within the manifest's tolerance of
 * numpy's (max|hlo4j - numpy| / max|numpy|). Then the same harness on a corrupted copy must fail, by name.
 */
class JaxExportFixturesTest {
    static Path dir() throws URISyntaxException {
        return Path.of(JaxExportFixturesTest.class.getResource("/jaxexport/manifest.json").toURI()).getParent();
    }

    static JsonNode manifest(Path dir) throws IOException {
        return new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
    }

    static JsonNode program(Path dir, String name) throws IOException {
        for (JsonNode p : manifest(dir).get("programs")) if (p.get("name").asText().equals(name)) return p;
        throw new AssertionError("no program " + name + " in " + dir);
    }

    @TestFactory
    List<DynamicTest> everyFixtureMatchesNumpy() throws Exception {
        Path dir = dir();
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode p : manifest(dir).get("programs")) {
            String name = p.get("name").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                InteropCheck.Result r = InteropCheck.check(dir, p, "1 device");
                assertThat(r.status()).as(r.line()).isEqualTo(InteropCheck.Status.OK);
                assertThat(r.line()).startsWith("interop " + name + " (1 device): ").endsWith("-> ok (tol 1e-05)");
                assertThat(r.partitionedAnyway()).isFalse();   // no fixture holds a shard_map
            }));
            if (p.path("spmd").asBoolean(false)) {
                tests.add(DynamicTest.dynamicTest(name + " --spmd", () -> {
                    InteropCheck.Result r = InteropCheck.check(dir, p, "spmd");
                    assertThat(r.status()).as(r.line()).isEqualTo(InteropCheck.Status.OK);
                    assertThat(r.line()).startsWith("interop " + name + " (spmd): ");
                }));
            }
        }
        assertThat(tests).hasSizeGreaterThanOrEqualTo(6);
        return tests;
    }

    /** The whole stage's Java side on the intact fixtures: every run ok, the summary line, exit status 0. */
    @Test
    void theWholeCheckPasses() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = InteropCheck.checkAll(dir(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String log = bytes.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(log).isZero();
        assertThat(log).contains("INTEROP OK (6 runs)").doesNotContain("FAIL");
    }

    /**
     * InteropCheck on a corrupted copy: the router's expected expert counts with one count moved to another expert
     * must FAIL, a missing expected .npy must give a FAIL line naming it (no stack trace), and the summary must say
     * INTEROP FAILED with exit status 1.
     */
    @Test
    void aCorruptedCopyFailsByName(@TempDir Path tmp) throws Exception {
        try (var files = Files.list(dir())) {
            for (Path f : files.toList()) Files.copy(f, tmp.resolve(f.getFileName()));
        }
        HostArray counts = Npy.read(tmp.resolve("router.out2.npy"));
        long[] c = counts.toLongArray();
        assertThat(c).hasSize(4);
        assertThat(Arrays.stream(c).sum()).isEqualTo(12);   // 6 tokens x top-2
        int from = c[0] > 0 ? 0 : 1;
        c[from]--;
        c[(from + 1) % 4]++;
        Npy.write(tmp.resolve("router.out2.npy"), HostArray.fromLongs(counts.type(), c));
        Files.delete(tmp.resolve("relu-dot.out0.npy"));   // JAX's expected result missing: an IOException inside the check

        InteropCheck.Result router = InteropCheck.check(tmp, program(tmp, "router"), "1 device");
        assertThat(router.status()).as(router.line()).isEqualTo(InteropCheck.Status.FAIL);
        assertThat(router.line()).startsWith("interop router (1 device): 4 results, max rel err ").contains("-> FAIL (tol 1e-05)");
        InteropCheck.Result missing = InteropCheck.check(tmp, program(tmp, "relu-dot"), "1 device");
        assertThat(missing.status()).as(missing.line()).isEqualTo(InteropCheck.Status.FAIL);
        assertThat(missing.line()).startsWith("interop relu-dot (1 device): FAIL ").contains("relu-dot.out0.npy");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = InteropCheck.checkAll(tmp, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String log = bytes.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(log).isEqualTo(1);
        assertThat(log).contains(router.line().substring(0, router.line().indexOf(" in ")))
                .contains("INTEROP FAILED: 2 of 6 runs (0 refused)")
                .doesNotContain("Exception in").doesNotContain("\tat ");
    }
}
