package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * CHLO's {@code broadcast_*} family and its small elementwise ops. A broadcast op expands its operands to the
 * result shape (numpy-style: trailing dimensions aligned, size 1 stretched; or, for operands of different rank,
 * the lower-rank operand's dimensions placed by {@code broadcast_dimensions}) and then runs the element-wise
 * kernel it names, so the arithmetic is exactly that op's. Also is_inf/is_neg_inf/is_pos_inf, constant,
 * constant_like, square and conj.
 */
final class ChloBroadcastKernels {
    private ChloBroadcastKernels() {}

    /** chlo.broadcast_X -> the kernel that computes X once the shapes agree. */
    static final Map<String, String> TARGETS = Map.ofEntries(
            Map.entry("add", "stablehlo.add"), Map.entry("sub", "stablehlo.subtract"), Map.entry("mul", "stablehlo.multiply"),
            Map.entry("div", "stablehlo.divide"), Map.entry("rem", "stablehlo.remainder"), Map.entry("max", "stablehlo.maximum"),
            Map.entry("min", "stablehlo.minimum"), Map.entry("pow", "stablehlo.power"), Map.entry("atan2", "stablehlo.atan2"),
            Map.entry("and", "stablehlo.and"), Map.entry("or", "stablehlo.or"), Map.entry("xor", "stablehlo.xor"),
            Map.entry("shift_left", "stablehlo.shift_left"),
            Map.entry("shift_right_arithmetic", "stablehlo.shift_right_arithmetic"),
            Map.entry("shift_right_logical", "stablehlo.shift_right_logical"), Map.entry("compare", "stablehlo.compare"),
            Map.entry("complex", "stablehlo.complex"), Map.entry("next_after", "chlo.next_after"),
            Map.entry("zeta", "chlo.zeta"), Map.entry("polygamma", "chlo.polygamma"), Map.entry("select", "stablehlo.select"));

    static void register() {
        for (Map.Entry<String, String> e : TARGETS.entrySet()) {
            String target = e.getValue();
            Kernels.put("chlo.broadcast_" + e.getKey(), (op, args, f) -> {
                Kernel k = Kernels.all().get(target);
                if (k == null) throw InterpreterException.at(op, "no kernel for " + target + ", which it broadcasts to");
                return k.eval(op, broadcastOperands(op, args), f);
            });
        }
        Kernels.put("chlo.is_inf", (op, args, f) -> predicate(op, args, v -> Double.isInfinite(v)));
        Kernels.put("chlo.is_pos_inf", (op, args, f) -> predicate(op, args, v -> v == Double.POSITIVE_INFINITY));
        Kernels.put("chlo.is_neg_inf", (op, args, f) -> predicate(op, args, v -> v == Double.NEGATIVE_INFINITY));
        Kernels.put("chlo.constant", (op, args, f) -> {
            if (!(op.attr("value") instanceof DenseElementsAttr d)) throw InterpreterException.at(op, "needs a dense 'value', got " + op.attr("value"));
            return List.of(Tensor.fromDense(d));
        });
        Kernels.put("chlo.constant_like", ChloBroadcastKernels::constantLike);
        // (re + i im)^2 = (re - im)(re + im) + i 2 re im: the form the CHLO decomposition uses for complex.
        Kernels.put("chlo.square", (op, args, f) -> List.of(ElementwiseKernels.unary(op, (Tensor) args.get(0), v -> v * v, null,
                (r, i, o) -> { o[0] = (r - i) * (r + i); o[1] = 2 * r * i; })));
        Kernels.put("chlo.conj", (op, args, f) -> List.of(ElementwiseKernels.unary(op, (Tensor) args.get(0), v -> v, null,
                (r, i, o) -> { o[0] = r; o[1] = -i; })));
    }

    private static List<RtValue> predicate(Operation op, List<RtValue> args, java.util.function.DoublePredicate p) {
        Tensor x = (Tensor) args.get(0);
        if (x.elem != Elem.FLOAT) throw ElementwiseKernels.unsupportedType(op, x.elementType);
        Tensor r = Tensor.blank(op.result().type());
        for (long i0 = 0; i0 < x.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, x.size); i < iEnd; i++) r.ints[i] = p.test(x.re[i]) ? 1 : 0;
        return List.of(r);
    }

    private static List<RtValue> constantLike(Operation op, List<RtValue> args, Frame f) {
        TensorType rt = (TensorType) op.result().type();
        Attribute v = op.attr("value");
        Tensor r = Tensor.zeros(rt);
        switch (v) {
            case FloatAttr fa when rt.elementType() instanceof FloatType ft -> Arrays.fill(r.re, Elem.round(ft, fa.value()));
            case IntegerAttr ia when r.elem.isInt() -> Arrays.fill(r.ints, Elem.wrap(rt.elementType(), ia.value()));
            case null, default -> throw InterpreterException.at(op, "value " + v + " does not fit result " + rt);
        }
        return List.of(r);
    }

    /** Each operand expanded to the result shape (element types kept). */
    static List<RtValue> broadcastOperands(Operation op, List<RtValue> args) {
        long[] out = ((TensorType) op.result().type()).shape();
        long[] dims = op.attr("broadcast_dimensions") == null ? null : Attrs.ints(op, "broadcast_dimensions");
        int maxRank = 0;
        for (RtValue a : args) maxRank = Math.max(maxRank, ((Tensor) a).rank());
        List<RtValue> res = new ArrayList<>(args.size());
        for (RtValue a : args) {
            Tensor x = (Tensor) a;
            int[] map = new int[x.rank()];
            if (dims != null && x.rank() < maxRank) {
                if (dims.length != x.rank()) {
                    throw InterpreterException.at(op, "broadcast_dimensions " + Arrays.toString(dims) + " has " + dims.length
                            + " entries but the lower-rank operand " + x.type + " has rank " + x.rank());
                }
                for (int i = 0; i < map.length; i++) map[i] = (int) dims[i];
            } else {
                for (int i = 0; i < map.length; i++) map[i] = out.length - x.rank() + i;
            }
            res.add(expand(op, x, out, map));
        }
        return res;
    }

    /** {@code x} broadcast to {@code out}, its dimension i landing on result dimension map[i]. */
    static Tensor expand(Operation op, Tensor x, long[] out, int[] map) {
        for (int i = 0; i < map.length; i++) {
            if (map[i] < 0 || map[i] >= out.length || (x.shape[i] != 1 && x.shape[i] != out[map[i]])) {
                throw InterpreterException.at(op, "operand " + x.type + " does not broadcast to result shape " + Arrays.toString(out)
                        + " (its dimension " + i + " maps to result dimension " + map[i] + ")");
            }
        }
        TensorType t = TensorType.of(x.elementType, out);
        if (Arrays.equals(x.shape, out)) return x;
        Tensor r = Tensor.zeros(t);
        int[] xs = Tensor.strides(x.shape);
        int[] src = new int[out.length]; // the operand stride each result dimension advances
        for (int i = 0; i < map.length; i++) if (x.shape[i] != 1) src[map[i]] += xs[i];
        long[] idx = new long[out.length];
        int from = 0;
        for (long k0 = 0; k0 < r.size; k0 += StopCheck.STEP) for (int k = (int) k0, kEnd = StopCheck.end(k0, r.size); k < kEnd; k++) {
            r.copyElement(k, x, from);
            for (int d = out.length - 1; d >= 0; d--) {
                if (++idx[d] < out[d]) { from += src[d]; break; }
                from -= (int) (src[d] * (out[d] - 1));
                idx[d] = 0;
            }
        }
        return r;
    }
}
