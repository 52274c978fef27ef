package io.hlo4j.runtime.io;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutants of valid {@code .npy} files of several dtypes and shapes (format 1.0, and rewritten as 2.0 and 3.0 with a
 * four-byte header length): bytes flipped anywhere, truncated or appended data, header lengths that lie, the header's
 * shape, descr and fortran_order replaced by hostile values, NUL bytes and non-ASCII text in the header. Each must read
 * into an array whose size is exactly what its header declares, or be refused with an {@link NpyFormatException} (or an
 * IOException) naming the file; never another exception, never an allocation the header merely claims. Deterministic:
 * mutant {@code i} comes from {@code Random(CaseSeeds.of(SEED, i))}; {@value #DEFAULT_MUTANTS} by default, more with
 * {@code -Dhlo4j.fuzz.npy.mutants=N} (another {@code -Dhlo4j.fuzz.npy.seed=S}).
 */
class NpyFuzzTest {
    static final int DEFAULT_MUTANTS = 2_000;
    static final int MUTANTS = Integer.getInteger("hlo4j.fuzz.npy.mutants", DEFAULT_MUTANTS);
    static final long SEED = Long.getLong("hlo4j.fuzz.npy.seed", 0x4E50_0000L);

    @TempDir Path dir;

    private static final String[] SHAPES = {"()", "(0,)", "(1,)", "(2, 3)", "(3, 2)", "(6,)", "(1099511627776,)", "(-1,)", "(2147483648,)",
            "(3037000500, 3037000500)", "(9223372036854775807, 2)", "(99999999999999999999,)", "(\u0664,)", "(\uff16,)", "(6L,)", "(6, )",
            "(" + "1, ".repeat(64) + "6)", "(2, 3, 0)", "[6]", "(6", "6", "('6',)", "(True,)", "(6.0,)", "(0x6,)", "(+6,)"};
    private static final String[] DESCRS = {"<f4", "<f8", ">f4", ">f8", "|b1", "<i1", "|i1", "<u2", ">i8", "<c8", ">c16", "<f2", "<V2",
            "<V1", "|V4", "<U1", "|O", "|S4", "<M8", "=f4", "f4", "<f3", "<f16", "", "<", "\u0000f4", "<f\u00e9", "<i99999999999"};

    @Test
    void mutantsReadExactlyOrAreRefusedByName() throws IOException {
        List<byte[]> seeds = seeds();
        List<String> failures = new ArrayList<>();
        int read = 0, refused = 0;
        for (int i = 0; i < MUTANTS && failures.size() < 10; i++) {
            long caseSeed = io.hlo4j.mlir.testing.CaseSeeds.of(SEED, i);
            Random r = new Random(caseSeed);
            byte[] seed = seeds.get(r.nextInt(seeds.size()));
            String[] how = {""};
            byte[] bytes = mutate(seed, r, how);
            Path f = Files.write(dir.resolve("m" + i + ".npy"), bytes);
            String what = "npy mutant " + i + " (Random(" + caseSeed + "), " + how[0] + ")";
            try {
                HostArray a = Npy.read(f);
                read++;
                // no silent truncation: the file holds exactly the declared elements after its header
                long elements = a.type().numElements(), payload = bytes.length - payloadStart(bytes);
                if (elements * a.type().elementType().storageBytes() != payload) {
                    failures.add(what + ": read " + a.type() + " from " + payload + " bytes of data");
                }
            } catch (NpyFormatException e) {
                refused++;
                if (!e.getMessage().startsWith(f.toString())) failures.add(what + ": message does not name the file: " + e.getMessage());
            } catch (IOException e) {
                refused++;
                if (e.getMessage() == null || !e.getMessage().contains(f.toString())) failures.add(what + ": " + e + " does not name the file");
            } catch (RuntimeException | Error e) {
                failures.add(what + ": " + e + (e.getStackTrace().length > 0 ? " at " + e.getStackTrace()[0] : ""));
            }
        }
        System.out.println("npy fuzz: " + MUTANTS + " mutants of " + seeds.size() + " files, " + read + " read, " + refused + " refused by name");
        assertThat(failures).isEmpty();
        assertThat(refused).isGreaterThan(MUTANTS / 2);
        assertThat(read).isGreaterThan(MUTANTS / 50);
    }

    /** Where a readable file's data starts: after the magic, version, header length and header it declares. */
    private static long payloadStart(byte[] b) {
        long len = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        if (b[6] == 1) return 10 + len;
        return 12 + (len | (b[10] & 0xffL) << 16 | (b[11] & 0xffL) << 24);
    }

    private static List<byte[]> seeds() {
        List<byte[]> out = new ArrayList<>();
        out.add(Npy.encode(HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 3), 1, 2, 3, 4, 5, 6)));
        out.add(Npy.encode(HostArray.fromDoubles(TensorType.of(FloatType.F64, 6), 1, 2, 3, 4, 5, 6)));
        out.add(Npy.encode(HostArray.fromLongs(TensorType.of(IntegerType.I8, 3, 2), 1, -2, 3, -4, 5, -6)));
        out.add(Npy.encode(HostArray.fromBooleans(TensorType.of(IntegerType.I1, 6), true, false, true, true, false, false)));
        out.add(Npy.encode(HostArray.fromLongs(TensorType.of(IntegerType.I64), 7)));
        out.add(Npy.encode(HostArray.fromComplex(TensorType.of(new ComplexType(FloatType.F32), 2), new double[] {1, 2}, new double[] {3, 4})));
        out.add(Npy.encode(HostArray.fromDoubles(TensorType.of(FloatType.BF16, 6), 1, 2, 3, 4, 5, 6)));
        List<byte[]> versions = new ArrayList<>();
        for (byte[] b : out) {
            versions.add(asVersion(b, 2));
            versions.add(asVersion(b, 3));
        }
        out.addAll(versions);
        return out;
    }

    /** A version 1.0 file rewritten as {@code major}.0: a four-byte header length. */
    private static byte[] asVersion(byte[] v1, int major) {
        int len = (v1[8] & 0xff) | (v1[9] & 0xff) << 8;
        byte[] out = new byte[v1.length + 2];
        System.arraycopy(v1, 0, out, 0, 8);
        out[6] = (byte) major;
        out[8] = (byte) len;
        out[9] = (byte) (len >>> 8);
        System.arraycopy(v1, 10, out, 12, v1.length - 10);
        return out;
    }

    private static byte[] mutate(byte[] good, Random r, String[] how) {
        int major = good[6];
        int start = major == 1 ? 10 : 12;
        int len = major == 1 ? (good[8] & 0xff) | (good[9] & 0xff) << 8 : (good[8] & 0xff) | (good[9] & 0xff) << 8 | (good[10] & 0xff) << 16 | (good[11] & 0xff) << 24;
        String header = new String(good, start, len, StandardCharsets.ISO_8859_1);
        byte[] data = Arrays.copyOfRange(good, start + len, good.length);
        switch (r.nextInt(9)) {
            case 0 -> {
                byte[] b = good.clone();
                int n = 1 + r.nextInt(4);
                for (int k = 0; k < n; k++) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                how[0] = n + " bytes flipped";
                return b;
            }
            case 1 -> {
                int n = r.nextInt(good.length);
                how[0] = "truncated to " + n;
                return Arrays.copyOf(good, n);
            }
            case 2 -> {
                int n = 1 + r.nextInt(16);
                how[0] = n + " bytes appended";
                return Arrays.copyOf(good, good.length + n);
            }
            case 3 -> {
                byte[] b = good.clone();
                long lie = new long[] {0, 1, len - 1, len + 1, 0xffff, 0x7fffffffL, 0xffffffffL}[r.nextInt(7)];
                b[8] = (byte) lie;
                b[9] = (byte) (lie >>> 8);
                if (major != 1) { b[10] = (byte) (lie >>> 16); b[11] = (byte) (lie >>> 24); }
                how[0] = "header length " + lie;
                return b;
            }
            case 4 -> {
                String s = SHAPES[r.nextInt(SHAPES.length)];
                how[0] = "shape " + s;
                return build(good, start, header.replaceFirst("'shape': \\([^)]*\\)", java.util.regex.Matcher.quoteReplacement("'shape': " + s)), data);
            }
            case 5 -> {
                String d = DESCRS[r.nextInt(DESCRS.length)];
                how[0] = "descr " + d;
                return build(good, start, header.replaceFirst("'descr': '[^']*'", java.util.regex.Matcher.quoteReplacement("'descr': '" + d + "'")), data);
            }
            case 6 -> {
                how[0] = "fortran_order";
                return build(good, start, header.replace("False", new String[] {"True", "1", "'False'", "None", "false"}[r.nextInt(5)]), data);
            }
            case 7 -> {
                String ins = new String[] {"\u0000", "\u00e9", "\u202e", "\n", "\\", "'", "}", "{", ",,"}[r.nextInt(9)];
                int at = r.nextInt(header.length() + 1);
                how[0] = "inserted " + ins.codePointAt(0) + " at " + at;
                return build(good, start, header.substring(0, at) + ins + header.substring(at), data);
            }
            default -> {
                how[0] = "header and data of other seeds";
                return build(good, start, header.replaceFirst("'shape': \\([^)]*\\)", "'shape': (3,)"), data);
            }
        }
    }

    /** {@code good}'s prefix (magic, version) with this header (length rewritten, unpadded) and data. */
    private static byte[] build(byte[] good, int start, String header, byte[] data) {
        byte[] h = header.getBytes(good[6] == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        byte[] out = new byte[start + h.length + data.length];
        System.arraycopy(good, 0, out, 0, 8);
        out[8] = (byte) h.length;
        out[9] = (byte) (h.length >>> 8);
        if (start == 12) { out[10] = (byte) (h.length >>> 16); out[11] = (byte) (h.length >>> 24); }
        System.arraycopy(h, 0, out, start, h.length);
        System.arraycopy(data, 0, out, start + h.length, data.length);
        return out;
    }
}
