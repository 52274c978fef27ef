package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** VJP rules of data movement: each is the transpose of a linear map (sum for broadcast, pad for slice, ...). */
final class ShapeRules {
    private ShapeRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.broadcast_in_dim", ShapeRules::broadcastInDim);
        in.rule("stablehlo.reshape", (b, op, g) -> List.of(b.reshape(g.get(0), Backward.tensor(op.operand(0)).shape())));
        in.rule("stablehlo.transpose", (b, op, g) -> {
            long[] p = Attrs.i64s(op, "permutation"), inv = new long[p.length];
            for (int i = 0; i < p.length; i++) inv[(int) p[i]] = i;
            return List.of(b.hlo().transpose(g.get(0), inv, b.loc()));
        });
        in.rule("stablehlo.reverse", (b, op, g) -> List.of(b.ir().emit1("stablehlo.reverse", List.of(g.get(0)),
                java.util.Map.of("dimensions", op.attr("dimensions")), b.loc())));
        in.rule("stablehlo.slice", ShapeRules::slice);
        in.rule("stablehlo.pad", ShapeRules::pad);
        in.rule("stablehlo.concatenate", ShapeRules::concatenate);
        in.rule("stablehlo.dynamic_slice", (b, op, g) -> {
            List<Value> out = new ArrayList<>(Arrays.asList(new Value[op.numOperands()]));
            List<Value> starts = op.operands().subList(1, op.numOperands());
            // Same starts, same clamping: the update lands exactly where the slice was read.
            out.set(0, b.hlo().dynamicUpdateSlice(b.zerosLike(op.operand(0)), g.get(0), starts, b.loc()));
            return out;
        });
        in.rule("stablehlo.dynamic_update_slice", (b, op, g) -> {
            List<Value> out = new ArrayList<>(Arrays.asList(new Value[op.numOperands()]));
            List<Value> starts = op.operands().subList(2, op.numOperands());
            Value upd = op.operand(1);
            out.set(0, b.hlo().dynamicUpdateSlice(g.get(0), b.zerosLike(upd), starts, b.loc()));
            out.set(1, b.hlo().dynamicSlice(g.get(0), starts, Backward.tensor(upd).shape(), b.loc()));
            return out;
        });
        in.rule("stablehlo.convert", (b, op, g) -> {
            if (!Backward.differentiable(op.operand(0).type())) return Arrays.asList((Value) null);
            return List.of(b.castLike(g.get(0), op.operand(0)));
        });
        in.rule("stablehlo.select", (b, op, g) -> {
            Value zero = b.zerosLike(g.get(0)), pred = op.operand(0);
            return Arrays.asList(null, b.select(pred, g.get(0), zero), b.select(pred, zero, g.get(0)));
        });
        in.rule("stablehlo.clamp", ShapeRules::clamp);
        // A tuple's cotangent is a tuple of its elements' cotangents (see Backward.zerosOf and Backward.add).
        in.rule("stablehlo.tuple", (b, op, g) -> {
            List<Value> out = new ArrayList<>();
            for (int i = 0; i < op.numOperands(); i++) out.add(b.tupleElement(g.get(0), i));
            return out;
        });
        in.rule("stablehlo.get_tuple_element", (b, op, g) -> {
            io.hlo4j.mlir.types.TupleType t = (io.hlo4j.mlir.types.TupleType) op.operand(0).type();
            int index = (int) Attrs.i64(op, "index");
            List<Value> es = new ArrayList<>();
            for (int i = 0; i < t.types().size(); i++) es.add(i == index ? g.get(0) : b.zerosOf(t.types().get(i)));
            return List.of(b.tuple(es, t));
        });
        // Legacy broadcast prepends broadcast_sizes dims: sum them away.
        in.rule("stablehlo.broadcast", (b, op, g) -> List.of(b.sum(g.get(0),
                Attrs.iota(Backward.tensor(op.result()).rank() - Backward.tensor(op.operand(0)).rank()))));
        // Rounding to a narrower format: the cotangent is rounded the same way (as JAX does).
        in.rule("stablehlo.reduce_precision", (b, op, g) -> List.of(b.ir().emit1("stablehlo.reduce_precision", List.of(g.get(0)),
                java.util.Map.of("exponent_bits", op.attr("exponent_bits"), "mantissa_bits", op.attr("mantissa_bits")), b.loc())));
    }

    static List<Value> broadcastInDim(Backward b, Operation op, List<Value> g) {
        TensorType in = Backward.tensor(op.operand(0)), out = Backward.tensor(op.result());
        long[] dims = Attrs.i64s(op, "broadcast_dimensions");
        // Sum over the new dims and over the operand's size-1 dims that were expanded; then put the kept dims back in
        // the operand's order (broadcast_dimensions need not increase: [1, 0] transposes) and restore the shape.
        List<Long> summed = new ArrayList<>();
        List<Integer> keptSrc = new ArrayList<>();
        for (int d = 0; d < out.rank(); d++) {
            int src = indexOf(dims, d);
            if (src < 0 || (in.dim(src) == 1 && out.dim(d) != 1)) summed.add((long) d);
            else keptSrc.add(src);
        }
        Value s = b.sum(g.get(0), summed.stream().mapToLong(Long::longValue).toArray());
        Integer[] order = new Integer[keptSrc.size()];
        for (int k = 0; k < order.length; k++) order[k] = k;
        Arrays.sort(order, java.util.Comparator.comparing(keptSrc::get));
        long[] perm = new long[order.length];
        boolean identity = true;
        for (int k = 0; k < order.length; k++) { perm[k] = order[k]; identity &= order[k] == k; }
        if (!identity) s = b.hlo().transpose(s, perm, b.loc());
        return List.of(b.reshape(s, in.shape()));
    }

    private static List<Value> slice(Backward b, Operation op, List<Value> g) {
        return List.of(sliceCt(b, op, Attrs.i64s(op, "start_indices"), Attrs.i64s(op, "strides"), g.get(0)));
    }

    /** The operand cotangent of a static slice of {@code op.operand(0)} (also real_dynamic_slice with constant bounds). */
    static Value sliceCt(Backward b, Operation op, long[] start, long[] strides, Value ct) {
        TensorType in = Backward.tensor(op.operand(0)), out = Backward.tensor(op.result());
        long[] high = new long[in.rank()], interior = new long[in.rank()];
        for (int d = 0; d < in.rank(); d++) {
            interior[d] = strides[d] - 1;
            long last = out.dim(d) == 0 ? start[d] - 1 : start[d] + (out.dim(d) - 1) * strides[d];
            high[d] = in.dim(d) - 1 - last;
            if (out.dim(d) == 0) { interior[d] = 0; high[d] = in.dim(d) - start[d]; }
        }
        Value zero = b.full(TensorType.scalar(in.elementType()), 0);
        return b.hlo().pad(ct, zero, start, high, interior, b.loc());
    }

    private static List<Value> pad(Backward b, Operation op, List<Value> g) {
        return padCt(b, op, Attrs.i64s(op, "edge_padding_low"), Attrs.i64s(op, "edge_padding_high"),
                Attrs.i64s(op, "interior_padding"), g.get(0));
    }

    /** Operand and padding-value cotangents of a static pad (also dynamic_pad with constant amounts). */
    static List<Value> padCt(Backward b, Operation op, long[] low, long[] high, long[] interior, Value ct0) {
        TensorType in = Backward.tensor(op.operand(0));
        Value ct = ct0;
        // Negative edge padding crops; undo it by padding the cotangent with zeros first.
        long[] padLo = new long[low.length], padHi = new long[low.length];
        boolean crop = false;
        for (int d = 0; d < low.length; d++) {
            if (low[d] < 0) { padLo[d] = -low[d]; crop = true; }
            if (high[d] < 0) { padHi[d] = -high[d]; crop = true; }
        }
        Value scalarZero = b.full(TensorType.scalar(in.elementType()), 0);
        if (crop) ct = b.hlo().pad(ct, scalarZero, padLo, padHi, new long[low.length], b.loc());
        long[] start = new long[low.length], limit = new long[low.length], stride = new long[low.length];
        for (int d = 0; d < low.length; d++) {
            start[d] = Math.max(low[d], 0);
            stride[d] = interior[d] + 1;
            limit[d] = start[d] + (in.dim(d) == 0 ? 0 : (in.dim(d) - 1) * stride[d] + 1);
        }
        Value gx = b.hlo().slice(ct, start, limit, stride, b.loc());
        Value gpad = b.sub(b.sumAll(ct0), b.sumAll(gx));
        return List.of(gx, gpad);
    }

    private static List<Value> concatenate(Backward b, Operation op, List<Value> g) {
        int dim = (int) Attrs.i64(op, "dimension");
        TensorType out = Backward.tensor(op.result());
        List<Value> res = new ArrayList<>();
        long offset = 0;
        for (Value x : op.operands()) {
            TensorType t = Backward.tensor(x);
            long[] start = new long[out.rank()], limit = out.shape(), strides = new long[out.rank()];
            Arrays.fill(strides, 1);
            start[dim] = offset;
            limit[dim] = offset + t.dim(dim);
            offset += t.dim(dim);
            res.add(b.hlo().slice(g.get(0), start, limit, strides, b.loc()));
        }
        return res;
    }

    private static List<Value> clamp(Backward b, Operation op, List<Value> g) {
        Value lo = op.operand(0), x = op.operand(1), hi = op.operand(2), ct = g.get(0);
        Value zero = b.zerosLike(ct);
        Value loB = broadcastLike(b, lo, x), hiB = broadcastLike(b, hi, x);
        Value below = b.compare("LT", x, loB), above = b.compare("GT", x, hiB);
        Value gx = b.select(below, zero, b.select(above, zero, ct));
        Value glo = unbroadcast(b, b.select(below, ct, zero), lo);
        Value ghi = unbroadcast(b, b.select(above, ct, zero), hi);
        return List.of(glo, gx, ghi);
    }

    private static Value broadcastLike(Backward b, Value s, Value like) {
        TensorType st = Backward.tensor(s), lt = Backward.tensor(like);
        return st.rank() == lt.rank() ? s : b.broadcast(s, lt, new long[0]);
    }

    private static Value unbroadcast(Backward b, Value g, Value to) {
        return Backward.tensor(to).rank() == Backward.tensor(g).rank() ? g : b.sumAll(g);
    }

    static int indexOf(long[] a, long v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }
}
