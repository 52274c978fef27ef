package io.hlo4j.runtime.io;

import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.array.Shape;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) to and from {@link HostArray}. Dtypes and the
 * ml_dtypes conventions are described in {@link NpyDtype}. Reading is defensive: the header must be a
 * well-formed dictionary, and the declared shape times the item size must equal exactly the bytes that follow
 * it, so nothing is allocated beyond the file's size. Fortran-order files are transposed into C order.
 * Writing always produces little-endian C-order data with the smallest version whose header fits.
 */
public final class Npy {
    private Npy() {}

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** Reads {@code path}; a {@code '<V1'} descr (an ml_dtypes one-byte type) needs {@link #read(Path, ElementType)}. */
    public static HostArray read(Path path) throws IOException {
        return read(path, null);
    }

    /**
     * Reads {@code path} as {@code elementType} when the descr does not name the type itself ({@code '<V1'}, or
     * {@code '<V2'} holding something other than bf16). Where the descr does name a type, {@code elementType}
     * (if not null) must agree with it.
     */
    public static HostArray read(Path path, ElementType elementType) throws IOException {
        String file = path.toString();
        // Opening a folder succeeds on Linux and only its first read fails, with a message that names no file.
        if (Files.isDirectory(path)) throw new FileSystemException(file, null, "is a directory, not a .npy file");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            ByteBuffer prefix = readFully(ch, 0, (int) Math.min(12, fileSize), file);
            if (prefix.remaining() < 10) throw new NpyFormatException(file + ": too short for a .npy file (" + fileSize + " bytes)");
            for (int k = 0; k < MAGIC.length; k++) {
                if (prefix.get(k) != MAGIC[k]) throw new NpyFormatException(file + ": not a .npy file (bad magic)");
            }
            int major = prefix.get(6) & 0xFF;
            int minor = prefix.get(7) & 0xFF;
            long headerLen;
            int headerStart;
            if (major == 1) {
                headerLen = prefix.order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xFFFF;
                headerStart = 10;
            } else if (major == 2 || major == 3) {
                if (prefix.remaining() < 12) throw new NpyFormatException(file + ": truncated version " + major + " header");
                headerLen = prefix.order(ByteOrder.LITTLE_ENDIAN).getInt(8) & 0xFFFFFFFFL;
                headerStart = 12;
            } else {
                throw new NpyFormatException(file + ": unsupported .npy format version " + major + "." + minor);
            }
            if (headerLen > fileSize - headerStart) {
                throw new NpyFormatException(file + ": header length " + headerLen + " exceeds the file size " + fileSize);
            }
            ByteBuffer hb = readFully(ch, headerStart, (int) headerLen, file);
            byte[] hbytes = new byte[hb.remaining()];
            hb.get(hbytes);
            String header = new String(hbytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            NpyHeader h = NpyHeader.parse(NpyHeader.stripPython(header), file, major);
            NpyDtype.Parsed dt = NpyDtype.parse(h.descr(), file);
            ElementType type = resolveType(dt, elementType, h.descr(), file);
            long payloadStart = headerStart + headerLen;
            long count = 1;
            long expectedBytes;
            try {
                for (long d : h.shape()) count = Math.multiplyExact(count, d);
                expectedBytes = Math.multiplyExact(count, (long) dt.itemSize());
            } catch (ArithmeticException e) {
                throw new NpyFormatException(file + ": shape " + java.util.Arrays.toString(h.shape()) + " overflows");
            }
            long present = fileSize - payloadStart;
            if (expectedBytes != present) {
                throw new NpyFormatException(file + ": shape " + java.util.Arrays.toString(h.shape()) + " x " + dt.itemSize()
                        + " bytes needs " + expectedBytes + " bytes of data, the file has " + present);
            }
            if (count > Shape.MAX_ELEMENTS || expectedBytes > Integer.MAX_VALUE - 16) {
                throw new NpyFormatException(file + ": " + count + " elements (" + expectedBytes + " bytes) exceed what a HostArray holds");
            }
            byte[] data = new byte[(int) expectedBytes];
            readFully(ch, payloadStart, data.length, file).get(data);
            if (dt.bigEndian()) swapBytes(data, isComplex(h.descr()) ? dt.itemSize() / 2 : dt.itemSize());
            if (h.fortranOrder() && h.shape().length > 1) data = fortranToC(data, h.shape(), dt.itemSize());
            return HostArray.fromLittleEndianBytes(TensorType.of(type, h.shape()), data);
        }
    }

    private static boolean isComplex(String descr) { return descr.length() > 1 && descr.charAt(1) == 'c'; }

    private static ElementType resolveType(NpyDtype.Parsed dt, ElementType requested, String descr, String file) {
        boolean opaque = descr.endsWith("V1") || descr.endsWith("V2");
        if (requested == null) {
            if (dt.type() == null) {
                throw new NpyFormatException(file + ": descr '" + descr + "' is an ml_dtypes one-byte type the file does not name "
                        + "(float8/float6/float4/int4/int2); read it with Npy.read(path, elementType)");
            }
            return dt.type();
        }
        if (requested.storageBytes() != dt.itemSize()) {
            throw new NpyFormatException(file + ": requested element type " + requested + " takes " + requested.storageBytes()
                    + " bytes but descr '" + descr + "' has " + dt.itemSize());
        }
        if (!opaque && !requested.equals(dt.type())) {
            throw new NpyFormatException(file + ": requested element type " + requested + " but descr '" + descr + "' is " + dt.type());
        }
        return requested;
    }

    private static ByteBuffer readFully(FileChannel ch, long pos, int len, String file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) throw new NpyFormatException(file + ": unexpected end of file at byte " + (pos + b.position()));
        }
        return b.flip();
    }

    private static void swapBytes(byte[] data, int width) {
        for (int off = 0; off + width <= data.length; off += width) {
            for (int a = off, z = off + width - 1; a < z; a++, z--) {
                byte t = data[a];
                data[a] = data[z];
                data[z] = t;
            }
        }
    }

    /** Reorders Fortran-order (first index fastest) elements into C order. */
    private static byte[] fortranToC(byte[] in, long[] shape, int item) {
        int rank = shape.length;
        long[] fStride = new long[rank];
        long acc = 1;
        for (int k = 0; k < rank; k++) {
            fStride[k] = acc;
            acc *= shape[k];
        }
        byte[] out = new byte[in.length];
        int n = in.length / Math.max(1, item);
        long[] idx = new long[rank];
        long src = 0;
        for (int c = 0; c < n; c++) {
            System.arraycopy(in, (int) (src * item), out, c * item, item);
            for (int k = rank - 1; k >= 0; k--) { // odometer in C order, tracking the Fortran offset
                idx[k]++;
                src += fStride[k];
                if (idx[k] < shape[k]) break;
                src -= fStride[k] * shape[k];
                idx[k] = 0;
            }
        }
        return out;
    }

    /** Writes {@code array} to {@code path} (replacing it). */
    public static void write(Path path, HostArray array) throws IOException {
        try (OutputStream out = Files.newOutputStream(path)) {
            out.write(encode(array));
        }
    }

    /** The complete .npy file bytes of {@code array}. */
    public static byte[] encode(HostArray array) {
        String descr = NpyDtype.descrOf(array.elementType());
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        long[] shape = array.shape();
        for (int k = 0; k < shape.length; k++) {
            dict.append(shape[k]).append(shape.length == 1 ? "," : k + 1 < shape.length ? ", " : "");
        }
        dict.append("), }");
        byte[] payload = array.toLittleEndianBytes();
        int version = 10 + dict.length() + 1 <= 65535 ? 1 : 2;
        int prefix = version == 1 ? 10 : 12;
        int pad = (64 - (prefix + dict.length() + 1) % 64) % 64;
        dict.append(" ".repeat(pad)).append('\n');
        byte[] header = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer bb = ByteBuffer.allocate(prefix + header.length + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) bb.putShort((short) header.length);
        else bb.putInt(header.length);
        bb.put(header).put(payload);
        return bb.array();
    }
}
