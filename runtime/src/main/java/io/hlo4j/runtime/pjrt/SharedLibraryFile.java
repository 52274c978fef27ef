package io.hlo4j.runtime.pjrt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a file can be a shared library, read before the JVM is asked to load it: asked to load a file that is
 * not a well-formed one, the JVM first prints its own two-line stack-guard warning, then the loader's error. An
 * ELF file must be a shared object whose program headers lie inside the file; a Mach-O one only needs its magic
 * number, the loader's message being clear there. A position-independent executable is an ELF shared object too,
 * told apart by its dynamic section's DF_1_PIE flag. Each is accepted only on the system that loads it (Mach-O on
 * macOS, ELF elsewhere): the other would reach the loader and its warning.
 */
public final class SharedLibraryFile {
    private SharedLibraryFile() {}

    /** Why {@code p} cannot be a shared library ("no ELF or Mach-O header", "ELF type 2, not a shared object", ...), or null. */
    public static String problem(Path p) throws IOException {
        byte[] head = new byte[64];
        int n;
        try (InputStream in = Files.newInputStream(p)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n < 4) return "no ELF or Mach-O header";
        boolean mac = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("mac");
        if (isMachO(head)) return mac ? null : "a Mach-O (macOS) file, not loadable on " + System.getProperty("os.name");
        if (!isElf(head)) return "no ELF or Mach-O header";
        if (mac) return "an ELF file, not loadable on macOS";
        String problem = elfProblem(head, n, Files.size(p));
        if (problem == null && isPositionIndependentExecutable(p, head)) {
            // ET_DYN like a library, so the type alone does not tell; glibc's loader refuses it by DF_1_PIE, and
            // the JVM's message for that ("Cannot open library") would not say why
            return "a position-independent executable (DT_FLAGS_1 has DF_1_PIE), which the loader refuses to load";
        }
        return problem;
    }

    private static int magic(byte[] h) { return (h[0] & 0xFF) << 24 | (h[1] & 0xFF) << 16 | (h[2] & 0xFF) << 8 | (h[3] & 0xFF); }

    private static boolean isElf(byte[] h) { return magic(h) == 0x7F454C46; }

    private static boolean isMachO(byte[] h) {
        int m = magic(h);
        return m == 0xFEEDFACE || m == 0xFEEDFACF || m == 0xCEFAEDFE || m == 0xCFFAEDFE // 32/64 bit, both byte orders
                || m == 0xCAFEBABE; // universal (a class file shares it; the loader refuses that one by name)
    }

    private static final int PT_DYNAMIC = 2;
    private static final long DT_NULL = 0, DT_FLAGS_1 = 0x6ffffffbL, DF_1_PIE = 0x08000000L;
    /** Past these, a header is not read further (the loader then has the last word). */
    private static final long MAX_HEADERS = 1 << 20, MAX_DYNAMIC = 1 << 20;

    /**
     * Whether the dynamic section of a well-formed ELF shared object (checked by {@link #elfProblem}) sets DF_1_PIE in
     * DT_FLAGS_1: an executable, not a library, as glibc tells them apart (a PT_INTERP header does not: libc.so.6 has
     * one). A dynamic section that lies outside the file is left to the loader.
     */
    private static boolean isPositionIndependentExecutable(Path p, byte[] h) throws IOException {
        boolean is64 = h[4] == 2;
        ByteOrder order = h[5] == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        ByteBuffer b = ByteBuffer.wrap(h).order(order);
        long phoff = is64 ? b.getLong(32) : b.getInt(28) & 0xFFFFFFFFL;
        int phentsize = b.getShort(is64 ? 54 : 42) & 0xFFFF, phnum = b.getShort(is64 ? 56 : 44) & 0xFFFF;
        if (phentsize < (is64 ? 56 : 32) || (long) phentsize * phnum > MAX_HEADERS) return false;
        try (FileChannel ch = FileChannel.open(p)) {
            long size = ch.size();
            ByteBuffer ph = read(ch, phoff, (long) phentsize * phnum, order);
            if (ph == null) return false;
            for (int i = 0; i < phnum; i++) {
                int at = i * phentsize;
                if (ph.getInt(at) != PT_DYNAMIC) continue;
                long offset = is64 ? ph.getLong(at + 8) : ph.getInt(at + 4) & 0xFFFFFFFFL;
                long length = is64 ? ph.getLong(at + 32) : ph.getInt(at + 16) & 0xFFFFFFFFL;
                if (offset < 0 || length < 0 || offset > size || length > size - offset || length > MAX_DYNAMIC) return false;
                ByteBuffer dyn = read(ch, offset, length, order);
                if (dyn == null) return false;
                int entry = is64 ? 16 : 8;
                for (int at2 = 0; at2 + entry <= length; at2 += entry) {
                    long tag = is64 ? dyn.getLong(at2) : dyn.getInt(at2);
                    long value = is64 ? dyn.getLong(at2 + 8) : dyn.getInt(at2 + 4) & 0xFFFFFFFFL;
                    if (tag == DT_NULL) break;
                    if (tag == DT_FLAGS_1) return (value & DF_1_PIE) != 0;
                }
                return false;
            }
        }
        return false;
    }

    /** {@code length} bytes at {@code offset}, or null when the file ends first. */
    private static ByteBuffer read(FileChannel ch, long offset, long length, ByteOrder order) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) length).order(order);
        while (buf.hasRemaining()) {
            if (ch.read(buf, offset + buf.position()) < 0) return null;
        }
        return buf.flip();
    }

    /** Why an ELF header does not describe a shared object that fits in the file, or null when it does. */
    private static String elfProblem(byte[] h, int n, long fileSize) {
        int cls = h[4], data = h[5];
        if ((cls != 1 && cls != 2) || (data != 1 && data != 2)) return "malformed ELF header";
        boolean is64 = cls == 2;
        if (n < (is64 ? 64 : 52)) return "truncated ELF header";
        ByteBuffer b = ByteBuffer.wrap(h).order(data == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int type = b.getShort(16) & 0xFFFF;
        if (type != 3) return "ELF type " + type + ", not a shared object";
        long phoff = is64 ? b.getLong(32) : b.getInt(28) & 0xFFFFFFFFL;
        int phentsize = b.getShort(is64 ? 54 : 42) & 0xFFFF, phnum = b.getShort(is64 ? 56 : 44) & 0xFFFF;
        if (phnum == 0) return "ELF shared object without program headers: nothing a loader could map";
        // compared without adding to phoff, which may be near Long.MAX_VALUE in a hostile header
        if (phoff < 0 || phoff > fileSize || (long) phentsize * phnum > fileSize - phoff) return "truncated ELF file: its program headers lie past its end";
        return null;
    }
}
