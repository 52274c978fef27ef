package io.hlo4j.dsltest;

import io.hlo4j.dsl.nn.StateDicts;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Safetensors files with hostile headers: huge, negative, overflowing and fractional shapes, unknown dtypes, offsets
 * outside the data or of the wrong kind, truncated data, a header length that lies. Each load returns a state or throws
 * an IOException with a one-line message naming the file; never another exception (an overflow, a null, out of memory).
 * Deterministic: mutant i from {@code Random(seed + i)}; {@code -Dhlo4j.fuzz.safetensors.mutants=N} for more.
 */
class SafetensorsFuzzTest {
    static final int MUTANTS = Integer.getInteger("hlo4j.fuzz.safetensors.mutants", 100);
    static final long SEED = Long.getLong("hlo4j.fuzz.seed", 0x5AFE_0000L);
    @TempDir Path tmp;

    private static final String[] SHAPES = {"[1099511627776, 1099511627776]", "[-1]", "[4.5]", "[\"4\"]", "[3037000500, 3037000500]",
            "[9223372036854775807, 2]", "[]", "[0]", "[2, 2]", "[4611686018427387904]", "null", "{}", "[[2]]", "[1e30]", "[2147483648]"};
    private static final String[] DTYPES = {"F64", "F16", "BF16", "I8", "U8", "BOOL", "I64", "C64", "F8_E4M3", "X", "", "null", "4"};
    private static final String[] OFFSETS = {"[0, 16]", "[0, 8]", "[-8, 8]", "[8, 0]", "[0, 9223372036854775807]", "[\"0\", \"16\"]",
            "[0]", "[0, 16, 32]", "null", "[0.5, 16]", "[0, 1e300]", "[9223372036854775807, -9223372036854775808]"};

