package io.hlo4j.dsl.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * State dicts ({@code name -> HostArray}) on disk: a folder of {@code name.npy} files, or one safetensors file
 * (8-byte little-endian header length, a JSON header of {@code dtype}, {@code shape}, {@code data_offsets} per
 * tensor, then the packed little-endian data). Reading checks every size against the file.
 */
public final class StateDicts {
    private StateDicts() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Safetensors dtype names and the element types they map to. */
    private static final Map<String, ElementType> DTYPES = Map.ofEntries(
            Map.entry("F64", FloatType.F64), Map.entry("F32", FloatType.F32), Map.entry("F16", FloatType.F16),
            Map.entry("BF16", FloatType.BF16), Map.entry("I64", IntegerType.I64), Map.entry("I32", IntegerType.I32),
            Map.entry("I16", IntegerType.I16), Map.entry("I8", IntegerType.I8), Map.entry("U8", IntegerType.UI8),
            Map.entry("U32", IntegerType.UI32), Map.entry("U64", IntegerType.UI64), Map.entry("BOOL", IntegerType.I1));
    /** Headers above this are refused before allocating (the reference implementation's limit is 100 MB). */
    private static final long MAX_HEADER = 100_000_000;

    /** The number of scalars in {@code state}: a model's parameter count (PyTorch's {@code sum(p.numel())}). */
    public static long parameterCount(Map<String, HostArray> state) {
        long n = 0;
        for (HostArray a : state.values()) n += a.type().numElements();
        return n;
    }

    /**
     * {@code state} with every floating-point array converted to {@code dtype} (rounded to nearest even when narrower),
     * the others kept, sorted by name: e.g. an f32 model's parameters in f64 for a finite-difference check.
     */
    public static Map<String, HostArray> astype(Map<String, HostArray> state, io.hlo4j.dsl.DType dtype) {
        if (!dtype.isFloat()) throw new IllegalArgumentException("StateDicts.astype: " + dtype + " is not a floating-point dtype");
        Map<String, HostArray> out = new TreeMap<>();
        state.forEach((k, v) -> out.put(k, v.elementType() instanceof FloatType ? v.convert(dtype.elementType()) : v));
        return Collections.unmodifiableMap(out);
    }

