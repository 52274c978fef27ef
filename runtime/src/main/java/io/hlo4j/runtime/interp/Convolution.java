package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.stream.IntStream;

/**
 * {@code stablehlo.convolution} as the spec defines it (window strides, padding, lhs/rhs dilation, window
 * reversal, feature and batch groups), by direct loops over output positions: each output element is a dot
 * product over (kernel spatial positions x input features of its group), accumulated like dot_general
 * (f32 with one rounding per multiply-add for f32 and narrower, f64 for f64; integers wrap).
 */
final class Convolution {
    private Convolution() {}

    static void register() {
        Kernels.put("stablehlo.convolution", Convolution::eval);
        Kernels.put("stablehlo.dynamic_conv", Convolution::eval); // padding comes from the third operand
    }

    /** Positions of batch/feature/spatial dimensions in one operand (for the kernel: batch holds o, feature i). */
    record Layout(int batch, int feature, int[] spatial) {}

    static List<RtValue> eval(Operation op, List<RtValue> args, Frame f) {
        Tensor lhs = (Tensor) args.get(0), rhs = (Tensor) args.get(1);
        TensorType rt = (TensorType) op.result().type();
        var dn = Attrs.typed(op, "dimension_numbers", io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers.class);
        Layout in = new Layout(Math.toIntExact(dn.inputBatchDimension()), Math.toIntExact(dn.inputFeatureDimension()),
                Attrs.toInts(dn.inputSpatialDimensions().toArray()));
        Layout ker = new Layout(Math.toIntExact(dn.kernelOutputFeatureDimension()), Math.toIntExact(dn.kernelInputFeatureDimension()),
                Attrs.toInts(dn.kernelSpatialDimensions().toArray()));
        Layout out = new Layout(Math.toIntExact(dn.outputBatchDimension()), Math.toIntExact(dn.outputFeatureDimension()),
                Attrs.toInts(dn.outputSpatialDimensions().toArray()));
        // For the kernel, "batch" holds o and "feature" holds i.
        int ns = in.spatial().length;
        long[] strides = Attrs.ints(op, "window_strides", ShapeKernels.ones(ns));
        long[] padding = args.size() > 2 ? ((Tensor) args.get(2)).ints : Attrs.ints(op, "padding", new long[2 * ns]);
        long[] lhsDil = Attrs.ints(op, "lhs_dilation", ShapeKernels.ones(ns));
        long[] rhsDil = Attrs.ints(op, "rhs_dilation", ShapeKernels.ones(ns));
        long[] reversal = Attrs.ints(op, "window_reversal", new long[ns]);
        int groups = (int) Attrs.integer(op, "feature_group_count", 1), batchGroups = (int) Attrs.integer(op, "batch_group_count", 1);
        int outFeatures = (int) rt.dim(out.feature()), outBatch = (int) rt.dim(out.batch());
        int kIn = (int) rhs.shape[ker.feature()];
        int perGroupOut = outFeatures / groups, perBatchGroupOut = outFeatures / batchGroups;
        int[] ls = Tensor.strides(lhs.shape), ks = Tensor.strides(rhs.shape);
        long[] kSpatial = new long[ns], inSpatial = new long[ns];
        for (int d = 0; d < ns; d++) {
            kSpatial[d] = rhs.shape[ker.spatial()[d]];
            inSpatial[d] = lhs.shape[in.spatial()[d]];
        }
        int kSize = (int) io.hlo4j.runtime.interp.Layout.product(kSpatial);
        Tensor r = Tensor.zeros(rt);
        ElementType et = rt.elementType();
        boolean isFloat = r.elem == Elem.FLOAT, f64 = isFloat && ((FloatType) et).kind() == io.hlo4j.mlir.types.FloatKind.F64;
        if (r.elem == Elem.COMPLEX) throw ElementwiseKernels.unsupportedType(op, et);
        double[] lv = isFloat ? DotKernels.operandAsDouble(lhs, (FloatType) et, null) : null;
        double[] kv = isFloat ? DotKernels.operandAsDouble(rhs, (FloatType) et, null) : null;
        long[] li = isFloat ? null : DotKernels.operandAsLong(lhs, et), ki = isFloat ? null : DotKernels.operandAsLong(rhs, et);
        IntStream positions = IntStream.range(0, r.size);
        if ((long) r.size * kSize * kIn > 1 << 20) positions = positions.parallel();
        StopCheck stop = StopCheck.current(); // workers check for the op's thread
        stop.forEach(positions, o -> {
            stop.poll((long) kSize * kIn);
            long[] oidx = new long[rt.rank()];
            io.hlo4j.runtime.interp.Layout.unflatten(o, r.shape, oidx);
            int n = (int) oidx[out.batch()], of = (int) oidx[out.feature()];
            int g = of / perGroupOut, bg = of / perBatchGroupOut;
            int inBatch = bg * outBatch + n;
            long[] kidx = new long[ns];
            double acc = 0;
            long iacc = 0;
            for (int kk = 0; kk < kSize; kk++) {
                io.hlo4j.runtime.interp.Layout.unflatten(kk, kSpatial, kidx);
                int lbase = inBatch * ls[in.batch()], kbase = of * ks[ker.batch()];
                boolean inside = true;
                for (int d = 0; d < ns; d++) {
                    long q = oidx[out.spatial()[d]] * strides[d] + kidx[d] * rhsDil[d] - padding[2 * d];
                    if (q < 0 || q % lhsDil[d] != 0 || q / lhsDil[d] >= inSpatial[d]) { inside = false; break; }
                    lbase += (int) (q / lhsDil[d]) * ls[in.spatial()[d]];
                    long kd = reversal[d] != 0 ? kSpatial[d] - 1 - kidx[d] : kidx[d];
                    kbase += (int) kd * ks[ker.spatial()[d]];
                }
                if (!inside) continue;
                for (int c = 0; c < kIn; c++) {
                    int lo = lbase + (g * kIn + c) * ls[in.feature()], ko = kbase + c * ks[ker.feature()];
                    if (!isFloat) iacc += li[lo] * ki[ko];
                    else if (f64) acc += lv[lo] * kv[ko];
                    else acc = (float) (acc + lv[lo] * kv[ko]);
                }
            }
            if (isFloat) r.re[o] = Elem.round((FloatType) et, acc);
            else r.ints[o] = r.elem == Elem.BOOL ? (iacc != 0 ? 1 : 0) : Elem.wrap(et, iacc);
        });
        return List.of(r);
    }
}
