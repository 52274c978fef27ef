package io.hlo4j.runtime.array;

import io.hlo4j.mlir.types.FloatCodec;
import io.hlo4j.mlir.types.FloatKind;

/**
 * The primitive array behind a {@link HostArray} or {@link MutableHostArray}, with element reads and writes
 * that apply the {@link Layout} rules. Exactly one of the array fields is non-null.
 */
final class Storage {
    final Layout layout;
    final int size;
    byte[] b;
    short[] s;
    int[] i;
    long[] l;
    float[] f;
    double[] d;

    Storage(Layout layout, int size) {
        this.layout = layout;
        this.size = size;
        int slots = Math.multiplyExact(size, layout.slots());
        switch (layout.store()) {
            case BYTE -> b = new byte[slots];
            case SHORT -> s = new short[slots];
            case INT -> i = new int[slots];
            case LONG -> l = new long[slots];
            case FLOAT -> f = new float[slots];
            case DOUBLE -> d = new double[slots];
        }
    }

    /** Wraps an existing primitive array (ownership passes to the storage). */
    private Storage(Layout layout, int size, Object array) {
        this.layout = layout;
        this.size = size;
        switch (array) {
            case byte[] a -> b = a;
            case short[] a -> s = a;
            case int[] a -> i = a;
            case long[] a -> l = a;
            case float[] a -> f = a;
            case double[] a -> d = a;
            default -> throw new IllegalArgumentException("not a primitive array: " + array);
        }
    }

    static Storage wrap(Layout layout, int size, Object array) { return new Storage(layout, size, array); }

    Storage copy() {
        Object a = switch (layout.store()) {
            case BYTE -> b.clone();
            case SHORT -> s.clone();
            case INT -> i.clone();
            case LONG -> l.clone();
            case FLOAT -> f.clone();
            case DOUBLE -> d.clone();
        };
        return new Storage(layout, size, a);
    }

    /** Primitive slot {@code k} as a sign-extended long (raw, no interpretation). */
    private long slot(int k) {
        return switch (layout.store()) {
            case BYTE -> b[k];
            case SHORT -> s[k];
            case INT -> i[k];
            case LONG -> l[k];
            case FLOAT -> Float.floatToRawIntBits(f[k]);
            case DOUBLE -> Double.doubleToRawLongBits(d[k]);
        };
    }

    private void setSlot(int k, long v) {
        switch (layout.store()) {
            case BYTE -> b[k] = (byte) v;
            case SHORT -> s[k] = (short) v;
            case INT -> i[k] = (int) v;
            case LONG -> l[k] = v;
            case FLOAT -> f[k] = Float.intBitsToFloat((int) v);
            case DOUBLE -> d[k] = Double.longBitsToDouble(v);
        }
    }

    private static long mask(int width) { return width >= 64 ? -1L : (1L << width) - 1; }

    /** The element's bit pattern, right-aligned and masked to the element's bit width (not for complex). */
    long bits(int k) {
        requireNotComplex("bits");
        return slot(k) & mask(layout.bitWidth());
    }

    void setBits(int k, long bits) {
        requireNotComplex("setBits");
        if (layout.isInteger() || layout.category() == Layout.Category.BOOL) setSlot(k, layout.wrap(bits));
        else setSlot(k, bits & mask(layout.bitWidth()));
    }

    /** Integer or boolean value: sign-extended for signed, zero-extended for unsigned (ui64: the raw bits). */
    long getLong(int k) {
        return switch (layout.category()) {
            case BOOL, SIGNED -> slot(k);
            case UNSIGNED -> slot(k) & mask(layout.bitWidth());
            default -> throw new IllegalArgumentException("getLong of " + layout.type() + " element; use getDouble or getBits");
        };
    }

    /** Wraps {@code v} to the integer width (two's complement truncation; i1 keeps the low bit). */
    void setLong(int k, long v) {
        if (!layout.isInteger() && layout.category() != Layout.Category.BOOL) {
            throw new IllegalArgumentException("setLong of " + layout.type() + " element; use setDouble or setBits");
        }
        setSlot(k, layout.wrap(v));
    }

    double getDouble(int k) {
        return switch (layout.category()) {
            case FLOAT -> switch (layout.store()) {
                case DOUBLE -> d[k];
                case FLOAT -> f[k];
                default -> FloatCodec.decode(layout.floatKind(), slot(k));
            };
            case BOOL, SIGNED -> slot(k);
            case UNSIGNED -> Numbers.unsignedToDouble(slot(k) & mask(layout.bitWidth()));
            case COMPLEX -> throw new IllegalArgumentException("getDouble of " + layout.type() + " element; use getReal/getImag");
        };
    }

    /** Rounds {@code v} to the float format (to nearest even, the format's overflow rule). Floats only. */
    void setDouble(int k, double v) {
        if (layout.category() != Layout.Category.FLOAT) {
            throw new IllegalArgumentException("setDouble of " + layout.type() + " element; use setLong/setBoolean/setComplex");
        }
        switch (layout.store()) {
            case DOUBLE -> d[k] = v;
            case FLOAT -> f[k] = (float) v;
            default -> setSlot(k, FloatCodec.encode(layout.floatKind(), v));
        }
    }

    double real(int k) {
        requireComplex("getReal");
        return layout.store() == Layout.Store.FLOAT ? f[2 * k] : d[2 * k];
    }

    double imag(int k) {
        requireComplex("getImag");
        return layout.store() == Layout.Store.FLOAT ? f[2 * k + 1] : d[2 * k + 1];
    }

    void setComplex(int k, double re, double im) {
        requireComplex("setComplex");
        if (layout.store() == Layout.Store.FLOAT) {
            f[2 * k] = (float) re;
            f[2 * k + 1] = (float) im;
        } else {
            d[2 * k] = re;
            d[2 * k + 1] = im;
        }
    }

    /** Raw bits of one complex part (0 real, 1 imaginary). */
    long partBits(int k, int part) {
        requireComplex("partBits");
        return layout.store() == Layout.Store.FLOAT ? Float.floatToRawIntBits(f[2 * k + part]) & 0xFFFFFFFFL
                : Double.doubleToRawLongBits(d[2 * k + part]);
    }

    void setPartBits(int k, int part, long bits) {
        requireComplex("setPartBits");
        if (layout.store() == Layout.Store.FLOAT) f[2 * k + part] = Float.intBitsToFloat((int) bits);
        else d[2 * k + part] = Double.longBitsToDouble(bits);
    }

    FloatKind floatKind() { return layout.floatKind(); }

    private void requireComplex(String what) {
        if (layout.category() != Layout.Category.COMPLEX) {
            throw new IllegalArgumentException(what + " of non-complex " + layout.type() + " element");
        }
    }

    private void requireNotComplex(String what) {
        if (layout.category() == Layout.Category.COMPLEX) {
            throw new IllegalArgumentException(what + " of complex " + layout.type() + " element; use partBits");
        }
    }
}