    public static void saveNpy(Path dir, Map<String, HostArray> state) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, HostArray> e : state.entrySet()) {
            checkName(e.getKey());
            Npy.write(dir.resolve(e.getKey() + ".npy"), e.getValue());
        }
    }

    public static Map<String, HostArray> loadNpy(Path dir) throws IOException {
        Map<String, HostArray> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                String f = p.getFileName().toString();
                if (f.endsWith(".npy")) out.put(f.substring(0, f.length() - 4), Npy.read(p));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private static void checkName(String name) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw new IllegalArgumentException("state dict key '" + name + "' cannot be a file name");
        }
    }

    public static void saveSafetensors(Path file, Map<String, HostArray> state) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        List<byte[]> blobs = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, HostArray> e : new TreeMap<>(state).entrySet()) {
            HostArray a = e.getValue();
            byte[] data = a.toLittleEndianBytes();
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtypeName(a.elementType(), e.getKey()));
            ArrayNode shape = t.putArray("shape");
            for (long d : a.shape()) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + data.length);
            offset += data.length;
            blobs.add(data);
        }
        byte[] h = JSON.writeValueAsBytes(header);
        int pad = (8 - h.length % 8) % 8; // the data starts 8-byte aligned; the header is padded with spaces
        byte[] hp = new byte[h.length + pad];
        System.arraycopy(h, 0, hp, 0, h.length);
        for (int i = h.length; i < hp.length; i++) hp[i] = ' ';
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hp.length).array());
            out.write(hp);
            for (byte[] b : blobs) out.write(b);
        }
    }

    private static String dtypeName(ElementType et, String key) {
        for (Map.Entry<String, ElementType> e : DTYPES.entrySet()) if (e.getValue().equals(et)) return e.getKey();
        throw new IllegalArgumentException("tensor " + key + " has element type " + et + ", which safetensors cannot store");
    }

    public static Map<String, HostArray> loadSafetensors(Path file) throws IOException {
        String name = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new IOException(name + ": too short for safetensors (" + size + " bytes)");
            long headerLen = read(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8) {
                throw new IOException(name + ": header length " + headerLen + " does not fit the file of " + size + " bytes");
            }
            ByteBuffer hb = read(ch, 8, (int) headerLen);
            JsonNode header;
            try {
                header = JSON.readTree(StandardCharsets.UTF_8.decode(hb).toString());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) { // its message has the source on a second line
                throw new IOException(name + ": header is not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
            }
            if (header == null) throw new IOException(name + ": header is empty");
            if (!header.isObject()) throw new IOException(name + ": header is not a JSON object");
            long dataStart = 8 + headerLen, dataLen = size - dataStart;
            // every header is checked before any tensor is read: tensors that alias one span would each be read
            List<Entry> entries = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                entries.add(entry(name, e.getKey(), e.getValue(), dataLen));
            }
            checkLayout(name, entries, dataLen);
            Map<String, HostArray> out = new TreeMap<>();
            for (Entry e : entries) {
                ByteBuffer b = read(ch, dataStart + e.begin, (int) (e.end - e.begin));
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                out.put(e.key, HostArray.fromLittleEndianBytes(e.type, bytes));
            }
            return Collections.unmodifiableMap(out);
        }
    }

    /** One tensor's header, checked: its type and its byte span [begin, end) in the data section. */
    private record Entry(String key, TensorType type, long begin, long end) {}

    /**
     * The spans, sorted, lie end to end from 0 to the data's length: no two tensors share bytes (a file whose tensors
     * all alias one span would otherwise be read once per tensor) and no byte belongs to none.
     */
    private static void checkLayout(String file, List<Entry> entries, long dataLen) throws IOException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(java.util.Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.begin < at) {
                throw new IOException(file + ": tensor " + e.key + " offsets [" + e.begin + ", " + e.end + ") overlap tensor "
                        + prev.key + " at [" + prev.begin + ", " + prev.end + ")");
            }
            if (e.begin > at) throw new IOException(file + ": no tensor covers bytes [" + at + ", " + e.begin + ") of the data section");
            at = e.end;
            prev = e;
        }
        if (at != dataLen) {
            throw new IOException(file + ": tensors cover " + at + " bytes but the data section has " + dataLen);
        }
    }

    private static Entry entry(String file, String key, JsonNode t, long dataLen) throws IOException {
        JsonNode dt = t.get("dtype"), shape = t.get("shape"), offs = t.get("data_offsets");
        if (dt == null || shape == null || !shape.isArray() || offs == null || !offs.isArray() || offs.size() != 2) {
            throw new IOException(file + ": tensor " + key + " needs dtype, shape and two data_offsets, got " + t);
        }
        ElementType et = DTYPES.get(dt.asText());
        if (et == null) throw new IOException(file + ": tensor " + key + " has unsupported dtype " + dt.asText());
        long[] dims = new long[shape.size()];
        long n = 1, want;
        for (int i = 0; i < dims.length; i++) {
            if (!isLong(shape.get(i)) || shape.get(i).asLong() < 0) throw new IOException(file + ": tensor " + key + " has bad shape " + shape);
            dims[i] = shape.get(i).asLong();
        }
        try {
            for (long d : dims) n = Math.multiplyExact(n, d);
            want = Math.multiplyExact(n, et.storageBytes());
        } catch (ArithmeticException e) {
            throw new IOException(file + ": tensor " + key + " has shape " + shape + ", whose size overflows");
        }
        if (!isLong(offs.get(0)) || !isLong(offs.get(1))) throw new IOException(file + ": tensor " + key + " has bad data_offsets " + offs);
        long begin = offs.get(0).asLong(), end = offs.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw new IOException(file + ": tensor " + key + " offsets [" + begin + ", " + end + ") lie outside the data section of " + dataLen + " bytes");
        }
        if (end - begin != want) {
            throw new IOException(file + ": tensor " + key + " is " + dt.asText() + shape + " = " + want + " bytes but its offsets span " + (end - begin));
        }
        if (want > Integer.MAX_VALUE - 8) throw new IOException(file + ": tensor " + key + " holds " + want + " bytes, more than one array can");
        return new Entry(key, TensorType.of(et, dims), begin, end);
    }

    /** A JSON integer that fits a long (not 4.5, not "4"). */
    private static boolean isLong(JsonNode v) { return v != null && v.isIntegralNumber() && v.canConvertToLong(); }

    private static ByteBuffer read(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) throw new IOException("unexpected end of file at " + (pos + b.position()));
        }
        return b.flip();
    }
}
