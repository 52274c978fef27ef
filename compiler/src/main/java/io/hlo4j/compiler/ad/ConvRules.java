package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code convolution}: both cotangents are convolutions again. The lhs cotangent convolves the result cotangent
 * (dilated by the forward strides) with the spatially reversed kernel whose in/out feature roles are swapped;
 * the rhs cotangent convolves the input with the result cotangent used as a kernel, batch and feature roles of
 * the input swapped so the batch is what gets contracted. Paddings are chosen so the results have exactly the
 * operand shapes. Feature groups G: the lhs convolution keeps G groups with the kernel's group factor moved
 * from its output to its input features; the rhs convolution turns them into G batch groups. lhs dilation d (a
 * transposed convolution) convolves the input with d - 1 zeros between its elements: both cotangents are taken for
 * that dilated input (the rhs convolution dilates the input the same way), and the lhs cotangent is the dilated
 * input's cotangent at every d-th element (a strided slice, the transpose of the dilation). Batch groups and window
 * reversal are refused by name.
 */
final class ConvRules {
    private ConvRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.convolution", (b, op, g) -> convolution(b, op, g, op.attr("padding") != null
                ? Attrs.denseLongs(Attrs.get(op, "padding", DenseElementsAttr.class)) : null));
        // dynamic_conv: the padding is operand #2; with a constant there it is a convolution.
        in.rule("stablehlo.dynamic_conv", (b, op, g) -> {
            List<Value> r = new java.util.ArrayList<>(convolution(b, op, g, DynamicShapeRules.constant(b, op, 2, "padding")));
            r.add(null);
            return r;
        });
    }

    private static List<Value> convolution(Backward b, Operation op, List<Value> g, long[] padding) {
        ConvDimensionNumbers dn = Attrs.get(op, "dimension_numbers", ConvDimensionNumbers.class);
        Value lhs = op.operand(0), rhs = op.operand(1), ct = g.get(0);
        TensorType lt = Backward.tensor(lhs), rt = Backward.tensor(rhs), ot = Backward.tensor(op.result());
        if (!lt.hasStaticShape() || !rt.hasStaticShape() || !ot.hasStaticShape()) {
            throw b.refuse(op, "needs static shapes, got " + lt + ", " + rt + " -> " + ot);
        }
        int ns = dn.inputSpatialDimensions().size();
        long[] strides = ints(op, "window_strides", ns, 1), lhsDil = ints(op, "lhs_dilation", ns, 1),
                rhsDil = ints(op, "rhs_dilation", ns, 1), reversal = ints(op, "window_reversal", ns, 0);
        long[] pad = padding != null ? padding : new long[2 * ns];
        long groups = intAttr(op, "feature_group_count"), batchGroups = intAttr(op, "batch_group_count");
        if (batchGroups != 1) throw b.refuse(op, "batch_group_count " + batchGroups + " > 1 has no VJP rule yet");
        for (int d = 0; d < ns; d++) if (reversal[d] != 0) throw b.refuse(op, "window_reversal has no VJP rule yet");
        long[] inSp = dn.inputSpatialDimensions().toArray(), kSp = dn.kernelSpatialDimensions().toArray(),
                outSp = dn.outputSpatialDimensions().toArray();
        // the input as the window sees it: lhs-dilated
        long[] dilated = lt.shape().clone();
        boolean anyDil = false;
        for (int d = 0; d < ns; d++) { dilated[(int) inSp[d]] = dilate(lt.dim((int) inSp[d]), lhsDil[d]); anyDil |= lhsDil[d] != 1; }
        // Mixed precision (bf16 operands, f32 result): both backward convolutions take and accumulate in the widest type,
        // and their results are converted to the operands' types at the end.
        io.hlo4j.mlir.types.ElementType acc = Backward.widest(ct, lhs, rhs);
        Value gc = b.castTo(ct, acc);

        // lhs: pad before = dilated window - lo - 1, after fills up to the input size.
        long[] padL = new long[2 * ns];
        for (int d = 0; d < ns; d++) {
            long k = dilate(rt.dim((int) kSp[d]), rhsDil[d]), o = dilate(ot.dim((int) outSp[d]), strides[d]);
            padL[2 * d] = k - pad[2 * d] - 1;
            padL[2 * d + 1] = dilated[(int) inSp[d]] + k - 1 - o - padL[2 * d];
        }
        // Kernel [.., i = C/G, o = G*Og] becomes [spatial.., G*C/G (new o), Og (new i)], spatially reversed: group g's
        // output features turn into its input features and vice versa.
        long cg = rt.dim((int) dn.kernelInputFeatureDimension()), og = rt.dim((int) dn.kernelOutputFeatureDimension()) / groups;
        long[] perm = new long[ns + 2], sp = new long[ns];
        for (int d = 0; d < ns; d++) { perm[d] = kSp[d]; sp[d] = rt.dim((int) kSp[d]); }
        perm[ns] = dn.kernelInputFeatureDimension();
        perm[ns + 1] = dn.kernelOutputFeatureDimension();
        Value kern = b.hlo().transpose(b.castTo(rhs, acc), perm, b.loc());
        kern = b.reshape(kern, concat(sp, cg, groups, og));
        long[] swap = Attrs.iota(ns + 3);
        swap[ns] = ns + 1;
        swap[ns + 1] = ns;
        kern = b.reshape(b.hlo().transpose(kern, swap, b.loc()), concat(sp, groups * cg, og));
        Value reversed = b.ir().emit1("stablehlo.reverse", List.of(kern), Map.of("dimensions", DenseArrayAttr.ofI64(Attrs.iota(ns))), b.loc());
        ConvDimensionNumbers dnL = new ConvDimensionNumbers(dn.outputBatchDimension(), dn.outputFeatureDimension(),
                dn.outputSpatialDimensions(), ns + 1, ns, Dims.of(Attrs.iota(ns)),
                dn.inputBatchDimension(), dn.inputFeatureDimension(), dn.inputSpatialDimensions());
        Value gl = conv(b, gc, reversed, dnL, ones(ns), padL, strides, rhsDil, groups, 1, TensorType.of(acc, dilated));
        if (anyDil) { // the cotangent of the input's own elements: every lhsDil-th of the dilated input's
            long[] start = new long[lt.rank()], step = ones(lt.rank());
            for (int d = 0; d < ns; d++) step[(int) inSp[d]] = lhsDil[d];
            gl = b.hlo().slice(gl, start, dilated, step, b.loc());
        }
        gl = b.castLike(gl, lhs);

        // rhs: contract over the batch; the forward strides become the dilation of the cotangent-as-kernel.
        long[] padR = new long[2 * ns];
        for (int d = 0; d < ns; d++) {
            long k = dilate(rt.dim((int) kSp[d]), rhsDil[d]), o = dilate(ot.dim((int) outSp[d]), strides[d]);
            padR[2 * d] = pad[2 * d];
            padR[2 * d + 1] = (o - dilated[(int) inSp[d]]) + (k - pad[2 * d] - 1);
        }
        ConvDimensionNumbers dnR = new ConvDimensionNumbers(dn.inputFeatureDimension(), dn.inputBatchDimension(),
                dn.inputSpatialDimensions(), dn.outputBatchDimension(), dn.outputFeatureDimension(),
                dn.outputSpatialDimensions(), dn.kernelInputFeatureDimension(), dn.kernelOutputFeatureDimension(),
                dn.kernelSpatialDimensions());
        // Feature groups become batch groups: group g's output features contract with its own input channels.
        Value gr = conv(b, b.castTo(lhs, acc), gc, dnR, rhsDil, padR, lhsDil, strides, 1, groups, TensorType.of(acc, rt.shape()));
        return List.of(gl, b.castLike(gr, rhs));
    }

    private static Value conv(Backward b, Value x, Value k, ConvDimensionNumbers dn, long[] strides, long[] pad, long[] lhsDil,
                              long[] rhsDil, long fgc, long bgc, TensorType result) {
        Map<String, Attribute> p = new HashMap<>();
        p.put("dimension_numbers", dn);
        p.put("window_strides", DenseArrayAttr.ofI64(strides));
        p.put("padding", Constants.ofLongs(TensorType.of(IntegerType.I64, strides.length, 2), pad));
        p.put("lhs_dilation", DenseArrayAttr.ofI64(lhsDil));
        p.put("rhs_dilation", DenseArrayAttr.ofI64(rhsDil));
        p.put("feature_group_count", IntegerAttr.i64(fgc));
        p.put("batch_group_count", IntegerAttr.i64(bgc));
        return b.ir().emit("stablehlo.convolution", List.of(x, k), p, List.of(), List.of(result), b.loc()).get(0);
    }

    private static long[] concat(long[] a, long... tail) {
        long[] r = java.util.Arrays.copyOf(a, a.length + tail.length);
        System.arraycopy(tail, 0, r, a.length, tail.length);
        return r;
    }

    private static long dilate(long size, long dilation) { return size == 0 ? 0 : 1 + dilation * (size - 1); }

    private static long[] ones(int n) { return ints(null, null, n, 1); }

    private static long[] ints(Operation op, String name, int n, long dflt) {
        if (op != null && op.attr(name) != null) return Attrs.i64s(op, name);
        long[] r = new long[n];
        java.util.Arrays.fill(r, dflt);
        return r;
    }

    private static long intAttr(Operation op, String name) { return op.attr(name) == null ? 1 : Attrs.i64(op, name); }
}
