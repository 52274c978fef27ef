package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code chlo.scan}: walks {@code dimension} (backwards when {@code is_reverse}); at each position the body takes
 * the inputs' slices and the carries, and returns the outputs' slices followed by the new carries. Results are
 * the stacked outputs, then the final carries.
 */
final class ScanKernel {
    private ScanKernel() {}

    static void register() {
        Kernels.put("chlo.scan", ScanKernel::eval);
    }

    static List<RtValue> eval(Operation op, List<RtValue> args, Frame f) {
        long[] seg = Attrs.ints(op, "operandSegmentSizes");
        long[] rseg = Attrs.ints(op, "resultSegmentSizes");
        int nIn = seg != null ? (int) seg[0] : args.size() / 2;
        int nOut = rseg != null ? (int) rseg[0] : op.numResults() - (args.size() - nIn);
        int nCarry = args.size() - nIn;
        int dim = (int) Attrs.integer(op, "dimension", 0);
        boolean reverse = Attrs.flag(op, "is_reverse");
        List<Tensor> inputs = new ArrayList<>();
        for (int i = 0; i < nIn; i++) inputs.add((Tensor) args.get(i));
        List<RtValue> carries = new ArrayList<>(args.subList(nIn, args.size()));
        Tensor[] outs = new Tensor[nOut];
        for (int k = 0; k < nOut; k++) outs[k] = Tensor.blank(op.result(k).type());
        long len = inputs.isEmpty() ? outs[0].shape[dim] : inputs.get(0).shape[dim];
        for (long step = 0; step < len; step++) {
            int pos = (int) (reverse ? len - 1 - step : step);
            List<RtValue> blockArgs = new ArrayList<>();
            for (Tensor x : inputs) blockArgs.add(RaggedDot.selectIndex(x, dim, pos));
            blockArgs.addAll(carries);
            List<RtValue> r = f.region(op.region(0), blockArgs);
            for (int k = 0; k < nOut; k++) place(outs[k], (Tensor) r.get(k), dim, pos);
            carries = new ArrayList<>(r.subList(nOut, nOut + nCarry));
        }
        List<RtValue> res = new ArrayList<>(List.of((RtValue[]) outs));
        res.addAll(carries);
        return res;
    }

    /** Writes {@code slice} (rank one less) at index {@code pos} of {@code dim} in {@code dst}. */
    private static void place(Tensor dst, Tensor slice, int dim, int pos) {
        long[] start = new long[dst.rank()];
        start[dim] = pos;
        long[] shape = dst.shape.clone();
        shape[dim] = 1;
        Tensor u = slice.reshaped(TensorType.of(dst.elementType, shape));
        Tensor updated = ShapeKernels.updateSlice(dst, u, start);
        Layout.copy(updated, 0, dst, 0, dst.size);
    }
}
