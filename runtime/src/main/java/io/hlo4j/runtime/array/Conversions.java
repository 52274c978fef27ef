package io.hlo4j.runtime.array;

import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatCodec;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;

/**
 * Element type conversions of {@link HostArray}.
 *
 * <p>{@link #convert} follows the StableHLO spec where it is defined and XLA where the spec leaves the result
 * to the implementation (these choices are the documented contract of hlo4j):
 * <ul>
 *   <li>int -> int: two's complement wraparound to the target width (also signed <-> unsigned).</li>
 *   <li>int -> float: the exact integer rounded once to nearest even (ui64 read as unsigned).</li>
 *   <li>float -> int: truncation toward zero; out-of-range values saturate to the target's min/max and NaN
 *       gives 0, as XLA's CPU and GPU backends and LLVM's APFloat::convertToInteger do (the spec leaves this
 *       open).</li>
 *   <li>float -> float: exact decode, then one rounding to nearest even with the target's overflow rule
 *       ({@link FloatCodec}); NaN into a format without NaN is refused.</li>
 *   <li>anything -> i1: {@code x != 0} (NaN is true); i1 -> anything: 0 or 1.</li>
 *   <li>real -> complex: imaginary part 0; complex -> complex: each part rounded; complex -> non-complex: the
 *       real part, converted as a float (so complex -> i1 tests only the real part), as the StableHLO
 *       reference interpreter does (interpret/convert.mlir); XLA itself rejects complex -> real.</li>
 *   <li>quantized types are refused (use the quantize/dequantize ops).</li>
 * </ul>
 */
public final class Conversions {
    private Conversions() {}

    public static HostArray convert(HostArray src, ElementType target) {
        if (src.elementType() instanceof QuantizedType || target instanceof QuantizedType) {
            throw new IllegalArgumentException("convert between " + src.elementType() + " and " + target
                    + ": quantized types need uniform_quantize/uniform_dequantize, not convert");
        }
        Layout from = src.layout();
        Layout to = Layout.of(target);
        MutableHostArray out = MutableHostArray.zeros(src.type().withElementType(target));
        int n = src.size();
        switch (to.category()) {
            case BOOL -> { for (int k = 0; k < n; k++) out.setLong(k, isNonZero(src, from, k) ? 1 : 0); }
            case SIGNED, UNSIGNED -> {
                switch (from.category()) {
                    case BOOL, SIGNED, UNSIGNED -> { for (int k = 0; k < n; k++) out.setLong(k, src.getLong(k)); }
                    case FLOAT -> { for (int k = 0; k < n; k++) out.setLong(k, Numbers.floatToInteger(src.getDouble(k), to)); }
                    case COMPLEX -> { for (int k = 0; k < n; k++) out.setLong(k, Numbers.floatToInteger(src.getReal(k), to)); }
                }
            }
            case FLOAT -> {
                FloatKind kind = to.floatKind();
                switch (from.category()) {
                    case BOOL, SIGNED, UNSIGNED -> {
                        boolean unsigned = from.category() != Layout.Category.SIGNED;
                        for (int k = 0; k < n; k++) out.setBits(k, Numbers.integerToFloatBits(kind, src.getLong(k), unsigned));
                    }
                    case FLOAT, COMPLEX -> {
                        boolean complex = from.category() == Layout.Category.COMPLEX;
                        try {
                            for (int k = 0; k < n; k++) out.setDouble(k, complex ? src.getReal(k) : src.getDouble(k));
                        } catch (ArithmeticException e) {
                            throw new IllegalArgumentException("convert " + src.type() + " to " + target + ": " + e.getMessage(), e);
                        }
                    }
                }
            }
            case COMPLEX -> {
                for (int k = 0; k < n; k++) {
                    switch (from.category()) {
                        case COMPLEX -> out.setComplex(k, src.getReal(k), src.getImag(k));
                        case FLOAT -> out.setComplex(k, src.getDouble(k), 0);
                        case BOOL, SIGNED, UNSIGNED -> {
                            long bits = Numbers.integerToFloatBits(to.floatKind(), src.getLong(k), from.category() != Layout.Category.SIGNED);
                            out.setComplex(k, FloatCodec.decode(to.floatKind(), bits), 0);
                        }
                    }
                }
            }
        }
        return out.freeze();
    }

