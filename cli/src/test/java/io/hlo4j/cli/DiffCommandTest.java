package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j diff}: exit 0 and no output when equal up to names; exit 1 with the changed constant shown. */
class DiffCommandTest {
    @TempDir Path dir;

    static final String A = """
            func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
              %c = stablehlo.constant dense<[1.0, 2.0]> : tensor<2xf32>
              %0 = stablehlo.add %x, %c : tensor<2xf32>
              return %0 : tensor<2xf32>
            }
            """;

    @Test void identicalUpToNamesIsExitZero() throws IOException {
        Path a = Files.writeString(dir.resolve("a.mlir"), A);
        Path b = Files.writeString(dir.resolve("b.mlir"), A.replace("%x", "%input").replace("%0", "%sum"));
        Cli.Run r = InspectCommandTest.run("diff", a.toString(), b.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEmpty();
        Cli.Run self = InspectCommandTest.run("diff", a.toString(), a.toString());
        assertThat(self.code()).isZero();
    }

    @Test void changedConstantIsExitOneWithTheLines() throws IOException {
        Path a = Files.writeString(dir.resolve("a.mlir"), A);
        Path b = Files.writeString(dir.resolve("b.mlir"), A.replace("2.0]", "3.0]"));
        Cli.Run r = InspectCommandTest.run("diff", a.toString(), b.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(Main.FAILED);
        assertThat(r.out()).contains("--- " + a, "+++ " + b, "@@ ", "func.func @main",
                "-    %cst = stablehlo.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>",
                "+    %cst = stablehlo.constant dense<[1.000000e+00, 3.000000e+00]> : tensor<2xf32>");
    }

    @Test void missingFileIsOneLine() {
        Cli.Run r = InspectCommandTest.run("diff", dir.resolve("nope.mlir").toString(), dir.resolve("nope.mlir").toString());
        assertThat(r.code()).isEqualTo(Main.FAILED);
        assertThat(r.err()).contains("nope.mlir: no such file");
    }

    @Test void oneFileIsAUsageError() {
        Cli.Run r = InspectCommandTest.run("diff", "a.mlir");
        assertThat(r.code()).isEqualTo(Main.USAGE);
    }
}
