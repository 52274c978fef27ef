package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * NumPy's {@code .npy} format (version 1.0, little-endian, C order), the format the reference interpreter
 * writes probed tensors in. Element storage is MLIR's dense layout ({@link Bytes}): i1 as {@code |b1}, integers
 * as {@code <iN}/{@code <uN} (sub-byte widths one byte each), f16/f32/f64 as {@code <f2/<f4/<f8}, complex as
 * {@code <c8}/{@code <c16}. Float formats NumPy lacks (bf16, the f8/f6/f4 family) are stored as their raw bits
 * ({@code <u2}, {@code |u1}), as the reference does for bf16; the MLIR type in {@code index.csv} says how to read them.
 */
public final class Npy {
    private Npy() {}

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** The NumPy dtype string for an element type. */
    public static String descr(ElementType t) {
        int bytes = t.storageBytes();
        String order = bytes == 1 ? "|" : "<";
        return switch (t) {
            case IntegerType i when i.isBool() -> "|b1";
            case IntegerType i when i.isUnsigned() -> order + "u" + bytes;
            case IntegerType i -> order + "i" + bytes;
            case FloatType f when f.kind() == FloatKind.F16 || f.kind() == FloatKind.F32 || f.kind() == FloatKind.F64 ->
                    "<f" + bytes;
            case FloatType f -> order + "u" + bytes;
            case ComplexType c -> "<c" + bytes;
            default -> throw new IllegalArgumentException("no .npy encoding for element type " + t);
        };
    }

    public static void write(Path file, Tensor t) throws IOException {
        String shape = switch (t.rank()) {
            case 0 -> "()";
            case 1 -> "(" + t.shape[0] + ",)";
            default -> Arrays.toString(t.shape).replace('[', '(').replace(']', ')');
        };
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr(t.elementType))
                .append("', 'fortran_order': False, 'shape': ").append(shape).append(", }");
        // Pad with spaces so the data starts on a 64-byte boundary, the header ending in '\n' (as NumPy writes).
        while ((MAGIC.length + 4 + dict.length() + 1) % 64 != 0) dict.append(' ');
        dict.append('\n');
        byte[] header = dict.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] data = Bytes.encode(t);
        byte[] out = new byte[MAGIC.length + 4 + header.length + data.length];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[6] = 1;
        out[7] = 0;
        out[8] = (byte) header.length;
        out[9] = (byte) (header.length >>> 8);
        System.arraycopy(header, 0, out, 10, header.length);
        System.arraycopy(data, 0, out, 10 + header.length, data.length);
        Files.write(file, out);
    }

    /** Reads a file written for {@code type}; its dtype, order and shape must be what {@link #write} gives that type. */
    public static Tensor read(Path file, TensorType type) throws IOException {
        byte[] in = Files.readAllBytes(file);
        if (in.length < 10 || !Arrays.equals(Arrays.copyOf(in, 6), MAGIC)) throw new IOException(file + " is not a .npy file");
        if (in[6] != 1 || in[7] != 0) throw new IOException(file + ": .npy version " + in[6] + "." + in[7] + ", expected 1.0");
        int hlen = (in[8] & 0xFF) | (in[9] & 0xFF) << 8;
        if (10 + hlen > in.length) throw new IOException(file + ": header length " + hlen + " runs past the file end");
        String header = new String(in, 10, hlen, StandardCharsets.US_ASCII).replaceAll("\\s", "");
        String descr = descr(type.elementType());
        if (!header.contains("'descr':'" + descr + "'")) {
            throw new IOException(file + ": header " + header + " does not have dtype " + descr + " of " + type.elementType());
        }
        if (!header.contains("'fortran_order':False")) throw new IOException(file + ": only C order is supported, header " + header);
        int s = header.indexOf("'shape':(");
        int e = s < 0 ? -1 : header.indexOf(')', s);
        if (e < 0) throw new IOException(file + ": header " + header + " has no shape");
        String dims = header.substring(s + 9, e);
        long[] shape = dims.isEmpty() ? new long[0]
                : Arrays.stream(dims.split(",")).filter(x -> !x.isEmpty()).mapToLong(Long::parseLong).toArray();
        if (!Arrays.equals(shape, type.shape())) {
            throw new IOException(file + ": shape " + Arrays.toString(shape) + " differs from " + type);
        }
        int n = Math.toIntExact(Math.multiplyExact(type.numElements(), (long) type.elementType().storageBytes()));
        if (in.length - 10 - hlen != n) {
            throw new IOException(file + ": " + (in.length - 10 - hlen) + " data bytes, " + type + " needs " + n);
        }
        return Bytes.decode(type, Arrays.copyOfRange(in, 10 + hlen, in.length), false);
    }
}
