package io.hlo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j conformance}: per-file lines, the closing summary, --json. */
class ConformanceCommandTest {
    @Test
    void linesAndSummary(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        String add = Cli.conformance().resolve("interpret/add.mlir").toString();
        // every conformance file runs now: a file with an op the interpreter has no kernel for gives the ERROR line
        java.nio.file.Path bad = tmp.resolve("no_kernel.mlir");
        java.nio.file.Files.writeString(bad, """
                // RUN: stablehlo-translate --interpret %s

                func.func @main() {
                  %a = stablehlo.constant dense<1.0> : tensor<f32>
                  %r = "chlo.conj"(%a) : (tensor<f32>) -> tensor<f32>
                  func.return
                }
                """);
        Cli.Run r = Cli.run("conformance", add, bad.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("PASS " + add + "\n");
        assertThat(r.out()).contains("ERROR " + bad + ": ").contains("not supported by the interpreter: chlo.conj at");
        assertThat(r.out()).endsWith("conformance summary: 1 of 2 files passed (50.0%), 1 failed, 0 skipped\n");
    }

    @Test
    void skippedFilesSayWhy() {
        String printing = Cli.conformance().resolve("interpret/printing.mlir").toString();
        Cli.Run r = Cli.run("conformance", printing);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("SKIP " + printing + ": compares the reference tool's printed output with FileCheck");
        assertThat(r.out()).contains("0 of 1 files passed (0.0%), 0 failed, 1 skipped");
    }

    @Test
    void jsonForMachines() throws Exception {
        String add = Cli.conformance().resolve("interpret/add.mlir").toString();
        Cli.Run r = Cli.run("conformance", "--json", add);
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertThat(doc.get("summary").get("passed").asInt()).isEqualTo(1);
        assertThat(doc.get("files").get(0).get("verdict").asText()).isEqualTo("PASS");
        assertThat(doc.get("files").get(0).get("modules").asInt()).isGreaterThan(10);
    }
}
