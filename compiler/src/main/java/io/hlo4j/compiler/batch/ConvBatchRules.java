package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Convolutions, batched the way JAX batches {@code conv_general_dilated}: no new dimension is added to the
 * convolution; the batch is folded into one it already has and split out of the result again.
 * <ul>
 *   <li>lhs batched: folded into the input batch dimension (examples major), split out of the output batch
 *   dimension. With batch groups the input batch is first split into its groups so that each group keeps its place
 *   ([G, B * N/G], groups major).</li>
 *   <li>rhs batched: folded into the kernel output features and split out of the output features. With feature or
 *   batch groups the kernel's output features are split into their G groups first, the batch folded inside each
 *   group, and the output's features are put back in example-major order afterwards.</li>
 *   <li>both: the examples become more groups. The lhs batch folds into the input features (feature groups times B)
 *   or, with batch groups, into the input batch (batch groups times B); the rhs batch into the kernel output
 *   features; the output features are split.</li>
 * </ul>
 * {@code dynamic_conv} (padding as operand #2) is the same with an unbatched padding operand.
 */
final class ConvBatchRules {
    private ConvBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.convolution", ConvBatchRules::convolution);
        in.rule("stablehlo.dynamic_conv", (b, op, a) -> {
            if (a.get(2).batched()) throw b.refuse(op, a, "the padding operand is batched; each example would get its own output shape");
            return convolution(b, op, a);
        });
    }

    static List<Batched> convolution(Batcher b, Operation op, List<Batched> a) {
        ConvDimensionNumbers dn = (ConvDimensionNumbers) op.attr("dimension_numbers");
        Batched l = a.get(0), r = a.get(1);
        long n = b.size();
        if (n == 0) throw b.refuse(op, a, "a batch of 0 examples cannot be folded into the convolution's groups");
        long fgc = count(op, "feature_group_count"), bgc = count(op, "batch_group_count");
        TensorType res = (TensorType) op.result(0).type();
        int lb = (int) dn.inputBatchDimension(), lf = (int) dn.inputFeatureDimension();
        int ko = (int) dn.kernelOutputFeatureDimension();
        int ob = (int) dn.outputBatchDimension(), of = (int) dn.outputFeatureDimension();
        List<Value> rest = new ArrayList<>();
        for (int i = 2; i < a.size(); i++) rest.add(a.get(i).value());
        if (l.batched() && r.batched()) {
            Value lhs;
            long nf = fgc, nb = bgc;
            if (bgc > 1) { lhs = into(b, l.value(), l.bdim(), lb); nb *= n; }
            else { lhs = into(b, l.value(), l.bdim(), lf); nf *= n; }
            Value rhs = into(b, r.value(), r.bdim(), ko);
            Value out = emit(b, op, lhs, rhs, rest, nf, nb, scaled(res, of, n));
            return List.of(Batched.of(outOf(b, out, of, n), of));
        }
        if (l.batched()) {
            Value lhs;
            if (bgc == 1) {
                lhs = into(b, l.value(), l.bdim(), lb);
            } else {     // [.., N, ..] -> [.., G, N/G, ..] -> [.., G, B*N/G, ..] -> [.., G*B*N/G, ..]
                int bd = l.bdim();
                lhs = outOf(b, l.value(), lb + (bd <= lb ? 1 : 0), bgc);
                lhs = into(b, lhs, bd + (lb < bd ? 1 : 0), lb + 1);
                lhs = into(b, lhs, lb, lb);
            }
            Value out = emit(b, op, lhs, r.value(), rest, fgc, bgc, scaled(res, ob, n));
            return List.of(Batched.of(outOf(b, out, ob, n), ob));
        }
        Value rhs;
        long g = fgc > 1 ? fgc : bgc;
        if (g == 1) {
            rhs = into(b, r.value(), r.bdim(), ko);
        } else {         // kernel [.., O, ..] -> [.., G, O/G, ..] -> [.., G, B*O/G, ..] -> [.., G*B*O/G, ..]
            int bd = r.bdim();
            rhs = outOf(b, r.value(), ko + (bd <= ko ? 1 : 0), g);
            rhs = into(b, rhs, bd + (ko < bd ? 1 : 0), ko + 1);
            rhs = into(b, rhs, ko, ko);
        }
        Value out = emit(b, op, l.value(), rhs, rest, fgc, bgc, scaled(res, of, n));
        if (g > 1) {     // features (g, b, o) -> (b, g, o)
            out = outOf(b, out, of, g);
            out = outOf(b, out, of + 1, n);
            out = into(b, out, of, of + 1);
        } else {
            out = outOf(b, out, of, n);
        }
        return List.of(Batched.of(out, of));
    }

    private static Value emit(Batcher b, Operation op, Value lhs, Value rhs, List<Value> rest, long fgc, long bgc, TensorType result) {
        List<Value> operands = new ArrayList<>(List.of(lhs, rhs));
        operands.addAll(rest);
        Map<String, Attribute> props = new HashMap<>();
        props.put("feature_group_count", IntegerAttr.i64(fgc));
        props.put("batch_group_count", IntegerAttr.i64(bgc));
        return b.emitLike(op, operands, props, List.of(), List.of(result)).get(0);
    }

    private static long count(Operation op, String name) {
        return op.attr(name) instanceof IntegerAttr i ? i.value() : 1;
    }

    private static TensorType scaled(TensorType t, int dim, long n) {
        long[] s = t.shape();
        s[dim] *= n;
        return t.withShape(s);
    }

    /**
     * Dimension {@code src} of {@code x} merged into dimension {@code dst} (numbered with {@code src} removed), as its
     * major part.
     */
    static Value into(Batcher b, Value x, int src, int dst) {
        TensorType t = (TensorType) x.type();
        int r = t.rank();
        List<Long> order = new ArrayList<>();
        for (long i = 0; i < r; i++) if (i != src) order.add(i);
        order.add(dst, (long) src);
        long[] perm = new long[r];
        boolean identity = true;
        for (int i = 0; i < r; i++) { perm[i] = order.get(i); identity &= perm[i] == i; }
        Value moved = identity ? x : b.hlo().transpose(x, perm, b.loc());
        long[] s = t.shape(), shape = new long[r - 1];
        for (int i = 0, j = 0; i < r; i++) if (i != src) shape[j++] = s[i];
        shape[dst] *= s[src];
        return b.hlo().reshape(moved, shape, b.loc());
    }

    /** Dimension {@code src} of {@code x} split into {@code [major, rest]}. */
    static Value outOf(Batcher b, Value x, int src, long major) {
        long[] s = ((TensorType) x.type()).shape(), shape = new long[s.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == src) { shape[j++] = major; shape[j++] = s[i] / major; }
            else shape[j++] = s[i];
        }
        return b.hlo().reshape(x, shape, b.loc());
    }
}
