package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code stablehlo.sort} (a merge sort, hence always stable, driven by the comparator region; rows of at most 16
 * elements under a primitive comparator take {@link SortRows}' insertion sort, which returns the same order) and
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
        StopCheck stop = StopCheck.current(); // n log n comparisons: a long sort stops between two merges
        int[] a = new int[n], tmp = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int w = 1; w < n; w *= 2) {
            for (int lo = 0; lo < n - w; lo += 2 * w) {
                int mid = lo + w, hi = Math.min(lo + 2 * w, n);
                stop.poll(hi - lo);
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
        Plan plan = plan(direct(cmp), xs);
        SortRows rows = len <= SortRows.MAX_LEN ? SortRows.of(plan) : null;
        long[] rowKeys = rows == null ? null : new long[len];
        int[] rowPerm = rows == null ? null : new int[len];
        StopCheck stop = StopCheck.current();
        for (int s = 0; s < outer; s++) {
            stop.poll((long) len * n); // many short rows: each row is checked as a whole
            int base = (s / stride) * stride * len + (s % stride);
            if (rows != null && rows.order(base, stride, len, rowKeys, rowPerm)) {
                permute(xs, rs, base, stride, len, rowPerm);
                continue;
            }
            int[] packed = packedStableSort(cmp, xs, base, stride, len);
            Less direct = packed != null || plan == null ? null : directLess(plan, base, stride);
            int[] perm = packed != null ? packed : direct != null ? mergeSort(len, direct) : mergeSort(len, (a, b) -> {
                cargs.clear();
                for (int k = 0; k < n; k++) {
                    cargs.add(xs[k].element(base + a * stride));
                    cargs.add(xs[k].element(base + b * stride));
                }
                return ((Tensor) f.region(cmp, cargs).get(0)).ints[0] != 0;
            });
            permute(xs, rs, base, stride, len, perm);
        }
        return List.of((RtValue[]) rs);
    }

    /** Every operand's row at {@code base} (elements {@code stride} apart) written to its result in order {@code perm}. */
    private static void permute(Tensor[] xs, Tensor[] rs, int base, int stride, int len, int[] perm) {
        for (int k = 0; k < xs.length; k++) {
            Tensor src = xs[k], dst = rs[k];
            if (src.ints != null) for (int i = 0; i < len; i++) dst.ints[base + i * stride] = src.ints[base + perm[i] * stride];
            else if (src.im == null) for (int i = 0; i < len; i++) dst.re[base + i * stride] = src.re[base + perm[i] * stride];
            else for (int i = 0; i < len; i++) dst.copyElement(base + i * stride, src, base + perm[i] * stride);
        }
    }

    /**
     * The comparator as a primitive test of the row at {@code base}: the same answers as evaluating the region,
     * without building scalar tensors.
     */
    static Less directLess(Plan plan, int base, int stride) {
        Tensor t = plan.t();
        Key k = plan.key();
        KeyOrder order = plan.order();
        Compare.Dir dir = plan.dir();
        Less less = order == KeyOrder.IEEE // any direction, NaNs included: Compare.ieee is the compare kernel's test
                ? (p, q) -> Compare.ieee(dir, k.of(t.re[base + p * stride]), k.of(t.re[base + q * stride]))
                : (p, q) -> Compare.test(dir, Long.compare(order.key(t, base + p * stride, k), order.key(t, base + q * stride, k)));
        return plan.swapped() ? (p, q) -> less.less(q, p) : less;
    }

    /** A comparator that returns one compare of keys {@code x} and {@code y} of the same operand's two elements. */
    record Direct(Operation compare, Key x, Key y) {}

    /**
     * A {@link Direct} comparator read against the sort's operands, the one analysis behind {@link #directLess} and
     * {@link SortRows}: it compares keys {@code key} of operand {@code t} in {@code order} with direction {@code dir};
     * {@code swapped} when it reads (rhs element, lhs element), which reverses the direction.
     */
    record Plan(Tensor t, Key key, KeyOrder order, Compare.Dir dir, boolean swapped) {}

    /** Null without a {@link Direct} comparator, for complex keys, and for JAX's canonical keys of anything but floats. */
    static Plan plan(Direct d, Tensor[] xs) {
        if (d == null) return null;
        Key kx = d.x();
        Tensor t = xs[kx.arg() / 2];
        if (kx.canonical() && t.elem != Elem.FLOAT) return null;
        KeyOrder order = KeyOrder.of(t.elem, "TOTALORDER".equals(Attrs.enumValue(d.compare(), "compare_type")));
        if (order == null) return null;
        String dir = Attrs.enumValue(d.compare(), "comparison_direction");
        if (dir == null) return null; // the region's evaluation reports it
        return new Plan(t, kx, order, Compare.Dir.valueOf(dir), kx.arg() % 2 == 1);
    }

    /** The comparator as a {@link Direct}, or null (analysed once per sort, not per row). */
    static Direct direct(Region cmp) {
        if (cmp.blocks().size() != 1) return null;
        Block b = cmp.entry();
        List<Operation> ops = b.operations();
        Operation ret = ops.get(ops.size() - 1);
        if (ret.numOperands() != 1 || !(ret.operand(0) instanceof io.hlo4j.mlir.ir.OpResult r)
                || !r.owner().name().equals("stablehlo.compare")) return null;
        Operation c = r.owner();
        Key kx = keyOf(b, c.operand(0)), ky = keyOf(b, c.operand(1));
        if (kx == null || ky == null || !kx.sameCanonicalisation(ky)) return null;
        if (kx.arg() / 2 != ky.arg() / 2 || kx.arg() == ky.arg()) return null;
        return new Direct(c, kx, ky);
    }

    /**
     * A comparator operand: block argument {@code arg}, read as it is or, when {@code canonical}, as JAX's sort key of
     * it: {@code zero} for either zero, {@code nan} for any NaN.
     */
    record Key(int arg, boolean canonical, double zero, double nan) {
        /** An element read as it is (top_k's keys). */
        static final Key PLAIN = new Key(-1, false, 0, 0);

        double of(double v) { return !canonical ? v : v != v ? nan : v == 0 ? zero : v; }

        boolean sameCanonicalisation(Key o) {
            return canonical == o.canonical && Double.doubleToRawLongBits(zero) == Double.doubleToRawLongBits(o.zero)
                    && Double.doubleToRawLongBits(nan) == Double.doubleToRawLongBits(o.nan);
        }
    }

    /**
     * {@code v} as a {@link Key}: a block argument, or JAX's canonical sort key of one,
     * {@code select(compare NE x, x, select(compare EQ x, 0, 0, x))} with a NaN and zero constants (the form jax.lax.sort's
     * comparator and the DSL's sort emit); null for anything else.
     */
    private static Key keyOf(Block b, io.hlo4j.mlir.ir.Value v) {
        int a = argIndex(b, v);
        if (a >= 0) return new Key(a, false, 0, 0);
        Operation nanSel = producer(v, "stablehlo.select");
        if (nanSel == null) return null;
        Operation isNan = producer(nanSel.operand(0), "stablehlo.compare"), zeroSel = producer(nanSel.operand(2), "stablehlo.select");
        Double nan = constant(nanSel.operand(1));
        if (isNan == null || zeroSel == null || nan == null || !Double.isNaN(nan)) return null;
        Operation isZero = producer(zeroSel.operand(0), "stablehlo.compare");
        Double zero = constant(zeroSel.operand(1));
        io.hlo4j.mlir.ir.Value x = zeroSel.operand(2);
        a = argIndex(b, x);
        if (isZero == null || zero == null || zero != 0 || a < 0) return null;
        if (isNan.operand(0) != x || isNan.operand(1) != x || !ieeeCompare(isNan, "NE") || !ieeeCompare(isZero, "EQ")) return null;
        io.hlo4j.mlir.ir.Value other = isZero.operand(0) == x ? isZero.operand(1) : isZero.operand(1) == x ? isZero.operand(0) : null;
        Double z = other == null ? null : constant(other);
        if (z == null || z != 0) return null;
        return new Key(a, true, zero, nan);
    }

    private static Operation producer(io.hlo4j.mlir.ir.Value v, String name) {
        return v instanceof io.hlo4j.mlir.ir.OpResult r && r.owner().name().equals(name) ? r.owner() : null;
    }

    /** A compare of direction {@code dir} with IEEE semantics (FLOAT, or no type given). */
    private static boolean ieeeCompare(Operation c, String dir) {
        String type = Attrs.enumValue(c, "compare_type");
        return dir.equals(Attrs.enumValue(c, "comparison_direction")) && (type == null || type.equals("FLOAT") || type.equals("NOTYPE"));
    }

    /** The value of a scalar float constant, or null. */
    private static Double constant(io.hlo4j.mlir.ir.Value v) {
        Operation c = producer(v, "stablehlo.constant");
        if (c == null || !(c.attr("value") instanceof io.hlo4j.mlir.attr.DenseElementsAttr d)) return null;
        io.hlo4j.runtime.array.HostArray h = io.hlo4j.runtime.array.HostArray.fromDense(d);
        return h.type().numElements() == 1 && h.type().elementType() instanceof io.hlo4j.mlir.types.FloatType ? h.getDouble(0) : null;
    }

    /**
     * For a strict comparator ({@code LT} or {@code GT} on one operand's elements) of integer keys of at most 32 bits,
     * the stable order is the only order a stable sort may return: keys (ascending, or bit-flipped for descending)
     * are packed above the position into longs and sorted as primitives. Null when that does not apply.
     */
    static int[] packedStableSort(Region cmp, Tensor[] xs, int base, int stride, int len) {
        if (cmp.blocks().size() != 1) return null;
        Block b = cmp.entry();
        List<Operation> ops = b.operations();
        if (ops.size() != 2 || !ops.get(0).name().equals("stablehlo.compare") || ops.get(1).numOperands() != 1
                || ops.get(1).operand(0) != ops.get(0).result()) return null;
        Operation c = ops.get(0);
        int x = argIndex(b, c.operand(0)), y = argIndex(b, c.operand(1));
        if (x < 0 || y < 0 || x / 2 != y / 2 || x == y) return null;
        Tensor t = xs[x / 2];
        if (!(t.elementType instanceof IntegerType it) || it.width() > 32 || t.elem == Elem.BOOL) return null;
        String dir = Attrs.enumValue(c, "comparison_direction");
        if (!dir.equals("LT") && !dir.equals("GT")) return null;
        boolean ascending = dir.equals("LT") != (x % 2 == 1); // compare(b, a) flips the direction
        // Keys as unsigned 32-bit ints in the wanted order: signed values get their sign bit flipped, and a
        // descending order complements them.
        int flip = (t.elem == Elem.UNSIGNED ? 0 : Integer.MIN_VALUE) ^ (ascending ? 0 : -1);
        int[] keys = new int[len];
        for (int i = 0; i < len; i++) keys[i] = (int) t.ints[base + i * stride] ^ flip;
        return radixOrder(keys);
    }

    /**
     * The stable ascending order of unsigned 32-bit keys: an LSD radix sort by bytes (each pass a stable counting
     * sort), skipping the bytes in which no two keys differ. Ties keep their positions, as a stable sort must.
     */
    static int[] radixOrder(int[] keys) {
        int len = keys.length;
        int[] perm = new int[len], tmp = new int[len];
        for (int i = 0; i < len; i++) perm[i] = i;
        int varying = 0;
        for (int i = 1; i < len; i++) varying |= keys[i] ^ keys[0];
        int[] count = new int[257];
        for (int shift = 0; shift < 32; shift += 8) {
            if (((varying >>> shift) & 0xFF) == 0) continue;
            java.util.Arrays.fill(count, 0);
            for (int i = 0; i < len; i++) count[((keys[i] >>> shift) & 0xFF) + 1]++;
            for (int d = 0; d < 256; d++) count[d + 1] += count[d];
            for (long i0 = 0; i0 < len; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, len); i < iEnd; i++) { // up to four passes over every key
                int p = perm[i];
                tmp[count[(keys[p] >>> shift) & 0xFF]++] = p;
            }
            int[] swap = perm;
            perm = tmp;
            tmp = swap;
        }
        return perm;
    }

    private static int argIndex(Block b, io.hlo4j.mlir.ir.Value v) {
        for (int i = 0; i < b.arguments().size(); i++) if (b.argument(i) == v) return i;
        return -1;
    }

    private static List<RtValue> topK(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0);
        long kAttr = Attrs.integer(op, "k", -1);
        // The verifier's checks, with its words: callers that skip verification reach the kernel too.
        String values = "; operand " + x.type + ", k = " + kAttr;
        if (x.rank() < 1) throw InterpreterException.at(op, "operand's rank must be at least 1" + values);
        int len = (int) x.shape[x.rank() - 1];
        if (kAttr < 0) throw InterpreterException.at(op, "k must be non-negative, got " + kAttr + values);
        if (kAttr > len) throw InterpreterException.at(op, "operand's last dimension must be at least " + kAttr + values);
        KeyOrder order = KeyOrder.of(x.elem, true); // floats in total order
        if (order == null) throw InterpreterException.at(op, "complex numbers have no order" + values);
        int k = (int) kAttr;
        long[] shape = x.shape.clone();
        shape[shape.length - 1] = k;
        TensorType vt = TensorType.of(x.elementType, shape), declared = (TensorType) op.result(0).type();
        TensorType it = (TensorType) op.result(1).type();
        if (!compatible(declared, vt) || !compatible(it, TensorType.of(it.elementType(), shape)) || !(it.elementType() instanceof IntegerType)) {
            throw InterpreterException.at(op, "results " + declared + ", " + it + " do not fit: values " + vt
                    + " and integer indices of that shape" + values);
        }
        it = TensorType.of(it.elementType(), shape);
        Tensor vals = Tensor.zeros(vt), idx = Tensor.zeros(it);
        int rows = len == 0 ? 0 : x.size / len;
        StopCheck stop = StopCheck.current();
        boolean small = len <= SortRows.MAX_LEN;
        long[] keys = small ? new long[len] : null;
        int[] smallPerm = small ? new int[len] : null;
        for (int r = 0; r < rows; r++) {
            stop.poll(len);
            int base = r * len;
            int[] perm;
            if (small) { // descending keys, a strict weak order: the insertion sort's stable order is the merge sort's
                for (int i = 0; i < len; i++) keys[i] = ~order.key(x, base + i, Key.PLAIN);
                SortRows.insertionOrder(keys, len, smallPerm);
                perm = smallPerm;
            } else {
                perm = mergeSort(len, (a, b) -> greater(order, x, base + a, base + b));
            }
            for (int j = 0; j < k; j++) {
                vals.copyElement(r * k + j, x, base + perm[j]);
                idx.ints[r * k + j] = Elem.wrap(it.elementType(), perm[j]);
            }
        }
        return List.of(vals, idx);
    }

    /** Same element type, and the same shape where {@code declared} is static. */
    private static boolean compatible(TensorType declared, TensorType actual) {
        if (!declared.elementType().equals(actual.elementType()) || declared.rank() != actual.rank()) return false;
        for (int d = 0; d < declared.rank(); d++) if (!declared.isDynamicDim(d) && declared.dim(d) != actual.dim(d)) return false;
        return true;
    }

    /** top_k's ranking: element {@code a} of {@code x} before element {@code b}. */
    private static boolean greater(KeyOrder order, Tensor x, int a, int b) {
        return order.key(x, a, Key.PLAIN) > order.key(x, b, Key.PLAIN);
    }

    static IntegerType i32() { return IntegerType.I32; }
}
