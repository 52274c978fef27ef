package io.hlo4j.mlir.parse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reading a text file the way every reader of user files does (MLIR modules, the CLI's JSON configs): a missing file, a
 * folder or an unreadable file refused by name, at most a limit of bytes, and strict UTF-8, a bad byte named with its
 * offset. Each failure is a {@link FileSystemException} whose file is the path as given and whose reason says what is
 * wrong.
 *
 * <p>A regular file over the limit is refused by its size, before it is opened. Other files have no size to trust
 * ({@code /proc} files report 0; devices such as {@code /dev/zero}, pipes, {@code <(cmd)}'s {@code /dev/fd/N}) and are
 * read up to the limit, then refused if there is more: for them the heap must hold up to the limit (twice, briefly,
 * while the JDK joins the chunks it read), and {@code /dev/zero} is read to the limit before its refusal. A named
 * pipe (FIFO) is not refused, since {@code <(cmd)} hands one over, so one that no process writes to blocks on opening,
 * as it does for {@code cat}.
 */
public final class TextFiles {
    private TextFiles() {}

    /** The default limit: 1 GiB, far past any module hlo4j or JAX writes, and well inside a Java string's reach. */
    public static final long MAX_BYTES = 1L << 30;

    /** {@link #read(Path, long)} with {@link #MAX_BYTES}. */
    public static String read(Path p) throws IOException { return read(p, MAX_BYTES); }

    /** The text of {@code p}, strict UTF-8, at most {@code maxBytes} bytes (at most {@link #MAX_BYTES}). */
    public static String read(Path p, long maxBytes) throws IOException {
        if (maxBytes < 0 || maxBytes > MAX_BYTES) throw new IllegalArgumentException("maxBytes " + maxBytes + " is not in [0, " + MAX_BYTES + "]");
        if (!Files.exists(p)) throw new NoSuchFileException(p.toString());
        if (Files.isDirectory(p)) throw new FileSystemException(p.toString(), null, "is a directory");
        if (!Files.isReadable(p)) throw new AccessDeniedException(p.toString(), null, "permission denied");
        if (Files.isRegularFile(p)) {
            long size = Files.size(p);
            if (size > maxBytes) throw tooLarge(p, size + " bytes, ", maxBytes);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(p)) {
            bytes = in.readNBytes((int) maxBytes + 1);   // one past the limit tells a stream over it
        }
        if (bytes.length > maxBytes) throw tooLarge(p, "", maxBytes);   // not regular, or grown since its size was read
        return utf8(p, bytes);
    }

    private static FileSystemException tooLarge(Path p, String size, long maxBytes) {
        return new FileSystemException(p.toString(), null, size + "larger than " + maxBytes + " bytes, the most hlo4j reads of a text file");
    }

    /** Chars decoded per step of the check: a fixed, small buffer whatever the file's size. */
    private static final int CHECK_CHARS = 1 << 16;

    /**
     * Strict UTF-8; the first malformed or unmappable sequence named by its first byte and that byte's offset. The bytes
     * are checked by decoding them into a small buffer that is emptied when full (decoding them all at once would take
     * two bytes a char, then a copy: about four times the file in heap), and the string is then made from the bytes,
     * which for ASCII text keeps one byte a char.
     */
    private static String utf8(Path p, byte[] bytes) throws FileSystemException {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(CHECK_CHARS);
        CoderResult r;
        while ((r = d.decode(in, out, true)).isOverflow()) out.clear();
        if (!r.isError()) {
            while ((r = d.flush(out)).isOverflow()) out.clear();
        }
        if (r.isError()) {
            int at = in.position();   // the decoder stops at the sequence it refuses
            String npy = isNpy(bytes) ? "; it is a .npy array (it starts with \\x93NUMPY), not text" : "";
            throw new FileSystemException(p.toString(), null,
                    String.format("not valid UTF-8 text (byte 0x%02X at offset %d)%s", bytes[at] & 0xFF, at, npy));
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** numpy's magic string: a user who swaps a module and an input array is told which one they gave. */
    private static boolean isNpy(byte[] bytes) {
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
        return bytes.length >= magic.length && java.util.Arrays.equals(bytes, 0, magic.length, magic, 0, magic.length);
    }
}