    private static boolean isNonZero(HostArray src, Layout from, int k) {
        return switch (from.category()) {
            case BOOL, SIGNED, UNSIGNED -> src.getLong(k) != 0;
            case FLOAT -> src.getDouble(k) != 0; // NaN != 0 is true
            case COMPLEX -> src.getReal(k) != 0;
        };
    }

    /**
     * {@code stablehlo.bitcast_convert}. Equal widths keep the shape; a narrower target appends a dimension of
     * size {@code srcBits / dstBits}; a wider target consumes a last dimension of size {@code dstBits / srcBits}.
     * When splitting, piece 0 holds the lowest bits (little-endian memory order, as XLA on CPU/GPU); complex
     * elements are their real bits (low) followed by their imaginary bits; i1 counts as one bit (64 x i1 make an
     * i64, element 0 its lowest bit), as the StableHLO reference interpreter does.
     */
    public static HostArray bitcastConvert(HostArray src, ElementType target) {
        Layout from = src.layout();
        Layout to = Layout.of(target);
        int ws = from.bitWidth(); // complex: both parts
        int wd = to.bitWidth();
        long[] shape = src.shape();
        long[] outShape;
        if (ws == wd) {
            outShape = shape;
        } else if (ws > wd) {
            if (ws % wd != 0) throw badWidths(src, target, ws, wd);
            outShape = Arrays.copyOf(shape, shape.length + 1);
            outShape[shape.length] = ws / wd;
        } else {
            if (wd % ws != 0) throw badWidths(src, target, ws, wd);
            if (shape.length == 0 || shape[shape.length - 1] != wd / ws) {
                throw new IllegalArgumentException("bitcast_convert " + src.type() + " to " + target + ": the last dimension must be "
                        + (wd / ws) + " to combine " + ws + "-bit elements into " + wd + "-bit ones");
            }
            outShape = Arrays.copyOf(shape, shape.length - 1);
        }
        int n = src.size();
        long[] words = new long[(int) (((long) n * ws + 63) >>> 6)];
        BitCursor w = new BitCursor(words);
        boolean srcComplex = from.category() == Layout.Category.COMPLEX;
        for (int k = 0; k < n; k++) {
            if (srcComplex) {
                w.put(src.getPartBits(k, 0), ws / 2);
                w.put(src.getPartBits(k, 1), ws / 2);
            } else {
                w.put(src.getBits(k), ws);
            }
        }
        MutableHostArray out = MutableHostArray.zeros(TensorType.of(target, outShape));
        BitCursor r = new BitCursor(words);
        boolean dstComplex = to.category() == Layout.Category.COMPLEX;
        for (int k = 0; k < out.size(); k++) {
            if (dstComplex) {
                long re = r.take(wd / 2);
                long im = r.take(wd / 2);
                out.setComplexBits(k, re, im);
            } else {
                out.setBits(k, r.take(wd));
            }
        }
        return out.freeze();
    }

    private static IllegalArgumentException badWidths(HostArray src, ElementType target, int ws, int wd) {
        return new IllegalArgumentException("bitcast_convert " + src.type() + " to " + target + ": bit widths "
                + ws + " and " + wd + " are not multiples of one another");
    }

    /** Sequential little-endian bit writer/reader over 64-bit words. */
    private static final class BitCursor {
        private final long[] words;
        private long pos;

        BitCursor(long[] words) { this.words = words; }

        void put(long v, int width) {
            if (width < 64) v &= (1L << width) - 1;
            int word = (int) (pos >>> 6);
            int off = (int) (pos & 63);
            words[word] |= v << off;
            if (off != 0 && off + width > 64) words[word + 1] |= v >>> (64 - off);
            pos += width;
        }

        long take(int width) {
            int word = (int) (pos >>> 6);
            int off = (int) (pos & 63);
            long v = words[word] >>> off;
            if (off != 0 && off + width > 64) v |= words[word + 1] << (64 - off);
            pos += width;
            return width == 64 ? v : v & ((1L << width) - 1);
        }
    }
}
