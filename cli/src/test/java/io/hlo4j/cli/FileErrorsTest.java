package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A file that cannot be read or parsed fails with exit 1 and one line, never a stack trace. */
class FileErrorsTest {
    @TempDir Path dir;

    @Test void missingFileIsOneLine() {
        Path missing = dir.resolve("nope.mlir");
        for (String cmd : new String[] {"print", "verify"}) {
            Cli.Run r = Cli.run(cmd, missing.toString());
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).isEqualTo("hlo4j: " + missing + ": no such file\n");
            assertThat(r.out()).isEmpty();
        }
    }

    @Test void directoryIsRefusedByName() {
        Cli.Run r = Cli.run("verify", dir.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hlo4j: " + dir + ": is a directory\n");
    }

    @Test void malformedFileGivesFileLineColumnAndNoStackTrace() throws IOException {
        Path bad = dir.resolve("bad.mlir");
        // Line 3 lacks the ':' before the return type.
        Files.writeString(bad, """
                func.func @f(%arg0: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %arg0, %arg0 : tensor<2xf32>
                  func.return %0 tensor<2xf32>
                }
                """);
        for (String cmd : new String[] {"print", "verify"}) {
            Cli.Run r = Cli.run(cmd, bad.toString());
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).as(r.toString()).matches("hlo4j: \\Q" + bad + "\\E:3:\\d+: \\S.*\n").hasLineCount(1);
            assertThat(r.err()).doesNotContain("\tat ", "Exception");
            assertThat(r.out()).isEmpty();
        }
    }

    @Test void verboseAddsTheStackTrace() throws IOException {
        Path bad = dir.resolve("bad.mlir");
        Files.writeString(bad, "func.func @f() {\n  %0 = \n}\n");
        Cli.Run quiet = Cli.run("verify", bad.toString());
        Cli.Run loud = Cli.run("verify", "--verbose", bad.toString());
        assertThat(quiet.code()).isEqualTo(1);
        assertThat(loud.code()).isEqualTo(1);
        assertThat(quiet.err()).hasLineCount(1);
        assertThat(loud.err()).startsWith(quiet.err()).contains("\tat io.hlo4j.");
    }

    @Test void oneBadFileDoesNotStopTheOthers() throws IOException {
        Path good = dir.resolve("good.mlir");
        Files.writeString(good, """
                func.func @f(%arg0: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %arg0, %arg0 : tensor<2xf32>
                  func.return %0 : tensor<2xf32>
                }
                """);
        Path missing = dir.resolve("missing.mlir");
        Cli.Run r = Cli.run("verify", missing.toString(), good.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hlo4j: " + missing + ": no such file\n");
        assertThat(r.out()).isEqualTo("OK " + good + "\n");
    }
}
