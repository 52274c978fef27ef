package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code stablehlo.sort} (a merge sort, hence always stable, driven by the comparator region) and
 * {@code chlo.top_k} (descending, ties to the lower index, floats in total order).
 */
final class SortKernels {
    private SortKernels() {}

    interface Less { boolean less(int a, int b); }

    static void register() {
        Kernels.put("stablehlo.sort", SortKernels::sort);
        Kernels.put("chlo.top_k", SortKernels::topK);
    }

    /** Stable merge sort of positions {@code 0..n-1}. */
    static int[] mergeSort(int n, Less less) {
        int[] a = new int[n], tmp = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int w = 1; w < n; w *= 2) {
            for (int lo = 0; lo < n - w; lo += 2 * w) {
                int mid = lo + w, hi = Math.min(lo + 2 * w, n);
                int i = lo, j = mid, k = lo;
                while (i < mid && j < hi) tmp[k++] = less.less(a[j], a[i]) ? a[j++] : a[i++];
                while (i < mid) tmp[k++] = a[i++];
                while (j < hi) tmp[k++] = a[j++];
                System.arraycopy(tmp, lo, a, lo, hi - lo);
            }
        }
        return a;
    }

    private static List<RtValue> sort(Operation op, List<RtValue> args, Frame f) {
        int n = args.size();
        Tensor[] xs = new Tensor[n], rs = new Tensor[n];
        for (int k = 0; k < n; k++) {
            xs[k] = (Tensor) args.get(k);
            rs[k] = xs[k].blank();
        }
        Tensor x = xs[0];
        int rank = x.rank();
        int dim = (int) Attrs.integer(op, "dimension", -1);
        if (dim < 0) dim += rank;
        Region cmp = op.region(0);
        int len = (int) x.shape[dim];
        int stride = Tensor.strides(x.shape)[dim];
        int outer = len == 0 ? 0 : x.size / len;
        List<RtValue> cargs = new ArrayList<>(2 * n);
        for (int s = 0; s < outer; s++) {
            int base = (s / stride) * stride * len + (s % stride);
            int[] perm = mergeSort(len, (a, b) -> {
                cargs.clear();
                for (int k = 0; k < n; k++) {
                    cargs.add(xs[k].element(base + a * stride));
                    cargs.add(xs[k].element(base + b * stride));
                }
                return ((Tensor) f.region(cmp, cargs).get(0)).ints[0] != 0;
            });
            for (int k = 0; k < n; k++) {
                for (int i = 0; i < len; i++) rs[k].copyElement(base + i * stride, xs[k], base + perm[i] * stride);
            }
        }
        return List.of((RtValue[]) rs);
    }

    private static List<RtValue> topK(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0);
        int k = (int) Attrs.integer(op, "k", -1);
        TensorType vt = (TensorType) op.result(0).type(), it = (TensorType) op.result(1).type();
        Tensor vals = Tensor.zeros(vt), idx = Tensor.zeros(it);
        int len = (int) x.shape[x.rank() - 1];
        int rows = len == 0 ? 0 : x.size / len;
        for (int r = 0; r < rows; r++) {
            int base = r * len;
            int[] perm = mergeSort(len, (a, b) -> greater(x, base + a, base + b));
            for (int j = 0; j < k; j++) {
                vals.copyElement(r * k + j, x, base + perm[j]);
                idx.ints[r * k + j] = Elem.wrap(it.elementType(), perm[j]);
            }
        }
        return List.of(vals, idx);
    }

    private static boolean greater(Tensor x, int a, int b) {
        return switch (x.elem) {
            case FLOAT -> Compare.totalKey(x.re[a]) > Compare.totalKey(x.re[b]);
            case SIGNED -> x.ints[a] > x.ints[b];
            case UNSIGNED, BOOL -> Long.compareUnsigned(x.ints[a], x.ints[b]) > 0;
            case COMPLEX -> throw new IllegalArgumentException("top_k of complex numbers");
        };
    }

    static IntegerType i32() { return IntegerType.I32; }
}
