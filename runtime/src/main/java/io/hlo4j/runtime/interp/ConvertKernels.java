package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/** {@code convert}, {@code bitcast_convert} and {@code reduce_precision}. */
final class ConvertKernels {
    private ConvertKernels() {}

    static void register() {
        Kernels.put("stablehlo.convert", (op, args, f) -> List.of(convert((Tensor) args.get(0), (TensorType) op.result().type())));
        Kernels.put("stablehlo.bitcast_convert", (op, args, f) -> {
            Tensor x = (Tensor) args.get(0);
            TensorType rt = (TensorType) op.result().type();
            if (x.elem == Elem.COMPLEX || Elem.of(rt.elementType()) == Elem.COMPLEX) {
                return List.of(Bytes.decode(rt, Bytes.encode(x), false));
            }
            return List.of(bitcast(x, rt));
        });
        Kernels.put("stablehlo.reduce_precision", ConvertKernels::reducePrecision);
    }

    /** Converts every element to the element type of {@code rt} (same shape), as the spec's convert does. */
    static Tensor convert(Tensor x, TensorType rt) {
        ElementType to = rt.elementType();
        Tensor r = Tensor.zeros(rt);
        int n = x.size;
        switch (r.elem) {
            case BOOL -> {
                for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) r.ints[i] = x.elem.isInt() ? (x.ints[i] != 0 ? 1 : 0)
                        : (x.re[i] != 0 ? 1 : 0); // complex -> bool looks at the real part, as the reference does
            }
            case SIGNED, UNSIGNED -> {
                if (x.elem.isInt()) {
                    for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) r.ints[i] = Elem.wrap(to, x.ints[i]);
                } else {
                    IntegerType it = to instanceof IntegerType t ? t : IntegerType.I64;
                    for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) r.ints[i] = floatToInt(x.re[i], it);
                }
            }
            case FLOAT -> {
                FloatType ft = (FloatType) to;
                FloatKind from = floatKind(x.elementType);
                for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) r.re[i] = toFloat(from, ft, x.asDouble(i));
            }
            case COMPLEX -> {
                FloatType ft = ((ComplexType) to).elementType();
                FloatKind from = floatKind(x.elementType);
                for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) {
                    r.re[i] = toFloat(from, ft, x.asDouble(i));
                    r.im[i] = x.im == null ? 0 : toFloat(from, ft, x.im[i]);
                }
            }
        }
        return r;
    }

    /** The float format of a float or complex element type (its parts'), else null: an integer has no NaN. */
    private static FloatKind floatKind(ElementType t) {
        return t instanceof FloatType f ? f.kind() : t instanceof ComplexType c ? c.elementType().kind() : null;
    }

    /**
     * {@code v}, a value of format {@code from} (null: an integer), converted to {@code to}. A NaN is quieted, as IEEE 754's
     * convertFormat and XLA's casts do: to f32 or f64 its sign and payload stay (the quiet bit set: numpy's f32 -> f64
     * and x86's cvtss2sd/cvtsd2ss); to a narrower format it becomes that format's quiet NaN with its sign (XLA's
     * bfloat16 and half casts, Eigen's, drop the payload; numpy's f16 would keep it, but the interpreter stands in for
     * XLA). A convert to the same format is no conversion (XLA's simplifier removes it): its bits move as they are.
     * Without this, an f32 signalling NaN (held in the double's own layout, {@link Floats#fromF32Bits}) came out of
     * f32 -> f64 as a double signalling NaN. bf16 -> f32 is the exception: XLA's CPU emitter widens bf16 by shifting its
     * bits 16 places (bf16 is f32's top half), and so do ml_dtypes and Eigen, so a signalling NaN stays signalling, its
     * payload kept. Every other widening is a float conversion there (LLVM's fpext: x86's vcvtph2ps, cvtss2sd), which quiets.
     */
    static double toFloat(FloatKind from, FloatType to, double v) {
        if (from == to.kind()) return v;   // an exact value of the format already
        // a bf16 value, a NaN's payload included, is the f32 whose top 16 bits it is: held alike (Floats.fromF32Bits)
        if (from == FloatKind.BF16 && to.kind() == FloatKind.F32) return v;
        if (v == v) return Elem.round(to, v);
        long sign = Double.doubleToRawLongBits(v) & Long.MIN_VALUE;
        return switch (to.kind()) {
            case F64 -> Double.longBitsToDouble(Double.doubleToRawLongBits(v) | QUIET);
            case F32 -> Floats.fromF32Bits(Floats.f32Bits(Double.longBitsToDouble(Double.doubleToRawLongBits(v) | QUIET)));
            default -> Elem.round(to, Double.longBitsToDouble(sign | 0x7FF0_0000_0000_0000L | QUIET));
        };
    }

    /** The quiet bit of a double NaN (the top fraction bit); an f32 NaN's quiet bit sits there too ({@link Floats#fromF32Bits}). */
    private static final long QUIET = 1L << 51;

    /** Reinterprets the elements' bits as a little-endian bit stream (element 0 in the lowest bits). */
    static Tensor bitcast(Tensor x, TensorType rt) {
        int win = Elem.width(x.elementType), wout = Elem.width(rt.elementType());
        Tensor r = Tensor.zeros(rt);
        ElementType et = rt.elementType();
        long inMask = win == 64 ? -1L : (1L << win) - 1;
        FloatKind inK = x.elementType instanceof FloatType ft ? ft.kind() : null;
        FloatKind outK = et instanceof FloatType ft ? ft.kind() : null;
        long acc = 0;
        int accBits = 0, o = 0;
        long total = (long) x.size * win;
        long[] outBits = new long[r.size];
        if (total != (long) r.size * wout) throw new IllegalArgumentException("bitcast of " + x.type + " to " + rt + " changes the bit count");
        // Walk bit positions; each output element takes wout bits starting at o * wout.
        for (long i0 = 0; i0 < x.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, x.size); i < iEnd; i++) {
            long bits = (inK != null ? Floats.bits(inK, x.re[i]) : x.ints[i]) & inMask;
            int used = 0;
            while (used < win) {
                int take = Math.min(win - used, wout - accBits);
                long chunk = (bits >>> used) & (take == 64 ? -1L : (1L << take) - 1);
                acc |= chunk << accBits;
                accBits += take;
                used += take;
                if (accBits == wout) {
                    outBits[o++] = acc;
                    acc = 0;
                    accBits = 0;
                }
            }
        }
        for (long i0 = 0; i0 < r.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, r.size); i < iEnd; i++) {
            if (outK != null) r.re[i] = Floats.decode(outK, outBits[i]);
            else r.ints[i] = Elem.wrap(et, outBits[i]);
        }
        return r;
    }

    /** Truncates toward zero, saturating at the type's range; NaN becomes 0 (XLA's CPU behaviour). */
    static long floatToInt(double v, IntegerType t) {
        if (Double.isNaN(v)) return 0;
        double tr = v < 0 ? Math.ceil(v) : Math.floor(v);
        if (t.isUnsigned()) {
            if (tr <= 0) return 0;
            if (t.width() == 64) {
                if (tr >= 18446744073709551616.0) return -1L;
                if (tr >= 9223372036854775808.0) return (long) (tr - 9223372036854775808.0) + Long.MIN_VALUE;
                return (long) tr;
            }
            long max = Elem.maxInt(t);
            return tr >= max ? max : (long) tr;
        }
        long min = Elem.minInt(t), max = Elem.maxInt(t);
        if (tr <= min) return min;
        if (tr >= max) return max;
        return (long) tr;
    }

    private static List<RtValue> reducePrecision(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0);
        int eb = (int) Attrs.integer(op, "exponent_bits", -1), mb = (int) Attrs.integer(op, "mantissa_bits", -1);
        if (x.elem != Elem.FLOAT) throw ElementwiseKernels.unsupportedType(op, x.elementType);
        FloatKind k = ((FloatType) x.elementType).kind();
        Tensor r = x.blank();
        for (long i0 = 0; i0 < x.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, x.size); i < iEnd; i++) r.re[i] = reducePrecision(k, x.re[i], eb, mb);
        return List.of(r);
    }

    /** XLA's reduce-precision on the bits of format {@code k}: round the mantissa to nearest even, then clamp the exponent. */
    static double reducePrecision(FloatKind k, double v, int expBits, int mantBits) {
        int srcMant = k.mantissaBits(), srcExp = k.exponentBits(), nbits = k.bitWidth();
        long bits = Floats.bits(k, v);
        long x = bits;
        if (mantBits < srcMant) {
            long lastMask = 1L << (srcMant - mantBits);
            long baseBias = (lastMask >> 1) - 1;
            long lastBit = (x & lastMask) >> (srcMant - mantBits);
            long trunc = ~(lastMask - 1);
            x = (x + lastBit + baseBias) & trunc;
        }
        if (expBits < srcExp) {
            long signMask = 1L << (nbits - 1);
            long expMask = ((1L << srcExp) - 1) << srcMant;
            long bias = (1L << (srcExp - 1)) - 1;
            long rbias = (1L << (expBits - 1)) - 1;
            long maxE = bias + rbias, minE = bias - rbias;
            long e = x & expMask;
            boolean over = e > (maxE << srcMant), under = e <= (minE << srcMant);
            long signedZero = x & signMask;
            long signedInf = signedZero | expMask;
            x = over ? signedInf : under ? signedZero : x;
        }
        long fullMask = nbits == 64 ? -1L : (1L << nbits) - 1;
        x &= fullMask;
        if (Double.isNaN(v)) return mantBits > 0 ? v : Floats.decode(k, (bits & (1L << (nbits - 1))) | (((1L << srcExp) - 1) << srcMant));
        return Floats.decode(k, x);
    }
}
