package io.hlo4j.runtime.io;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatCodec;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.Fixtures;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** .npy against files numpy wrote itself (payload oracle: the .raw bytes numpy dumped alongside). */
class NpyTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"f4", "f8", "f2", "b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "c8", "c16"})
    void readsNumpyFilesOfEveryDtype(String tag) throws IOException {
        HostArray a = Npy.read(Fixtures.path("npy/" + tag + ".npy"));
        assertThat(a.shape()).containsExactly(2, 3, 4);
        assertThat(a.toLittleEndianBytes()).isEqualTo(Files.readAllBytes(Fixtures.path("npy/" + tag + ".raw")));
        // Writing back gives numpy's own file byte for byte (same header text, padding and payload).
        assertThat(Npy.encode(a)).isEqualTo(Files.readAllBytes(Fixtures.path("npy/" + tag + ".npy")));
        HostArray scalar = Npy.read(Fixtures.path("npy/" + tag + "_scalar.npy"));
        assertThat(scalar.shape()).isEmpty();
        assertThat(Npy.encode(scalar)).isEqualTo(Files.readAllBytes(Fixtures.path("npy/" + tag + "_scalar.npy")));
        HostArray empty = Npy.read(Fixtures.path("npy/" + tag + "_empty.npy"));
        assertThat(empty.shape()).containsExactly(0, 5);
        assertThat(Npy.encode(empty)).isEqualTo(Files.readAllBytes(Fixtures.path("npy/" + tag + "_empty.npy")));
    }

    @Test
    void dtypesMapToElementTypes() throws IOException {
        assertThat(Npy.read(Fixtures.path("npy/f2.npy")).elementType()).isEqualTo(FloatType.F16);
        assertThat(Npy.read(Fixtures.path("npy/b1.npy")).elementType()).isEqualTo(IntegerType.I1);
        assertThat(Npy.read(Fixtures.path("npy/u8.npy")).elementType()).isEqualTo(IntegerType.UI64);
        assertThat(Npy.read(Fixtures.path("npy/c8.npy")).elementType()).isEqualTo(ComplexType.C64);
        HostArray u8 = Npy.read(Fixtures.path("npy/u8.npy"));
        assertThat(u8.getLong(u8.size() - 1)).isEqualTo(-1L); // numpy's iinfo(uint64).max, as raw bits
        HostArray i1 = Npy.read(Fixtures.path("npy/i1.npy"));
        assertThat(i1.getLong(0)).isEqualTo(-128);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void readsHeaderVersions(int version) throws IOException {
        HostArray a = Npy.read(Fixtures.path("npy/v" + version + ".npy"));
        assertThat(a.shape()).containsExactly(2, 3);
        assertThat(a.toLittleEndianBytes()).isEqualTo(Files.readAllBytes(Fixtures.path("npy/v_all.raw")));
    }

    @Test
    void bigEndianIsSwapped() throws IOException {
        HostArray a = Npy.read(Fixtures.path("npy/be_i4.npy"));
        assertThat(a.elementType()).isEqualTo(IntegerType.I32);
        assertThat(a.toLittleEndianBytes()).isEqualTo(Files.readAllBytes(Fixtures.path("npy/be_i4.raw")));
    }

    @Test
    void fortranOrderIsTransposedToC() throws IOException {
        HostArray a = Npy.read(Fixtures.path("npy/fortran.npy"));
        assertThat(a.shape()).containsExactly(2, 3, 4);
        assertThat(a.toLittleEndianBytes()).isEqualTo(Files.readAllBytes(Fixtures.path("npy/fortran.raw")));
    }

    @Test
    void mlDtypesFiles() throws IOException {
        List<String> lines = Files.readAllLines(Fixtures.path("npy/ml_dtypes_values.txt"));
        double[] vals = lines.stream().filter(l -> !l.startsWith("#")).mapToDouble(l -> switch (l) {
            case "inf" -> Double.POSITIVE_INFINITY;
            default -> Double.parseDouble(l);
        }).toArray();
        HostArray v2 = Npy.read(Fixtures.path("npy/bf16_V2.npy"));
        HostArray named = Npy.read(Fixtures.path("npy/bf16_named.npy"));
        assertThat(v2.elementType()).isEqualTo(FloatType.BF16);
        assertThat(named.elementType()).isEqualTo(FloatType.BF16);
        assertThat(v2.shape()).containsExactly(2, 4);
        for (int k = 0; k < 8; k++) {
            assertThat(v2.getBits(k)).isEqualTo(FloatCodec.encode(FloatKind.BF16, vals[k]));
            assertThat(named.getBits(k)).isEqualTo(v2.getBits(k));
        }
        FloatType e4 = new FloatType(FloatKind.F8E4M3FN);
        assertThatThrownBy(() -> Npy.read(Fixtures.path("npy/f8E4M3FN_V1.npy"))).isInstanceOf(NpyFormatException.class)
                .hasMessageContaining("'<V1'").hasMessageContaining("elementType");
        HostArray f8 = Npy.read(Fixtures.path("npy/f8E4M3FN_V1.npy"), e4);
        HostArray f8named = Npy.read(Fixtures.path("npy/f8E4M3FN_named.npy"));
        assertThat(f8named.elementType()).isEqualTo(e4);
        for (int k = 0; k < 7; k++) {
            assertThat(f8.getBits(k)).isEqualTo(FloatCodec.encode(FloatKind.F8E4M3FN, vals[k]));
            assertThat(f8named.getBits(k)).isEqualTo(f8.getBits(k));
        }
        // What we write for bf16 is what np.save writes for an ml_dtypes bfloat16 array: '<V2'.
        assertThat(new String(Npy.encode(v2), StandardCharsets.ISO_8859_1)).contains("'descr': '<V2'");
        assertThat(Npy.encode(v2)).isEqualTo(Files.readAllBytes(Fixtures.path("npy/bf16_V2.npy")));
        assertThatThrownBy(() -> Npy.read(Fixtures.path("npy/bf16_named.npy"), FloatType.F16)).isInstanceOf(NpyFormatException.class);
    }

    /** Write then read for every element type .npy can hold, including the ml_dtypes ones. */
    @Test
    void roundTripsEveryElementType() throws IOException {
        List<ElementType> types = new java.util.ArrayList<>(List.of(IntegerType.I1, IntegerType.I8, IntegerType.signless(16),
                IntegerType.I32, IntegerType.I64, IntegerType.UI8, IntegerType.unsigned(16), IntegerType.UI32, IntegerType.UI64,
                new IntegerType(32, IntegerType.Signedness.SIGNED), IntegerType.signless(4), IntegerType.unsigned(4),
                IntegerType.signless(2), IntegerType.unsigned(2), ComplexType.C64, ComplexType.C128));
        for (FloatKind k : FloatKind.values()) if (k != FloatKind.TF32) types.add(new FloatType(k));
        for (ElementType t : types) {
            TensorType tt = TensorType.of(t, 3, 5);
            long[] bits = new long[15];
            java.util.Random r = new java.util.Random(t.toString().hashCode());
            for (int k = 0; k < 15; k++) bits[k] = r.nextLong();
            HostArray a = t instanceof ComplexType ? HostArray.fromComplex(tt, randoms(r), randoms(r)) : HostArray.fromBits(tt, bits);
            Path p = tmp.resolve("a.npy");
            Npy.write(p, a);
            boolean oneByteOpaque = t.storageBytes() == 1 && (t instanceof FloatType || ((t instanceof IntegerType it) && it.width() < 8));
            HostArray back = oneByteOpaque ? Npy.read(p, t) : Npy.read(p);
            ElementType expectType = t.equals(new IntegerType(32, IntegerType.Signedness.SIGNED)) ? IntegerType.I32 : t;
            assertThat(back.elementType()).as("%s", t).isEqualTo(expectType);
            assertThat(back.toLittleEndianBytes()).as("%s", t).isEqualTo(a.toLittleEndianBytes());
            int headerEnd = Npy.encode(a).length - a.toLittleEndianBytes().length;
            assertThat(headerEnd % 64).as("header alignment").isZero();
        }
        assertThatThrownBy(() -> Npy.encode(HostArray.zeros(new FloatType(FloatKind.TF32), 2))).isInstanceOf(NpyFormatException.class)
                .hasMessageContaining("tf32");
        assertThatThrownBy(() -> Npy.encode(HostArray.zeros(IntegerType.signless(48), 2))).isInstanceOf(NpyFormatException.class)
                .hasMessageContaining("i48");
    }

    private static double[] randoms(java.util.Random r) {
        double[] d = new double[15];
        for (int k = 0; k < d.length; k++) d[k] = r.nextGaussian();
        return d;
    }

    // ---- hostile and malformed files ----

    private Path file(String header, int payloadBytes) throws IOException {
        return file(1, header, new byte[payloadBytes]);
    }

    private Path file(int version, String header, byte[] payload) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        int prefix = version == 1 ? 10 : 12;
        ByteBuffer bb = ByteBuffer.allocate(prefix + h.length + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) bb.putShort((short) h.length);
        else bb.putInt(h.length);
        bb.put(h).put(payload);
        Path p = tmp.resolve("h" + System.nanoTime() + ".npy");
        Files.write(p, bb.array());
        return p;
    }

    private void refused(Path p, String... fragments) {
        var t = assertThatThrownBy(() -> Npy.read(p)).isInstanceOf(NpyFormatException.class);
        for (String f : fragments) t.hasMessageContaining(f);
    }

    @Test
    void wellFormedHandHeaderReads() throws IOException {
        Path p = file("{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }\n", 6);
        assertThat(Npy.read(p).shape()).containsExactly(3);
    }

    @Test
    void legacyAndHintedDescrs() throws IOException {
        // Older ml_dtypes recorded float8_e5m2 as '<f1'.
        Path f1 = file(1, "{'descr': '<f1', 'fortran_order': False, 'shape': (2,), }\n", new byte[]{0x3C, (byte) 0xC0});
        HostArray a = Npy.read(f1);
        assertThat(a.elementType()).isEqualTo(new FloatType(FloatKind.F8E5M2));
        assertThat(a.toDoubleArray()).containsExactly(1.0, -2.0);
        Path f4 = file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", 4);
        assertThatThrownBy(() -> Npy.read(f4, IntegerType.I32)).isInstanceOf(NpyFormatException.class)
                .hasMessageContaining("requested element type i32 but descr '<f4' is f32");
        assertThatThrownBy(() -> Npy.read(f4, FloatType.F16)).isInstanceOf(NpyFormatException.class).hasMessageContaining("takes 2 bytes");
        Path v1 = file("{'descr': '|V1', 'fortran_order': False, 'shape': (2,), }\n", 2);
        assertThat(Npy.read(v1, IntegerType.unsigned(4)).elementType()).isEqualTo(IntegerType.unsigned(4));
    }

    @Test
    void declaredShapeMustMatchTheBytesPresent() throws IOException {
        refused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", 8), "needs 12 bytes", "has 8");
        refused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", 16), "needs 12 bytes", "has 16");
        // A shape claiming terabytes in a tiny file is refused before any allocation.
        refused(file("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }\n", 8), "needs 8000000000000 bytes");
        refused(file("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }\n", 8), "overflows");
    }

    @Test
    void malformedHeadersAreNamed() throws IOException {
        refused(file("{'descr': '<f4', 'fortran_order': False}\n", 0), "exactly 'descr', 'fortran_order', 'shape'");
        refused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n", 4), "exactly");
        refused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n", 4), "non-negative");
        refused(file("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }\n", 4), "True or False");
        refused(file("{'descr': '<f4', 'fortran_order': False, 'shape': [1], }\n", 4), "tuple");
        refused(file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", 4), "structured");
        refused(file("{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }\n", 4), "malformed");
        refused(file("['descr', '<f4']\n", 4), "not a dictionary");
        refused(file("{'descr': '<q4', 'fortran_order': False, 'shape': (1,), }\n", 4), "unsupported .npy descr '<q4'");
        refused(file("{'descr': '=f4', 'fortran_order': False, 'shape': (1,), }\n", 4), "byte order");
        refused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n", 4), "integer out of range");
        refused(file("{{{{{{{{{{{{\n", 0), "nesting too deep");
    }

    @Test
    void badPrefixesAreNamed() throws IOException {
        Path magic = tmp.resolve("m.npy");
        Files.write(magic, "NOTNUMPYFILE....".getBytes(StandardCharsets.ISO_8859_1));
        refused(magic, "bad magic");
        Path shortFile = tmp.resolve("s.npy");
        Files.write(shortFile, new byte[]{(byte) 0x93, 'N', 'U'});
        refused(shortFile, "too short");
        refused(file(4, "{}", new byte[0]), "version 4.0");
        // Header length field larger than the file.
        Path p = file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", 4);
        byte[] b = Files.readAllBytes(p);
        b[8] = (byte) 0xFF;
        b[9] = (byte) 0x7F;
        Files.write(p, b);
        refused(p, "header length 32767 exceeds the file size");
        Path v2 = file(2, "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 1), }\n", new byte[]{1, 0, 2, 1});
        HostArray a = Npy.read(v2);
        assertThat(a.toLongArray()).containsExactly(1, 258);
    }

    @Test
    void aFolderIsRefusedByName() {
        // FileChannel opens a folder on Linux; only the first read would fail, with no file name in its message.
        assertThatThrownBy(() -> Npy.read(tmp))
                .isInstanceOf(java.nio.file.FileSystemException.class)
                .hasMessage(tmp + ": is a directory, not a .npy file");
    }
}
