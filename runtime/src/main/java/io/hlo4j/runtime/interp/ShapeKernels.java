package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/** Constants and data movement: iota, broadcast, reshape, transpose, slices, pad, concatenate, reverse. */
final class ShapeKernels {
    private ShapeKernels() {}

    static void register() {
        Kernels.put("stablehlo.constant", ShapeKernels::constant);
        Kernels.put("stablehlo.iota", (op, a, f) -> List.of(iota(op, (TensorType) op.result().type())));
        Kernels.put("stablehlo.dynamic_iota", (op, a, f) -> List.of(iota(op, staticResult(op))));
        Kernels.put("stablehlo.broadcast_in_dim", (op, a, f) ->
                List.of(broadcast((Tensor) a.get(0), (TensorType) op.result().type(), Attrs.required(op, "broadcast_dimensions"))));
        Kernels.put("stablehlo.broadcast", (op, a, f) -> { // legacy: broadcast_sizes are prepended
            Tensor x = (Tensor) a.get(0);
            TensorType rt = (TensorType) op.result().type();
            long[] dims = new long[x.rank()];
            for (int i = 0; i < dims.length; i++) dims[i] = rt.rank() - x.rank() + i;
            return List.of(broadcast(x, rt, dims));
        });
        Kernels.put("stablehlo.dynamic_broadcast_in_dim", (op, a, f) ->
                List.of(broadcast((Tensor) a.get(0), shapeFrom(op, (Tensor) a.get(1)), Attrs.required(op, "broadcast_dimensions"))));
        Kernels.put("stablehlo.reshape", (op, a, f) -> List.of(((Tensor) a.get(0)).reshaped((TensorType) op.result().type())));
        Kernels.put("stablehlo.dynamic_reshape", (op, a, f) -> List.of(((Tensor) a.get(0)).reshaped(shapeFrom(op, (Tensor) a.get(1)))));
        Kernels.put("stablehlo.transpose", (op, a, f) ->
                List.of(transpose((Tensor) a.get(0), (TensorType) op.result().type(), Attrs.required(op, "permutation"))));
        Kernels.put("stablehlo.slice", (op, a, f) -> {
            Tensor x = (Tensor) a.get(0);
            long[] start = Attrs.required(op, "start_indices");
            long[] strides = Attrs.ints(op, "strides", ones(x.rank()));
            return List.of(slice(x, (TensorType) op.result().type(), start, strides));
        });
        Kernels.put("stablehlo.dynamic_slice", (op, a, f) -> {
            Tensor x = (Tensor) a.get(0);
            long[] sizes = Attrs.required(op, "slice_sizes");
            long[] start = clampedStarts(x.shape, sizes, a.subList(1, a.size()));
            return List.of(slice(x, (TensorType) op.result().type(), start, ones(x.rank())));
        });
        Kernels.put("stablehlo.real_dynamic_slice", (op, a, f) -> {
            Tensor x = (Tensor) a.get(0);
            long[] start = ((Tensor) a.get(1)).ints, strides = ((Tensor) a.get(3)).ints;
            return List.of(slice(x, (TensorType) op.result().type(), start, strides));
        });
        Kernels.put("stablehlo.dynamic_update_slice", (op, a, f) -> {
            Tensor x = (Tensor) a.get(0), u = (Tensor) a.get(1);
            long[] start = clampedStarts(x.shape, u.shape, a.subList(2, a.size()));
            return List.of(updateSlice(x, u, start));
        });
        Kernels.put("stablehlo.pad", (op, a, f) -> List.of(pad((Tensor) a.get(0), (Tensor) a.get(1), (TensorType) op.result().type(),
                Attrs.required(op, "edge_padding_low"), Attrs.required(op, "interior_padding"))));
        Kernels.put("stablehlo.dynamic_pad", (op, a, f) -> List.of(pad((Tensor) a.get(0), (Tensor) a.get(1), staticResult(op),
                ((Tensor) a.get(2)).ints, ((Tensor) a.get(4)).ints)));
        Kernels.put("stablehlo.concatenate", (op, a, f) -> {
            List<Tensor> ts = new ArrayList<>();
            for (RtValue v : a) ts.add((Tensor) v);
            return List.of(concatenate(ts, (int) Attrs.integer(op, "dimension", 0), (TensorType) op.result().type()));
        });
        Kernels.put("stablehlo.reverse", (op, a, f) -> List.of(reverse((Tensor) a.get(0), Attrs.required(op, "dimensions"))));
        Kernels.put("stablehlo.get_dimension_size", (op, a, f) -> {
            Tensor x = (Tensor) a.get(0);
            int d = (int) Attrs.integer(op, "dimension", 0);
            return List.of(Tensor.ofInts((TensorType) op.result().type(), new long[] {x.shape[d]}));
        });
    }

