package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j bench parse} as a command (one quick round; the figures themselves are not checked). */
class BenchParseCommandTest {
    @TempDir Path dir;

    @Test void measuresOneFile() throws IOException {
        Path f = Cli.conformance().resolve("interpret/add.mlir");
        Cli.Run r = Cli.run("bench", "parse", "--warmup", "0", "--repeat", "1", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        double mb = Files.size(f) / 1e6;
        assertThat(r.out()).startsWith(String.format(java.util.Locale.ROOT, "bench parse: 1 files, %.2f MB under %s\n", mb, f))
                .contains("parse+verify, one thread, best of 1 after 0 warm-up:\n")
                .containsPattern("\n  wall time   [0-9.]+ s = [0-9.]+ MB/s, [0-9]+ files/s\n")
                .containsPattern("\n  thread CPU  [0-9.]+ s = [0-9.]+ MB/s, [0-9]+ files/s\n");
    }

    @Test void failingFilesAreNamedLeftOutAndFailTheRun() throws IOException {
        Files.copy(Cli.conformance().resolve("interpret/add.mlir"), dir.resolve("good.mlir"));
        Files.writeString(dir.resolve("bad.mlir"), "func.func @f( {\n");
        Files.writeString(dir.resolve("ignored.txt"), "not mlir");
        Cli.Run r = Cli.run("bench", "parse", "--warmup", "0", "--repeat", "1", dir.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).startsWith("hlo4j: " + dir.resolve("bad.mlir") + ":1:").hasLineCount(1);
        assertThat(r.out()).startsWith("bench parse: 1 files,").contains("(1 failing files left out)");
    }

    @Test void missingPathFails() {
        Path nowhere = dir.resolve("nowhere");
        Cli.Run r = Cli.run("bench", "parse", nowhere.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hlo4j: " + nowhere + ": no such file\n");
    }

    @Test void defaultsToTheConformanceFolder() {
        assertThat(BenchParseCommand.defaultPath().toAbsolutePath().normalize())
                .isEqualTo(Cli.conformance().toAbsolutePath().normalize());
    }
}
