package io.hlo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j conformance}: per-file lines, the closing summary, --json. */
class ConformanceCommandTest {
    /** A file whose check fails (written here: every conformance file passes now) next to one that passes. */
    @Test
    void linesAndSummary(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        String add = Cli.conformance().resolve("interpret/add.mlir").toString();
        java.nio.file.Path bad = dir.resolve("bad_check.mlir");
        java.nio.file.Files.writeString(bad, """
                // RUN: stablehlo-translate --interpret -split-input-file %s
                func.func @main() {
                  %0 = stablehlo.constant dense<1> : tensor<i32>
                  check.expect_eq_const %0, dense<2> : tensor<i32>
                  func.return
                }
                """);
        Cli.Run r = Cli.run("conformance", add, bad.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("PASS " + add + "\n");
        assertThat(r.out()).contains("FAIL " + bad + ": " + bad + ":4:3: check.expect_eq_const failed: element []: got 1, expected 2");
        assertThat(r.out()).endsWith("conformance summary: 1 of 2 files passed (50.0%), 1 failed, 0 skipped\n");
    }

    /**
     * A RUN line the runner cannot reproduce is an error naming the flag, never a silent skip; printing.mlir (the
     * reference tool's printed output checked with FileCheck) passes.
     */
    @Test
    void unsupportedRunLinesAreErrorsByName(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        String printing = Cli.conformance().resolve("interpret/printing.mlir").toString();
        java.nio.file.Path odd = dir.resolve("odd_flag.mlir");
        java.nio.file.Files.writeString(odd, """
                // RUN: stablehlo-translate --interpret --frobnicate %s
                func.func @main() {
                  func.return
                }
                """);
        Cli.Run r = Cli.run("conformance", odd.toString(), printing);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("ERROR " + odd + ": RUN line `stablehlo-translate --interpret --frobnicate %s`: "
                + "stablehlo-translate flag --frobnicate is not supported");
        assertThat(r.out()).contains("PASS " + printing + "\n");
        assertThat(r.out()).contains("1 of 2 files passed (50.0%), 1 failed, 0 skipped");
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
