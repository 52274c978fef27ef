package io.hlo4j.runtime.conformance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ConformanceRunner#runFile} reads a file as the CLI reads modules ({@link io.hlo4j.mlir.parse.TextFiles}): a
 * file it cannot read is an ERROR whose message gives the reason without repeating the path its line names, text that
 * is not UTF-8 with the bad byte's offset (it used to say only "not valid UTF-8 text").
 */
class ConformanceReadTest {
    @TempDir Path dir;

    private static FileResult runFile(Path f) { return new ConformanceRunner(1, 30_000).runFile(f); }

    @Test void textThatIsNotUtf8IsAnErrorAtItsOffset() throws IOException {
        // "// caf" then Latin-1 e-acute (0xE9) at offset 6
        Path f = Files.write(dir.resolve("latin1.mlir"), "// caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        FileResult r = runFile(f);
        assertThat(r.verdict()).isEqualTo(Verdict.ERROR);
        assertThat(r.line()).isEqualTo("ERROR " + f + ": cannot read: not valid UTF-8 text (byte 0xE9 at offset 6)");
    }

    @Test void aMissingFileAndAFolderAreErrorsByReason() {
        Path gone = dir.resolve("gone.mlir");
        assertThat(runFile(gone).line()).isEqualTo("ERROR " + gone + ": cannot read: no such file");
        assertThat(runFile(dir).line()).isEqualTo("ERROR " + dir + ": cannot read: is a directory");
    }

    @Test void aFileOverTheLimitIsAnErrorBySize() throws IOException {
        Path f = dir.resolve("huge.mlir");
        try (java.io.RandomAccessFile r = new java.io.RandomAccessFile(f.toFile(), "rw")) { r.setLength((1L << 30) + 1); }
        assertThat(runFile(f).line()).isEqualTo("ERROR " + f + ": cannot read: 1073741825 bytes, larger than 1073741824 bytes, the most hlo4j reads of a text file");
    }
}
