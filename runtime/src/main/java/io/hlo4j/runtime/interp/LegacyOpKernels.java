package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops outside the StableHLO spec that MHLO-era programs still carry: einsum and unary_einsum (Einstein summation
 * from the config string), torch_index_select, the legacy cross-replica-sum (an all_reduce with addition over
 * replicas), set_dimension_size (static shapes only) and rng (see {@link LegacyRng}).
 */
final class LegacyOpKernels {
    private LegacyOpKernels() {}

    static void register() {
        Kernels.put("stablehlo.einsum", LegacyOpKernels::einsum);
        Kernels.put("stablehlo.unary_einsum", LegacyOpKernels::einsum);
        Kernels.put("stablehlo.torch_index_select", LegacyOpKernels::indexSelect);
        Kernels.put("stablehlo.cross-replica-sum", LegacyOpKernels::crossReplicaSum);
        Kernels.put("stablehlo.set_dimension_size", LegacyOpKernels::setDimensionSize);
        Kernels.put("stablehlo.rng", LegacyRng::rng);
    }

    // ---- einsum -----------------------------------------------------------------------------------

    /**
     * Sums the product of the operands over every assignment of the labels; each output element is indexed by
     * its labels. A label repeated within one operand reads that operand's diagonal. Products and the sum are
     * computed in double (integers in 64 bits) and rounded (wrapped) once to the result type.
     */
    private static List<RtValue> einsum(Operation op, List<RtValue> args, Frame f) {
        if (!(op.attr("einsum_config") instanceof StringAttr cfgAttr)) {
            throw InterpreterException.at(op, "needs a string einsum_config");
        }
        String cfg = cfgAttr.value().replace(" ", "");
        int arrow = cfg.indexOf("->");
        if (arrow < 0 || cfg.contains(".")) {
            throw InterpreterException.at(op, "einsum_config '" + cfg + "' must be explicit 'in,in->out' labels (no '...')");
        }
        String[] ins = cfg.substring(0, arrow).split(",", -1);
        String out = cfg.substring(arrow + 2);
        if (ins.length != args.size()) {
            throw InterpreterException.at(op, "einsum_config '" + cfg + "' names " + ins.length + " operands, the op has " + args.size());
        }
        TensorType rt = (TensorType) op.result().type();
        // every distinct label, output labels first, with its size
        StringBuilder labels = new StringBuilder();
        for (char c : out.toCharArray()) if (labels.indexOf(String.valueOf(c)) < 0) labels.append(c);
        for (String in : ins) for (char c : in.toCharArray()) if (labels.indexOf(String.valueOf(c)) < 0) labels.append(c);
        long[] size = new long[labels.length()];
        Arrays.fill(size, -1);
        Tensor[] xs = new Tensor[ins.length];
        for (int i = 0; i < ins.length; i++) {
            xs[i] = (Tensor) args.get(i);
            if (xs[i].elem == Elem.COMPLEX) throw ElementwiseKernels.unsupportedType(op, xs[i].elementType);
            if (ins[i].length() != xs[i].rank()) {
                throw InterpreterException.at(op, "einsum_config term '" + ins[i] + "' has " + ins[i].length() + " labels for operand "
                        + i + " of type " + xs[i].type);
            }
            for (int d = 0; d < ins[i].length(); d++) bind(op, size, labels.indexOf(String.valueOf(ins[i].charAt(d))), ins[i].charAt(d), xs[i].shape[d]);
        }
        for (int d = 0; d < out.length(); d++) {
            int l = labels.indexOf(String.valueOf(out.charAt(d)));
            if (size[l] < 0) throw InterpreterException.at(op, "output label '" + out.charAt(d) + "' of '" + cfg + "' is in no operand");
            bind(op, size, l, out.charAt(d), rt.shape()[d]);
        }
        // strides of each operand (and the output) per label; repeated labels add up (diagonals)
        int nl = labels.length();
        long[][] strideOf = new long[ins.length + 1][nl];
        for (int i = 0; i <= ins.length; i++) {
            String term = i < ins.length ? ins[i] : out;
            int[] st = Tensor.strides(i < ins.length ? xs[i].shape : rt.shape());
            for (int d = 0; d < term.length(); d++) strideOf[i][labels.indexOf(String.valueOf(term.charAt(d)))] += st[d];
        }
        boolean isFloat = rt.elementType() instanceof FloatType;
        double[] accF = isFloat ? new double[Math.toIntExact(rt.numElements())] : null;
        long[] accI = isFloat ? null : new long[Math.toIntExact(rt.numElements())];
        long[] at = new long[nl];
        long[] pos = new long[ins.length + 1];
        long total = 1;
        for (long s : size) total = Math.multiplyExact(total, s);
        for (long step = 0; step < total; step++) {
            if (isFloat) {
                double p = 1;
                for (int i = 0; i < ins.length; i++) p *= xs[i].asDouble((int) pos[i]);
                accF[(int) pos[ins.length]] += p;
            } else {
                long p = 1;
                for (int i = 0; i < ins.length; i++) p *= xs[i].ints[(int) pos[i]];
                accI[(int) pos[ins.length]] += p;
            }
            for (int l = nl - 1; l >= 0; l--) { // odometer over the labels
                if (++at[l] < size[l]) {
                    for (int i = 0; i <= ins.length; i++) pos[i] += strideOf[i][l];
                    break;
                }
                for (int i = 0; i <= ins.length; i++) pos[i] -= strideOf[i][l] * (size[l] - 1);
                at[l] = 0;
            }
        }
        return List.of(isFloat ? Tensor.ofDoubles(rt, accF) : Tensor.ofInts(rt, accI));
    }