    static List<RtValue> constant(Operation op, List<RtValue> args, Frame f) {
        Attribute v = op.attr("value");
        if (!(v instanceof DenseElementsAttr d)) throw InterpreterException.at(op, "value must be dense elements, got " + v);
        return List.of(f.interpreter().constant(d));
    }

    static long[] ones(int n) {
        long[] o = new long[n];
        java.util.Arrays.fill(o, 1);
        return o;
    }

    private static TensorType staticResult(Operation op) {
        TensorType t = (TensorType) op.result().type();
        if (!t.hasStaticShape()) throw InterpreterException.at(op, "dynamic result shape " + t + " is not supported by the interpreter");
        return t;
    }

    private static TensorType shapeFrom(Operation op, Tensor shape) {
        TensorType t = (TensorType) op.result().type();
        return TensorType.of(t.elementType(), shape.ints.clone());
    }

    static Tensor iota(Operation op, TensorType rt) {
        int dim = (int) Attrs.integer(op, "iota_dimension", 0);
        Tensor r = Tensor.zeros(rt);
        long[] shape = rt.shape();
        long inner = 1;
        for (int d = dim + 1; d < shape.length; d++) inner *= shape[d];
        long len = shape.length == 0 ? 1 : shape[dim];
        if (r.ints != null && rt.elementType() instanceof io.hlo4j.mlir.types.IntegerType it && !it.isBool()
                && (it.width() == 64 || len - 1 <= Elem.maxInt(it))) {
            // every value 0..len-1 fits the type: no wrapping, one run per value
            StopCheck stop = StopCheck.current();
            for (int i = 0, n = r.size; i < n; ) {
                long v = (i / inner) % len;
                int end = (int) Math.min(n, i + inner - i % inner);
                java.util.Arrays.fill(r.ints, i, end, v);
                stop.poll(end - i + 1);
                i = end;
            }
            return r;
        }
        long innerL = inner;
        FloatLoops.forRange(r.size, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                long v = (i / innerL) % len;
                if (r.ints != null) r.ints[i] = Elem.wrap(rt.elementType(), v);
                else r.re[i] = r.elem == Elem.COMPLEX ? Elem.round(((io.hlo4j.mlir.types.ComplexType) rt.elementType()).elementType(), v)
                        : Elem.round((io.hlo4j.mlir.types.FloatType) rt.elementType(), v);
            }
        });
        return r;
    }

    static Tensor broadcast(Tensor x, TensorType rt, long[] dims) {
        Tensor r = Tensor.zeros(rt);
        int[] os = Tensor.strides(x.shape);
        long[] ss = new long[rt.rank()];
        for (int k = 0; k < dims.length; k++) ss[(int) dims[k]] = x.shape[k] == 1 ? 0 : os[k];
        Layout.affineGather(r, x, 0, ss);
        return r;
    }

    static Tensor transpose(Tensor x, TensorType rt, long[] perm) {
        Tensor r = Tensor.zeros(rt);
        if (TransposeTiles.applies(x, perm)) { // the last dimension moves: in cache-sized tiles
            TransposeTiles.transpose(x, perm, r);
            return r;
        }
        int[] os = Tensor.strides(x.shape);
        long[] ss = new long[perm.length];
        for (int d = 0; d < perm.length; d++) ss[d] = os[(int) perm[d]];
        Layout.affineGather(r, x, 0, ss);
        return r;
    }

    static Tensor slice(Tensor x, TensorType rt, long[] start, long[] strides) {
        Tensor r = Tensor.zeros(rt);
        int[] os = Tensor.strides(x.shape);
        long base = 0;
        long[] ss = new long[x.rank()];
        for (int d = 0; d < ss.length; d++) {
            base += start[d] * os[d];
            ss[d] = os[d] * strides[d];
        }
        Layout.affineGather(r, x, base, ss);
        return r;
    }

    static Tensor reverse(Tensor x, long[] dims) {
        Tensor r = x.blank();
        int[] os = Tensor.strides(x.shape);
        long base = 0;
        long[] ss = new long[x.rank()];
        for (int d = 0; d < ss.length; d++) ss[d] = os[d];
        for (long dl : dims) {
            int d = (int) dl;
            base += (x.shape[d] - 1) * os[d];
            ss[d] = -os[d];
        }
        Layout.affineGather(r, x, base, ss);
        return r;
    }

    /** Start indices from scalar operands, clamped so that a window of {@code sizes} stays inside {@code shape}. */
    static long[] clampedStarts(long[] shape, long[] sizes, List<RtValue> idx) {
        long[] s = new long[shape.length];
        for (int d = 0; d < s.length; d++) {
            Tensor t = (Tensor) idx.get(d);
            long v = t.elem == Elem.UNSIGNED && t.ints[0] < 0 ? Long.MAX_VALUE : t.ints[0];
            s[d] = Math.max(0, Math.min(v, shape[d] - sizes[d]));
        }
        return s;
    }

    static Tensor updateSlice(Tensor x, Tensor u, long[] start) {
        Tensor r = x.blank();
        Layout.copy(x, 0, r, 0, x.size);
        if (u.size == 0) return r;
        int[] rs = Tensor.strides(x.shape);
        long[] idx = new long[u.rank()];
        int rowLen = u.rank() == 0 ? 1 : (int) u.shape[u.rank() - 1];
        StopCheck stop = StopCheck.current();
        for (int i = 0; i < u.size; i += rowLen) {
            stop.poll(rowLen);
            Layout.unflatten(i, u.shape, idx);
            int off = 0;
            for (int d = 0; d < idx.length; d++) off += (int) (start[d] + idx[d]) * rs[d];
            Layout.copy(u, i, r, off, rowLen);
        }
        return r;
    }

    static Tensor pad(Tensor x, Tensor pv, TensorType rt, long[] low, long[] interior) {
        Tensor r = Tensor.zeros(rt);
        FloatLoops.forRange(r.size, (lo, hi) -> { for (int i = lo; i < hi; i++) r.copyElement(i, pv, 0); });
        int[] rs = Tensor.strides(r.shape);
        long[] idx = new long[x.rank()];
        for (long i0 = 0; i0 < x.size; i0 += StopCheck.STEP) outer: for (int i = (int) i0, iEnd = StopCheck.end(i0, x.size); i < iEnd; i++) {
            Layout.unflatten(i, x.shape, idx);
            long off = 0;
            for (int d = 0; d < idx.length; d++) {
                long p = low[d] + idx[d] * (interior[d] + 1);
                if (p < 0 || p >= r.shape[d]) continue outer;
                off += p * rs[d];
            }
            r.copyElement((int) off, x, i);
        }
        return r;
    }

    static Tensor concatenate(List<Tensor> ts, int dim, TensorType rt) {
        Tensor r = Tensor.zeros(rt);
        long outer = 1;
        for (int d = 0; d < dim; d++) outer *= rt.dim(d);
        long innerR = r.size / Math.max(1, outer);
        long off = 0;
        StopCheck stop = StopCheck.current();
        for (Tensor t : ts) {
            long chunk = outer == 0 ? 0 : t.size / outer;
            for (long o = 0; o < outer; o++, stop.poll(chunk + 1)) Layout.copy(t, (int) (o * chunk), r, (int) (o * innerR + off), (int) chunk);
            off += chunk;
        }
        return r;
    }
}
