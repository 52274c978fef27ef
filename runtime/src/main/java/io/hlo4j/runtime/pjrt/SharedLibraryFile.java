package io.hlo4j.runtime.pjrt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a file can be a shared library, read before the JVM is asked to load it: asked to load a file that is
 * not a well-formed one, the JVM first prints its own two-line stack-guard warning, then the loader's error. An
 * ELF file must be a shared object whose program headers lie inside the file; a Mach-O one only needs its magic
 * number, the loader's message being clear there. Each is accepted only on the system that loads it (Mach-O on
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
        return elfProblem(head, n, Files.size(p));
    }

    private static int magic(byte[] h) { return (h[0] & 0xFF) << 24 | (h[1] & 0xFF) << 16 | (h[2] & 0xFF) << 8 | (h[3] & 0xFF); }

    private static boolean isElf(byte[] h) { return magic(h) == 0x7F454C46; }

    private static boolean isMachO(byte[] h) {
        int m = magic(h);
        return m == 0xFEEDFACE || m == 0xFEEDFACF || m == 0xCEFAEDFE || m == 0xCFFAEDFE // 32/64 bit, both byte orders
                || m == 0xCAFEBABE; // universal (a class file shares it; the loader refuses that one by name)
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
