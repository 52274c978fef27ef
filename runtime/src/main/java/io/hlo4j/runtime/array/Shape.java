package io.hlo4j.runtime.array;

import java.util.Arrays;

/** Row-major (C order) shape arithmetic. Element counts above what a Java array can index are refused. */
public final class Shape {
    private Shape() {}

    /** Largest element count a {@link HostArray} accepts (complex needs two slots per element). */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE / 2 - 16;

    /** Number of elements of {@code shape}; throws on a negative dimension or an overflowing product. */
    public static int numElements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative or dynamic dimension " + d + " in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
            if (n > MAX_ELEMENTS && !containsZero(shape)) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than " + MAX_ELEMENTS + " elements");
            }
        }
        return (int) n;
    }

    private static boolean containsZero(long[] shape) {
        for (long d : shape) if (d == 0) return true;
        return false;
    }

    /** Row-major strides in elements: {@code strides[rank-1] == 1}. */
    public static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(1, shape[i]);
        }
        return s;
    }

    /** Flat row-major index of {@code index} in {@code shape}; each coordinate must be in range. */
    public static int flatIndex(long[] shape, long... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has rank " + index.length + ", shape " + Arrays.toString(shape) + " has rank " + shape.length);
        }
        long flat = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of bounds for shape " + Arrays.toString(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return (int) flat;
    }

    /** The multi-dimensional index of flat row-major position {@code flat}. */
    public static long[] unflatten(long[] shape, long flat) {
        long[] idx = new long[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            idx[i] = flat % shape[i];
            flat /= shape[i];
        }
        return idx;
    }

    public static String toString(long[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append('x');
            sb.append(shape[i]);
        }
        return sb.toString();
    }
}
