package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link CallSignature#of} checksums each argument chunk by chunk ({@link HostArray#forEachLittleEndianChunk}) instead of
 * over a copy of its bytes: the fingerprint must keep every bit, since processes of a job that run different hlo4j builds
 * compare them. Checked against the copying implementation (kept here, as it was) on every element type, for arrays of
 * random bits whose sizes straddle the 64 KiB chunk, and the chunks against {@link HostArray#toLittleEndianBytes()}.
 */
class CallSignatureTest {
    /** The fingerprint as it was computed before: over a copy of each argument's little-endian bytes. */
    private static byte[] byCopy(String entry, List<HostArray> args) {
        CRC32C a = new CRC32C();
        CRC32 b = new CRC32();
        byte[] head = entry.getBytes(StandardCharsets.UTF_8);
        a.update(head);
        b.update(head);
        for (HostArray x : args) {
            byte[] t = x.type().toString().getBytes(StandardCharsets.UTF_8), v = x.toLittleEndianBytes();
            a.update(t);
            b.update(t);
            a.update(v);
            b.update(v);
        }
        long h = a.getValue() << 32 | b.getValue();
        byte[] out = new byte[8];
        for (int i = 0; i < 8; i++) out[i] = (byte) (h >>> (8 * i));
        return out;
    }

    private static List<ElementType> everyElementType() {
        List<ElementType> types = new ArrayList<>();
        for (int w : new int[] {1, 2, 3, 4, 7, 8, 12, 16, 24, 32, 48, 63, 64}) {
            types.add(IntegerType.signless(w));
            if (w > 1) {
                types.add(IntegerType.unsigned(w));
                types.add(new IntegerType(w, IntegerType.Signedness.SIGNED));
            }
        }
        for (FloatKind k : FloatKind.values()) types.add(new FloatType(k));
        types.add(ComplexType.C64);
        types.add(ComplexType.C128);
        types.add(IndexType.INSTANCE);
        return types;
    }

    /** An array of {@code n} elements made of random bytes (decoded: each element's canonical bits). */
    private static HostArray random(ElementType t, int n, Random r) {
        TensorType type = TensorType.of(t, n);
        byte[] bytes = new byte[n * t.storageBytes()];
        r.nextBytes(bytes);
        return HostArray.fromLittleEndianBytes(type, bytes);
    }

    @Test
    void theFingerprintKeepsEveryBitOnEveryElementType() {
        Random r = new Random(11);
        int checked = 0;
        for (ElementType t : everyElementType()) {
            int per = t.storageBytes(), chunk = Math.max(1, 64 * 1024 / per);
            for (int n : new int[] {0, 1, 7, chunk - 1, chunk, chunk + 1, 2 * chunk + 5}) {
                HostArray x = random(t, n, r), y = random(t, Math.max(1, n / 3), r);
                assertThat(CallSignature.of("main", List.of(x, y))).as(t + " x " + n).isEqualTo(byCopy("main", List.of(x, y)));
                ByteArrayOutputStream chunks = new ByteArrayOutputStream();
                List<Integer> sizes = new ArrayList<>();
                x.forEachLittleEndianChunk(c -> {
                    sizes.add(c.remaining());
                    byte[] part = new byte[c.remaining()];
                    c.get(part);
                    chunks.writeBytes(part);
                });
                assertThat(chunks.toByteArray()).as(t + " x " + n + " chunks").isEqualTo(x.toLittleEndianBytes());
                assertThat(sizes).as(t + " x " + n + ": whole elements, at most 64 KiB (or one element)")
                        .allSatisfy(s -> assertThat(s % per == 0 && s <= Math.max(per, 64 * 1024)).isTrue());
                checked++;
            }
        }
        assertThat(checked).isEqualTo(everyElementType().size() * 7);
        // a changed bit, a changed type or entry name: another fingerprint
        HostArray a = HostArray.fromFloats(TensorType.of(FloatType.F32, 2), 1, 2), b = HostArray.fromFloats(TensorType.of(FloatType.F32, 2), 1, Math.nextUp(2f));
        assertThat(CallSignature.of("main", List.of(a))).isNotEqualTo(CallSignature.of("main", List.of(b))).isNotEqualTo(CallSignature.of("other", List.of(a)));
    }
}
