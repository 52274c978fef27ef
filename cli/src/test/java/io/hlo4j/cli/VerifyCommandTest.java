package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j verify}: {@code OK file} for good files, one located error line for bad ones. */
class VerifyCommandTest {
    @TempDir Path dir;

    @Test void conformanceFilesAreOk() {
        Path a = Cli.conformance().resolve("testdata/abs_float32_20_20.mlir");
        Path b = Cli.conformance().resolve("interpret/add.mlir");
        Cli.Run r = Cli.run("verify", a.toString(), b.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("OK " + a + "\nOK " + b + "\n");
        assertThat(r.err()).isEmpty();
    }

    @Test void operandTypesThatDisagreeFailAtTheOp() throws IOException {
        Path bad = dir.resolve("mismatch.mlir");
        // stablehlo.add needs operands and result of one shape (spec: add, C1); line 2 breaks it.
        Files.writeString(bad, """
                func.func @f(%arg0: tensor<2xf32>, %arg1: tensor<3xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %arg0, %arg1 : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32>
                  func.return %0 : tensor<2xf32>
                }
                """);
        Cli.Run r = Cli.run("verify", bad.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).matches("hlo4j: \\Q" + bad + "\\E:2:\\d+: .*\n").hasLineCount(1);
    }

    @Test void returnThatDisagreesWithTheSignatureFails() throws IOException {
        Path bad = dir.resolve("ret.mlir");
        Files.writeString(bad, """
                func.func @f(%arg0: tensor<2xf32>) -> tensor<3xf32> {
                  func.return %arg0 : tensor<2xf32>
                }
                """);
        Cli.Run r = Cli.run("verify", bad.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).matches("hlo4j: \\Q" + bad + "\\E:2:\\d+: .*\n");
    }

    @Test void goodAndBadFilesEachGetTheirLine() throws IOException {
        Path good = Cli.conformance().resolve("interpret/add.mlir");
        Path bad = dir.resolve("bad.mlir");
        Files.writeString(bad, "func.func @f( {\n");
        Cli.Run r = Cli.run("verify", bad.toString(), good.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("OK " + good + "\n");
        assertThat(r.err()).startsWith("hlo4j: " + bad + ":1:").hasLineCount(1);
    }
}
