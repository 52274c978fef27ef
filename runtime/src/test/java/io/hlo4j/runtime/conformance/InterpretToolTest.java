package io.hlo4j.runtime.conformance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whole RUN lines on files written here: the runner must pass what the reference tool would pass and fail
 * what it would fail (a FileCheck mismatch, a `not` run that succeeds, a probe that differs).
 */
class InterpretToolTest {
    @TempDir Path dir;

    private FileResult run(String text) throws Exception {
        Path f = dir.resolve("t" + System.nanoTime() + ".mlir");
        Files.writeString(f, text);
        return new ConformanceRunner(1, 30_000).runFile(f);
    }

    private static final String ADD = """
            func.func @main(%a: tensor<2xi32>, %b: tensor<2xi32>) -> tensor<2xi32> {
              %0 = stablehlo.add %a, %b : tensor<2xi32>
              return %0 : tensor<2xi32>
            }
            """;

    @Test
    void argsFeedTheEntryFunctionAndResultsArePrinted() throws Exception {
        String head = "// RUN: stablehlo-translate %s --interpret --args=\"[dense<[1, 2]> : tensor<2xi32>, dense<5> : tensor<2xi32>]\" | FileCheck %s\n";
        FileResult ok = run(head + ADD + "// CHECK: tensor<2xi32> {\n// CHECK-NEXT: [6, 7]\n// CHECK-NEXT: }\n");
        assertThat(ok.verdict()).as(ok.line()).isEqualTo(Verdict.PASS);
        FileResult wrong = run(head + ADD + "// CHECK: tensor<2xi32> {\n// CHECK-NEXT: [6, 8]\n");
        assertThat(wrong.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(wrong.message()).contains("CHECK-NEXT: \"[6, 8]\"");
    }

    @Test
    void denseResultForm() throws Exception {
        String text = "// RUN: stablehlo-translate %s --interpret --interpreter-print-dense --args=\"[dense<[1, 2]> : tensor<2xi32>, "
                + "dense<[3, 2]> : tensor<2xi32>]\" | FileCheck %s --check-prefix=D\n" + ADD + "// D: dense<4> : tensor<2xi32>\n";
        assertThat(run(text).verdict()).isEqualTo(Verdict.PASS);
    }

    @Test
    void badArgsAreRejectedWithTheReferenceText() throws Exception {
        String text = "// RUN: not stablehlo-translate %s --interpret --args=\"[1 : i32]\" 2>&1 | FileCheck %s --check-prefix=E\n"
                + "// E: expected dense elements attribute for args elements, i.e. --args=[dense<1> : tensor<2xi32>, ...]\n" + ADD;
        assertThat(run(text).verdict()).isEqualTo(Verdict.PASS);
        String notArray = "// RUN: not stablehlo-translate %s --interpret --args=\"dense<1> : tensor<2xi32>\" 2>&1 | FileCheck %s --check-prefix=E\n"
                + "// E: expectected array attribute string for args\n" + ADD;
        assertThat(run(notArray).verdict()).isEqualTo(Verdict.PASS);
    }

    @Test
    void notRunThatSucceedsFails() throws Exception {
        String text = "// RUN: not stablehlo-translate %s --interpret --args=\"[dense<1> : tensor<2xi32>, dense<1> : tensor<2xi32>]\"\n" + ADD;
        FileResult r = run(text);
        assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(r.message()).contains("expected the run to fail");
    }

    @Test
    void wrongArgumentCountIsAnError() throws Exception {
        FileResult r = run("// RUN: stablehlo-translate %s --interpret --args=\"[dense<1> : tensor<2xi32>]\"\n" + ADD);
        assertThat(r.verdict()).isEqualTo(Verdict.ERROR);
        assertThat(r.message()).contains("takes 2 arguments, got 1");
    }

    @Test
    void failingCheckInOneChunkFailsTheFileAndNamesTheChunk() throws Exception {
        String text = """
                // RUN: stablehlo-translate --interpret -split-input-file %s
                func.func @main() {
                  %0 = stablehlo.constant dense<1> : tensor<i32>
                  check.expect_eq_const %0, dense<1> : tensor<i32>
                  func.return
                }
                // -----
                func.func @main() {
                  %0 = stablehlo.constant dense<1> : tensor<i32>
                  check.expect_eq_const %0, dense<2> : tensor<i32>
                  func.return
                }
                """;
        FileResult r = run(text);
        assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(r.message()).startsWith("module 2: ");
    }

    @Test
    void printOpWritesNameAndTensor() throws Exception {
        String text = """
                // RUN: stablehlo-translate --interpret %s | FileCheck %s
                func.func @main() {
                  %0 = stablehlo.iota dim = 0 : tensor<3xi64>
                  interpreter.print %0 : tensor<3xi64>
                  func.return
                }
                // CHECK: %0 = tensor<3xi64> {
                // CHECK-NEXT: [0, 1, 2]
                // CHECK-NEXT: }
                """;
        FileResult r = run(text);
        assertThat(r.verdict()).as(r.line()).isEqualTo(Verdict.PASS);
        assertThat(run(text.replace("[0, 1, 2]", "[0, 1, 3]")).verdict()).isEqualTo(Verdict.FAIL);
    }

    private static final String PROBE = """
            // RUN: dirname %t | xargs -I{DIR} stablehlo-translate --interpret --probe-output-dir={DIR} %s
            func.func @main() {
              %0 = stablehlo.constant dense<[1.5, -2.0]> : tensor<2xf32>
              %1 = interpreter.probe %0, probe_id = "x" : tensor<2xf32>
              %2 = stablehlo.add %1, %1 : tensor<2xf32>
              %3 = interpreter.probe %2, probe_id = "x" : tensor<2xf32>
              %e0 = stablehlo.constant dense<[1.5, -2.0]> : tensor<2xf32>
              %e1 = stablehlo.constant dense<[3.0, -4.0]> : tensor<2xf32>
              check.expect_serialized_eq %e0, probe_id = "x", iter = 0 : tensor<2xf32>
              check.expect_serialized_eq %e1, probe_id = "x", iter = 1 : tensor<2xf32>
              func.return
            }
            """;

    @Test
    void probesAreWrittenAndReadBackPerIteration() throws Exception {
        FileResult r = run(PROBE);
        assertThat(r.verdict()).as(r.line()).isEqualTo(Verdict.PASS);
    }

    @Test
    void probeMismatchFails() throws Exception {
        FileResult r = run(PROBE.replace("dense<[3.0, -4.0]>", "dense<[3.0, -4.5]>"));
        assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(r.message()).contains("check.expect_serialized_eq").contains("element [1]");
        FileResult missing = run(PROBE.replace("iter = 1", "iter = 2"));
        assertThat(missing.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(missing.message()).contains("no serialized data for probe \"x\" iteration 2").contains("2 records");
        FileResult type = run(PROBE.replace("%e1, probe_id = \"x\", iter = 1 : tensor<2xf32>", "%e1, probe_id = \"x\", iter = 1 : tensor<2xf32>")
                .replace("%e1 = stablehlo.constant dense<[3.0, -4.0]> : tensor<2xf32>", "%e1 = stablehlo.constant dense<[3.0, -4.0]> : tensor<2xf64>")
                .replace("%e1, probe_id = \"x\", iter = 1 : tensor<2xf32>", "%e1, probe_id = \"x\", iter = 1 : tensor<2xf64>"));
        assertThat(type.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(type.message()).contains("recorded type tensor<2xf32>, expected tensor<2xf64>");
    }

    @Test
    void probeWithoutDirectoryIsRefused() throws Exception {
        FileResult r = run(PROBE.replace("dirname %t | xargs -I{DIR} ", "").replace(" --probe-output-dir={DIR}", ""));
        assertThat(r.verdict()).isEqualTo(Verdict.ERROR);
        assertThat(r.message()).contains("no probe output directory");
    }

    @Test
    void unsupportedRunLineIsAnErrorNotASkip() throws Exception {
        FileResult r = run("// RUN: stablehlo-translate --interpret --frobnicate %s\n" + ADD);
        assertThat(r.verdict()).isEqualTo(Verdict.ERROR);
        assertThat(r.message()).contains("--frobnicate");
    }
}
