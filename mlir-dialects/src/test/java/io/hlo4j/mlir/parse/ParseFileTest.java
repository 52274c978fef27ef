package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.print.MlirPrinter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link MlirParser#parseModule(Path)} and {@link MlirParser#parseFile(Path)} read files as the CLI does
 * ({@link TextFiles}): a module parsed with its diagnostics at the path; a missing file, a folder, a file over the
 * limit and text that is not UTF-8 refused naming the path (and the bad byte's offset), as {@link FileSystemException}s.
 */
class ParseFileTest {
    private static final String ADD = """
            func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
              %0 = stablehlo.add %a, %a : tensor<2xf32>
              return %0 : tensor<2xf32>
            }
            """;

    @Test void aFileIsParsedAsItsText(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("add.mlir"), ADD);
        Module m = MlirParser.parseModule(f);
        assertThat(MlirPrinter.print(m)).isEqualTo(MlirPrinter.print(MlirParser.parseModule(ADD, "x")));
        assertThat(MlirParser.parseFile(f)).hasSize(1);
        // diagnostics name the file as given, at the line and column
        Path bad = Files.writeString(dir.resolve("bad.mlir"), "func.func @main() {\n  %0 = stablehlo.nope\n}\n");
        assertThatThrownBy(() -> MlirParser.parseModule(bad)).isInstanceOf(ParseException.class)
                .satisfies(e -> assertThat(((ParseException) e).location().describe()).startsWith(bad + ":2:"));
    }

    @Test void aMissingFileIsRefusedByName(@TempDir Path dir) {
        Path f = dir.resolve("none.mlir");
        assertThatThrownBy(() -> MlirParser.parseModule(f)).isInstanceOf(NoSuchFileException.class)
                .extracting(e -> ((FileSystemException) e).getFile()).isEqualTo(f.toString());
        assertThatThrownBy(() -> MlirParser.parseFile(f)).isInstanceOf(NoSuchFileException.class);
    }

    @Test void aDirectoryIsRefusedByName(@TempDir Path dir) {
        assertThatThrownBy(() -> MlirParser.parseModule(dir)).isInstanceOf(FileSystemException.class)
                .satisfies(e -> {
                    assertThat(((FileSystemException) e).getFile()).isEqualTo(dir.toString());
                    assertThat(((FileSystemException) e).getReason()).isEqualTo("is a directory");
                });
    }

    @Test void invalidUtf8IsRefusedAtItsByteOffset(@TempDir Path dir) throws IOException {
        // "// caf" then Latin-1 e-acute (0xE9, not UTF-8 before a newline) at offset 6
        Path f = Files.write(dir.resolve("latin1.mlir"), ("// caf\u00e9\n" + ADD).getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> MlirParser.parseModule(f)).isInstanceOf(FileSystemException.class)
                .satisfies(e -> {
                    assertThat(((FileSystemException) e).getFile()).isEqualTo(f.toString());
                    assertThat(((FileSystemException) e).getReason()).isEqualTo("not valid UTF-8 text (byte 0xE9 at offset 6)");
                });
        // a truncated sequence at the end: 0xE2 0x82 (the first two bytes of the euro sign) after ten valid bytes
        byte[] cut = new byte[12];
        for (int i = 0; i < 10; i++) cut[i] = '/';
        cut[10] = (byte) 0xE2;
        cut[11] = (byte) 0x82;
        Path g = Files.write(dir.resolve("cut.mlir"), cut);
        assertThatThrownBy(() -> TextFiles.read(g)).isInstanceOf(FileSystemException.class)
                .extracting(e -> ((FileSystemException) e).getReason()).isEqualTo("not valid UTF-8 text (byte 0xE2 at offset 10)");
        // a .npy array given where a module goes (numpy's magic \x93NUMPY, then a version and a header) says so
        byte[] npy = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x76, 0, '{'};
        Path h = Files.write(dir.resolve("x.npy"), npy);
        assertThatThrownBy(() -> MlirParser.parseModule(h)).isInstanceOf(FileSystemException.class)
                .extracting(e -> ((FileSystemException) e).getReason())
                .isEqualTo("not valid UTF-8 text (byte 0x93 at offset 0); it is a .npy array (it starts with \\x93NUMPY), not text");
        // valid multi-byte text passes as it is
        Path ok = Files.writeString(dir.resolve("ok.mlir"), "// caf\u00e9 \u20ac\n" + ADD);
        assertThat(TextFiles.read(ok)).isEqualTo("// caf\u00e9 \u20ac\n" + ADD);
    }

    @Test void textLongerThanTheCheckBufferIsCheckedToItsEnd(@TempDir Path dir) throws IOException {
        // the check decodes 65,536 chars at a time: a four-byte character (two chars) whose pair straddles that
        // boundary, 'é' (two bytes) and ASCII past it, then a stray continuation byte far beyond the first buffer
        String text = "/".repeat(65_535) + "\uD83D\uDE00" + "caf\u00e9 ".repeat(40_000);
        byte[] good = text.getBytes(StandardCharsets.UTF_8);
        Path ok = Files.write(dir.resolve("long.mlir"), good);
        assertThat(TextFiles.read(ok)).isEqualTo(text);
        byte[] bad = java.util.Arrays.copyOf(good, good.length + 2);
        bad[good.length] = (byte) 0x80;
        bad[good.length + 1] = '\n';
        Path f = Files.write(dir.resolve("bad.mlir"), bad);
        assertThat(good.length).isEqualTo(65_535 + 4 + 40_000 * 6);
        assertThatThrownBy(() -> TextFiles.read(f)).isInstanceOf(FileSystemException.class)
                .extracting(e -> ((FileSystemException) e).getReason()).isEqualTo("not valid UTF-8 text (byte 0x80 at offset 305539)");
    }

    @Test void aFileOverTheLimitIsRefusedAndOneAtItIsRead(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("add.mlir"), ADD);
        long n = Files.size(f);
        assertThat(TextFiles.read(f, n)).isEqualTo(ADD);
        assertThatThrownBy(() -> TextFiles.read(f, n - 1)).isInstanceOf(FileSystemException.class)
                .satisfies(e -> {
                    assertThat(((FileSystemException) e).getFile()).isEqualTo(f.toString());
                    assertThat(((FileSystemException) e).getReason()).isEqualTo(n + " bytes, larger than " + (n - 1) + " bytes, the most hlo4j reads of a text file");
                });
        assertThat(TextFiles.MAX_BYTES).isEqualTo(1L << 30);
        assertThatThrownBy(() -> TextFiles.read(f, TextFiles.MAX_BYTES + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test void aRegularFileOverTheLimitIsRefusedByItsSizeUnread(@TempDir Path dir) throws IOException {
        // a sparse file one byte past 1 GiB: its size alone refuses it (only the size check can name the size; reading
        // it would take 1 GiB of heap first)
        Path f = dir.resolve("huge.mlir");
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) { r.setLength(TextFiles.MAX_BYTES + 1); }
        assertThatThrownBy(() -> MlirParser.parseModule(f)).isInstanceOf(FileSystemException.class)
                .satisfies(e -> {
                    assertThat(((FileSystemException) e).getFile()).isEqualTo(f.toString());
                    assertThat(((FileSystemException) e).getReason()).isEqualTo("1073741825 bytes, larger than 1073741824 bytes, the most hlo4j reads of a text file");
                });
    }

    @Test void aProcFileReportingSizeZeroIsReadInFull() throws IOException {
        Path status = Path.of("/proc/self/status");
        Assumptions.assumeTrue(Files.isReadable(status), "no /proc on this system");
        assertThat(Files.isRegularFile(status)).isTrue();
        assertThat(Files.size(status)).isZero();   // why the size check passes files it cannot judge to the capped read
        String text = TextFiles.read(status, 1 << 16);
        assertThat(text).startsWith("Name:\t").contains("\nPid:\t").endsWith("\n");
    }

    @Test void anEndlessFileStopsAtTheLimit() throws IOException {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.isReadable(zero), "no /dev/zero on this system");
        assertThat(Files.isRegularFile(zero)).isFalse();   // a device: read up to the limit, no size to trust
        assertThatThrownBy(() -> TextFiles.read(zero, 1 << 16)).isInstanceOf(FileSystemException.class)
                .extracting(e -> ((FileSystemException) e).getReason()).isEqualTo("larger than 65536 bytes, the most hlo4j reads of a text file");
    }
}
