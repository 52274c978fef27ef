package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;

/**
 * Uniform quantization as the spec defines it: {@code uniform_quantize}, {@code uniform_dequantize}, and every
 * other op on quantized tensors evaluated as dequantize -> float op -> quantize. Quantized tensors hold their
 * stored integers; scales apply per tensor or per axis.
 */
final class Quant {
    private Quant() {}

    static void register() {
        Kernels.put("stablehlo.uniform_quantize", (op, args, f) ->
                List.of(quantize(toFloat((Tensor) args.get(0)), (TensorType) op.result().type())));
        Kernels.put("stablehlo.uniform_dequantize", (op, args, f) -> List.of(toFloat((Tensor) args.get(0))));
    }

    static boolean isQuantized(Type t) { return t instanceof TensorType tt && tt.elementType() instanceof QuantizedType; }

    /** Ops whose kernels read quantized storage directly; every other op on quantized values goes through floats. */
    static boolean needsDequantizedEvaluation(Operation op) {
        String n = op.name();
        if (n.equals("stablehlo.uniform_quantize") || n.equals("stablehlo.uniform_dequantize") || n.equals("stablehlo.constant")
                || n.equals("stablehlo.bitcast_convert")
                || n.startsWith("check.") || n.equals("stablehlo.custom_call") || n.equals("func.call")) {
            return false;
        }
        for (var v : op.operands()) if (isQuantized(v.type())) return true;
        for (var r : op.results()) if (isQuantized(r.type())) return true;
        return false;
    }

    /** Evaluates {@code op} on dequantized operands with float result types, then quantizes the results. */
    static List<RtValue> evalDequantized(Operation op, List<RtValue> args, Frame frame, Kernel kernel) {
        if (!op.regions().isEmpty()) {
            throw new InterpreterException("not supported by the interpreter: " + op.name() + " with regions on quantized types", op.location());
        }
        List<RtValue> floats = new ArrayList<>(args.size());
        for (RtValue a : args) floats.add(a instanceof Tensor t && t.elementType instanceof QuantizedType ? toFloat(t) : a);
        Operation.Builder b = Operation.builder(op.name()).operands(op.operands()).properties(op.properties())
                .attributes(op.attributes()).location(op.location());
        for (var r : op.results()) b.resultType(isQuantized(r.type()) ? expressed((TensorType) r.type()) : r.type());
        Operation shadow = b.build();
        List<RtValue> out = kernel.eval(shadow, floats, frame);
        List<RtValue> res = new ArrayList<>(out.size());
        for (int i = 0; i < out.size(); i++) {
            Type rt = op.result(i).type();
            res.add(isQuantized(rt) ? quantize((Tensor) out.get(i), (TensorType) rt) : out.get(i));
        }
        return res;
    }

    static TensorType expressed(TensorType t) {
        return t.withElementType(((QuantizedType) t.elementType()).expressedType());
    }

    private static double scale(QuantizedType q, long[] shape, int i) {
        if (!q.isPerAxis()) return q.scales().get(0);
        return q.scales().get(axisIndex(q, shape, i));
    }

    private static long zeroPoint(QuantizedType q, long[] shape, int i) {
        if (!q.isPerAxis()) return q.zeroPoints().get(0);
        return q.zeroPoints().get(axisIndex(q, shape, i));
    }

    private static int axisIndex(QuantizedType q, long[] shape, int i) {
        int d = q.quantizedDimension();
        long inner = 1;
        for (int k = d + 1; k < shape.length; k++) inner *= shape[k];
        return (int) ((i / inner) % shape[d]);
    }

    /** A quantized tensor's values in its expressed type; a float tensor unchanged. */
    static Tensor toFloat(Tensor x) {
        if (!(x.elementType instanceof QuantizedType q)) return x;
        FloatType ft = q.expressedType();
        Tensor r = Tensor.zeros(x.type.withElementType(ft));
        boolean unsigned = q.storageType().isUnsigned();
        for (long i0 = 0; i0 < x.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, x.size); i < iEnd; i++) {
            long v = x.ints[i];
            double centred = Elem.round(ft, (unsigned ? Tensor.unsignedToDouble(v) : v) - zeroPoint(q, x.shape, i));
            r.re[i] = Elem.round(ft, centred * Elem.round(ft, scale(q, x.shape, i)));
        }
        return r;
    }

    /** {@code clamp(round_nearest_even(x / scale + zero_point), storage_min, storage_max)} in the expressed type. */
    static Tensor quantize(Tensor x, TensorType qt) {
        QuantizedType q = (QuantizedType) qt.elementType();
        FloatType ft = q.expressedType();
        ElementType st = q.storageType();
        long min = q.storageMin() != null ? q.storageMin() : Elem.minInt(q.storageType());
        long max = q.storageMax() != null ? q.storageMax() : Elem.maxInt(q.storageType());
        Tensor r = Tensor.zeros(qt);
        for (long i0 = 0; i0 < x.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, x.size); i < iEnd; i++) {
            double v = Elem.round(ft, x.re[i] / Elem.round(ft, scale(q, x.shape, i)));
            v = Math.rint(Elem.round(ft, v + zeroPoint(q, x.shape, i)));
            long s;
            if (Double.isNaN(v)) s = 0;
            else s = v <= min ? min : v >= max ? max : (long) v;
            r.ints[i] = Elem.wrap(st, s);
        }
        return r;
    }
}