    private static void bind(Operation op, long[] size, int label, char c, long s) {
        if (size[label] >= 0 && size[label] != s) {
            throw InterpreterException.at(op, "einsum label '" + c + "' has sizes " + size[label] + " and " + s);
        }
        size[label] = s;
    }

    // ---- torch_index_select -----------------------------------------------------------------------

    /**
     * result[b..., pre..., idx..., post...] = operand[b..., pre..., index[b..., idx...], post...]: the first
     * batch_dims dimensions are shared by operand and index; dimension {@code dim} of the operand is replaced by
     * the index's remaining dimensions. Out-of-range indices fail, naming the index.
     */
    private static List<RtValue> indexSelect(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0), idx = (Tensor) args.get(1);
        int dim = (int) Attrs.integer(op, "dim", 0), nb = (int) Attrs.integer(op, "batch_dims", 0);
        TensorType rt = (TensorType) op.result().type();
        long[] xs = x.shape, is = idx.shape, os = rt.shape();
        int ir = is.length;
        if (os.length != xs.length - 1 + ir - nb) {
            throw InterpreterException.at(op, "result " + rt + " has the wrong rank for operand " + x.type + ", index " + idx.type
                    + ", dim " + dim + ", batch_dims " + nb);
        }
        Tensor r = Tensor.zeros(rt);
        long[] o = new long[os.length];
        long[] xc = new long[xs.length];
        boolean unsigned = idx.elem == Elem.UNSIGNED;
        for (long lin0 = 0; lin0 < r.size; lin0 += StopCheck.STEP) for (int lin = (int) lin0, linEnd = StopCheck.end(lin0, r.size); lin < linEnd; lin++) {
            long rest = lin;
            for (int d = os.length - 1; d >= 0; d--) { o[d] = rest % os[d]; rest /= os[d]; }
            long ik = 0;
            for (int d = 0; d < nb; d++) ik = ik * is[d] + o[d];
            for (int d = nb; d < ir; d++) ik = ik * is[d] + o[dim + d - nb];
            long i = idx.ints[(int) ik];
            if ((unsigned ? Long.compareUnsigned(i, xs[dim]) >= 0 : i < 0 || i >= xs[dim])) {
                throw InterpreterException.at(op, "index " + (unsigned ? Long.toUnsignedString(i) : i) + " is out of range [0, " + xs[dim]
                        + ") for dimension " + dim + " of " + x.type);
            }
            for (int d = 0; d < dim; d++) xc[d] = o[d];
            xc[dim] = i;
            for (int d = dim + 1; d < xs.length; d++) xc[d] = o[d - 1 + ir - nb];
            long xk = 0;
            for (int d = 0; d < xs.length; d++) xk = xk * xs[d] + xc[d];
            r.copyElement(lin, x, (int) xk);
        }
        return List.of(r);
    }

    // ---- cross-replica-sum ------------------------------------------------------------------------

    /** all_reduce with addition over the replicas of each replica group (all replicas when none are given). */
    private static List<RtValue> crossReplicaSum(Operation op, List<RtValue> args, Frame f) {
        List<Process> group = f.process().grid().groupOf(op, f.process(), Attrs.matrix(op, "replica_groups"),
                CollectiveKernels.mode(op), false);
        if (group == null) throw InterpreterException.at(op, f.process() + " is in no replica group");
        List<List<Tensor>> all = CollectiveKernels.exchange(op, f, group, CollectiveKernels.tensors(args));
        TensorType rt = (TensorType) op.result().type();
        ElementType et = rt.elementType();
        Tensor acc = Tensor.zeros(rt);
        Tensor first = all.get(0).get(0);
        for (long i0 = 0; i0 < acc.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, acc.size); i < iEnd; i++) acc.copyElement(i, first, i);
        for (int g = 1; g < all.size(); g++) {
            Tensor x = all.get(g).get(0);
            for (long i0 = 0; i0 < acc.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, acc.size); i < iEnd; i++) {
                switch (acc.elem) {
                    case FLOAT -> acc.re[i] = Elem.round((FloatType) et, acc.re[i] + x.re[i]);
                    case COMPLEX -> {
                        FloatType p = ((ComplexType) et).elementType();
                        acc.re[i] = Elem.round(p, acc.re[i] + x.re[i]);
                        acc.im[i] = Elem.round(p, acc.im[i] + x.im[i]);
                    }
                    case BOOL -> acc.ints[i] |= x.ints[i];
                    default -> acc.ints[i] = Elem.wrap(et, acc.ints[i] + x.ints[i]);
                }
            }
        }
        List<RtValue> out = new ArrayList<>(List.of(acc));
        CollectiveKernels.report(op, f, group, args, out, -1, -1);
        return out;
    }

    // ---- set_dimension_size -----------------------------------------------------------------------

    /** The operand unchanged when the size equals the static dimension; a smaller size would make it dynamic. */
    private static List<RtValue> setDimensionSize(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0), size = (Tensor) args.get(1);
        int d = (int) Attrs.integer(op, "dimension", -1);
        if (d < 0 || d >= x.rank()) throw InterpreterException.at(op, "dimension " + d + " is out of range for " + x.type);
        long s = size.ints[0];
        if (s != x.shape[d]) {
            throw InterpreterException.at(op, "size " + s + " for dimension " + d + " of " + x.type + " would make the shape dynamic;"
                    + " the interpreter runs static shapes only");
        }
        return List.of(x.reshaped((TensorType) op.result().type()));
    }
}