    @Test
    void hostileHeadersAreRefusedByName() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        byte[] data = new byte[16];
        Map<String, Integer> outcomes = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < MUTANTS; i++) {
            Random r = new Random(SEED + i);
            String h = header, how;
            byte[] d = data;
            switch (r.nextInt(6)) {
                case 0 -> { String s = SHAPES[r.nextInt(SHAPES.length)]; h = h.replace("[4]", s); how = "shape " + s; }
                case 1 -> { String s = DTYPES[r.nextInt(DTYPES.length)]; h = h.replace("\"F32\"", s.equals("null") || s.equals("4") ? s : "\"" + s + "\""); how = "dtype " + s; }
                case 2 -> { String s = OFFSETS[r.nextInt(OFFSETS.length)]; h = h.replace("[0,16]", s); how = "offsets " + s; }
                case 3 -> { int n = r.nextInt(16); d = Arrays.copyOf(data, n); how = "data of " + n + " bytes"; }
                case 4 -> { int n = r.nextInt(h.length()); h = h.substring(0, n); how = "header cut at " + n; }
                default -> {
                    String[] whole = {"[]", "null", "{\"a\": 1}", "{\"a\": {}}", "{\"__metadata__\": {\"x\": \"y\"}}", "{\"a\":{\"dtype\":\"F32\"}}", "\u0000"};
                    h = whole[r.nextInt(whole.length)];
                    how = "header " + h;
                }
            }
            byte[] file = StateTest.handMadeSafetensors(h, d);
            if (r.nextInt(8) == 0) { // a header length that lies
                long len = r.nextBoolean() ? Long.MAX_VALUE : -1 - r.nextInt(100);
                ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(0, len);
                how += ", header length " + len;
            }
            Path f = Files.write(tmp.resolve("m" + i + ".safetensors"), file);
            try {
                Map<String, HostArray> m = StateDicts.loadSafetensors(f);
                outcomes.merge("loaded", 1, Integer::sum);
                for (HostArray a : m.values()) assertThat(a.size()).isLessThanOrEqualTo(4); // never more than the data holds
            } catch (IOException e) {
                outcomes.merge("refused", 1, Integer::sum);
                String msg = String.valueOf(e.getMessage());
                if (msg.contains("\n") || !msg.startsWith(f.toString())) failures.add("mutant " + i + " (" + how + "): message " + msg);
            } catch (RuntimeException | Error e) {
                failures.add("mutant " + i + " (" + how + "): crash " + e);
            }
        }
        System.out.println("safetensors fuzz: " + MUTANTS + " mutants, " + outcomes + ", " + failures.size() + " failures");
        assertThat(failures).isEmpty();
        assertThat(outcomes.getOrDefault("refused", 0)).isGreaterThan(MUTANTS / 2);
    }

    /** Regression: a shape whose element count overflows 64 bits threw an ArithmeticException, not a refusal. */
    @Test
    void anOverflowingShapeIsRefusedByName() throws IOException {
        Path f = Files.write(tmp.resolve("o.safetensors"), StateTest.handMadeSafetensors(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}", new byte[16]));
        assertThatThrownBy(() -> StateDicts.loadSafetensors(f)).isInstanceOf(IOException.class)
                .hasMessage(f + ": tensor a has shape [4294967296,4294967296], whose size overflows");
    }

    /** Regression: a fractional dimension was truncated (4.5 read as 4) instead of refused. */
    @Test
    void aFractionalDimensionIsRefused() throws IOException {
        Path f = Files.write(tmp.resolve("h.safetensors"), StateTest.handMadeSafetensors(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4.5],\"data_offsets\":[0,16]}}", new byte[16]));
        assertThatThrownBy(() -> StateDicts.loadSafetensors(f)).isInstanceOf(IOException.class)
                .hasMessage(f + ": tensor a has bad shape [4.5]");
    }

    /**
     * Regression: 64 tensors all naming the whole 32 MiB data section were each read (2 GiB) before the coverage
     * check, running out of memory; every header is now checked first and the aliasing is refused.
     */
    @Test
    void tensorsAliasingOneSpanAreRefusedBeforeAnyIsRead() throws IOException {
        int bytes = 32 << 20;
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i < 64; i++) {
            if (i > 0) h.append(',');
            h.append("\"t").append(i).append("\":{\"dtype\":\"U8\",\"shape\":[").append(bytes).append("],\"data_offsets\":[0,")
                    .append(bytes).append("]}");
        }
        Path f = Files.write(tmp.resolve("alias.safetensors"), StateTest.handMadeSafetensors(h.append('}').toString(), new byte[bytes]));
        assertThatThrownBy(() -> StateDicts.loadSafetensors(f)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(f + ": tensor t").hasMessageContaining(" offsets [0, 33554432) overlap tensor t")
                .hasMessageEndingWith(" at [0, 33554432)");
    }

    @Test
    void overlapsGapsAndShortCoverageAreRefusedByName() throws IOException {
        String a = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
        String b = "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
        Path overlap = Files.write(tmp.resolve("ov.safetensors"), StateTest.handMadeSafetensors("{" + a + "[0,8]}," + b + "[4,12]}}", new byte[12]));
        assertThatThrownBy(() -> StateDicts.loadSafetensors(overlap)).isInstanceOf(IOException.class)
                .hasMessage(overlap + ": tensor b offsets [4, 12) overlap tensor a at [0, 8)");
        Path gap = Files.write(tmp.resolve("gap.safetensors"), StateTest.handMadeSafetensors("{" + a + "[0,8]}," + b + "[12,20]}}", new byte[20]));
        assertThatThrownBy(() -> StateDicts.loadSafetensors(gap)).isInstanceOf(IOException.class)
                .hasMessage(gap + ": no tensor covers bytes [8, 12) of the data section");
        Path shortCover = Files.write(tmp.resolve("short.safetensors"), StateTest.handMadeSafetensors("{" + b + "[8,16]}," + a + "[0,8]}}", new byte[20]));
        assertThatThrownBy(() -> StateDicts.loadSafetensors(shortCover)).isInstanceOf(IOException.class)
                .hasMessage(shortCover + ": tensors cover 16 bytes but the data section has 20");
        // out of order but end to end: loads, each tensor its own bytes
        byte[] d = new byte[16];
        ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 1f).putFloat(4, 2f).putFloat(8, 3f).putFloat(12, 4f);
        Path ok = Files.write(tmp.resolve("ok.safetensors"), StateTest.handMadeSafetensors("{" + b + "[8,16]}," + a + "[0,8]}}", d));
        Map<String, HostArray> m = StateDicts.loadSafetensors(ok);
        assertThat(m.get("a").toFloatArray()).containsExactly(1f, 2f);
        assertThat(m.get("b").toFloatArray()).containsExactly(3f, 4f);
    }
}
