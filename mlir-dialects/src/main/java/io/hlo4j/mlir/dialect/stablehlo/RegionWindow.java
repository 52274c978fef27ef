package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;

import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.fail;

/**
 * The window of reduce_window and select_and_scatter: per dimension size, stride, base and window dilation
 * and low/high padding, with the spec's constraints and output-shape rule.
 */
record RegionWindow(long[] size, long[] stride, long[] baseDilation, long[] windowDilation, long[] padLow, long[] padHigh) {

    /**
     * Reads and checks the window attributes. {@code padding} is an {@code N x 2} dense attribute (or null);
     * absent strides/dilations default to 1, absent padding to 0.
     */
    static RegionWindow of(Operation op, long[] dims, long[] strides, long[] baseDil, long[] winDil,
                           RegionChecks.DenseInts padding, String opPrefix) {
        int n = dims.length;
        if (padding != null && (padding.shape().length != 2 || padding.shape()[1] != 2)) {
            throw fail(op, rule(opPrefix, 12), "expects the shape of padding-attribute to be {N, 2}, but got "
                    + java.util.Arrays.toString(padding.shape()) + ".");
        }
        checkSize(op, strides, n, "window-strides", rule(opPrefix, 6));
        checkSize(op, baseDil, n, "base-dilation factors", rule(opPrefix, 8));
        checkSize(op, winDil, n, "window-dilation factors", rule(opPrefix, 10));
        if (padding != null && padding.shape()[0] != 0 && padding.shape()[0] != n) {
            throw fail(op, rule(opPrefix, 12), "expects padding-entries to have same dimension-size as size of window dimensions ("
                    + n + "), but got: " + padding.shape()[0] + ".");
        }
        long[] st = new long[n], bd = new long[n], wd = new long[n], lo = new long[n], hi = new long[n];
        for (int i = 0; i < n; i++) {
            if (dims[i] != TensorType.DYNAMIC && dims[i] <= 0) {
                throw fail(op, rule(opPrefix, 5), "expects window to have positive value for " + i
                        + "-th window dimension, but got " + dims[i] + ".");
            }
            st[i] = strides == null || strides.length == 0 ? 1 : strides[i];
            if (st[i] <= 0) {
                throw fail(op, rule(opPrefix, 7), "expects window to have positive stride for " + i
                        + "-th window dimension, but got " + st[i] + ".");
            }
            bd[i] = baseDil == null || baseDil.length == 0 ? 1 : baseDil[i];
            if (bd[i] <= 0) {
                throw fail(op, rule(opPrefix, 9), "expects window to have positive base dilation factor for " + i
                        + "-th window dimension, but got " + bd[i] + ".");
            }
            wd[i] = winDil == null || winDil.length == 0 ? 1 : winDil[i];
            if (wd[i] <= 0) {
                throw fail(op, rule(opPrefix, 11), "expects window to have positive window dilation factor for " + i
                        + "-th window dimension, but got " + wd[i] + ".");
            }
            if (padding != null && padding.shape()[0] != 0) {
                lo[i] = padding.at(i, 0);
                hi[i] = padding.at(i, 1);
            }
        }
        return new RegionWindow(dims.clone(), st, bd, wd, lo, hi);
    }

    /** Constraint ids follow reduce_window's numbering; select_and_scatter numbers padding c8. */
    private static String rule(String opPrefix, int reduceWindowNumber) {
        int n = opPrefix.equals("select_and_scatter") && reduceWindowNumber == 12 ? 8 : reduceWindowNumber;
        return opPrefix + "_c" + n;
    }

    private static void checkSize(Operation op, long[] attr, int n, String name, String rule) {
        if (attr != null && attr.length != 0 && attr.length != n) {
            throw fail(op, rule, "expects " + name + " to have same dimension-size as size of window dimensions ("
                    + n + "), but got: " + attr.length + ".");
        }
    }

    /** The shape a window sweep over {@code base} produces (dynamic where the base or window is dynamic). */
    long[] outputShape(long[] base) {
        long[] out = new long[base.length];
        for (int i = 0; i < base.length; i++) {
            if (base[i] == TensorType.DYNAMIC || size[i] == TensorType.DYNAMIC) {
                out[i] = TensorType.DYNAMIC;
                continue;
            }
            long dilatedBase = dilated(base[i], baseDilation[i]);
            long padded = padLow[i] + dilatedBase + padHigh[i];
            long dilatedWindow = dilated(size[i], windowDilation[i]);
            out[i] = padded <= 0 || dilatedWindow > padded ? 0 : (padded - dilatedWindow) / stride[i] + 1;
        }
        return out;
    }

    private static long dilated(long bound, long dilation) { return bound == 0 ? 0 : (bound - 1) * dilation + 1; }
}
