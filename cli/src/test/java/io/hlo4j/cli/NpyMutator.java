package io.hlo4j.cli;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * Hostile {@code .npy} files made from a valid one (format 1.0: magic, version, a 2-byte little-endian header length,
 * an ASCII dict, data): huge, negative and overflowing shapes, wrong and unknown dtypes, Fortran order, truncated data,
 * a header length that lies, other versions, flipped header bytes.
 */
final class NpyMutator {
    private NpyMutator() {}

    record Mutant(byte[] bytes, String how) {}

    private static final String[] SHAPES = {"(1099511627776,)", "(-1,)", "(4, -4)", "(99999999999, 99999999999)", "()", "(0,)",
            "(9223372036854775807,)", "(3037000500, 3037000500)", "(2147483648,)", "(4, 1)", "(2,)", "(8,)", "(4,)",
            "(" + "4, ".repeat(40) + ")", "(4.5,)", "('4',)", "(4", "[4]", "(4,,)", "(-9223372036854775808,)"};
    private static final String[] DESCRS = {"<f8", ">f4", "|b1", "<i8", "<c8", "<U4", "|O", "<f2", "|V4", "bogus", "<f16", "",
            "<i4", "|u1", "<M8", "|S4", "<f4"};

    static Mutant mutate(byte[] good, Random r) {
        int headerLen = (good[8] & 0xff) | (good[9] & 0xff) << 8;
        String header = new String(good, 10, headerLen, StandardCharsets.ISO_8859_1);
        byte[] data = Arrays.copyOfRange(good, 10 + headerLen, good.length);
        return switch (r.nextInt(10)) {
            case 0, 1 -> {
                String s = SHAPES[r.nextInt(SHAPES.length)];
                yield new Mutant(build(header.replaceFirst("'shape': \\([^)]*\\)", "'shape': " + java.util.regex.Matcher.quoteReplacement(s)), data), "shape " + s);
            }
            case 2, 3 -> {
                String d = DESCRS[r.nextInt(DESCRS.length)];
                yield new Mutant(build(header.replaceFirst("'descr': '[^']*'", "'descr': '" + d + "'"), data), "descr " + d);
            }
            case 4 -> new Mutant(build(header.replace("False", r.nextBoolean() ? "True" : "'yes'"), data), "fortran_order");
            case 5 -> {
                byte[] b = build(header, data);
                int n = r.nextInt(b.length);
                yield new Mutant(Arrays.copyOf(b, n), "truncated to " + n + " bytes");
            }
            case 6 -> {
                byte[] b = build(header, data);
                int len = r.nextBoolean() ? 0xffff : r.nextInt(0x10000);
                b[8] = (byte) len;
                b[9] = (byte) (len >>> 8);
                yield new Mutant(b, "header length " + len);
            }
            case 7 -> {
                byte[] b = build(header, data);
                b[6] = (byte) (1 + r.nextInt(4));
                b[7] = (byte) r.nextInt(2);
                yield new Mutant(b, "version " + b[6] + "." + b[7]);
            }
            case 8 -> {
                byte[] b = build(header, data);
                int flips = 1 + r.nextInt(4);
                for (int k = 0; k < flips; k++) b[10 + r.nextInt(headerLen)] = (byte) r.nextInt(256);
                yield new Mutant(b, flips + " header bytes changed");
            }
            default -> {
                String[] bad = {"{'descr': '<f4', 'shape': (4,), 'fortran_order': False, 'extra': [1, 2]}", "{}", "not a dict",
                        "{'descr': '<f4', 'fortran_order': False}", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'shape': (1099511627776,)}",
                        "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "(".repeat(500) + ")}"};
                String h = bad[r.nextInt(bad.length)];
                yield new Mutant(build(h, data), "header " + (h.length() > 60 ? h.substring(0, 60) + "..." : h));
            }
        };
    }

    /** A version 1.0 file with this header text (padded to 64 bytes with a final newline, as numpy writes) and data. */
    static byte[] build(String header, byte[] data) {
        String h = header.strip();
        int total = 10 + h.length() + 1;
        int pad = (64 - total % 64) % 64;
        String full = h + " ".repeat(pad) + "\n";
        byte[] hb = full.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[10 + hb.length + data.length];
        out[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(StandardCharsets.ISO_8859_1), 0, out, 1, 5);
        out[6] = 1;
        out[7] = 0;
        out[8] = (byte) hb.length;
        out[9] = (byte) (hb.length >>> 8);
        System.arraycopy(hb, 0, out, 10, hb.length);
        System.arraycopy(data, 0, out, 10 + hb.length, data.length);
        return out;
    }
}
