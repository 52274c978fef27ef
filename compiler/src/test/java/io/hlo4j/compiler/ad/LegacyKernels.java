package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Kernel;
import io.hlo4j.runtime.interp.Kernels;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.interp.Tensor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-only interpreter kernels for MHLO's legacy einsum, unary_einsum and torch_index_select (the interpreter has
 * none), written naively from their definitions (a loop over every label assignment; index_select by its
 * shape formula), so the gradient tests have an oracle independent of the rules' decompositions. Attached only to
 * ops that have no kernel.
 */
final class LegacyKernels {
    private LegacyKernels() {}

    static synchronized void install() {
        Kernels.init();
        attach("stablehlo.einsum", LegacyKernels::einsum);
        attach("stablehlo.unary_einsum", LegacyKernels::einsum);
        attach("stablehlo.torch_index_select", LegacyKernels::indexSelect);
    }

    private static void attach(String name, Kernel k) {
        OpDef d = OpRegistry.global().lookup(name);
        if (d.extension(Kernel.class) == null) d.attach(Kernel.class, k);
    }

    private static List<RtValue> einsum(Operation op, List<RtValue> args, io.hlo4j.runtime.interp.Frame f) {
        String cfg = ((StringAttr) op.attr("einsum_config")).value().replace(" ", "");
        String[] ins = cfg.substring(0, cfg.indexOf("->")).split(",");
        String out = cfg.substring(cfg.indexOf("->") + 2);
        Map<Character, Long> size = new HashMap<>();
        HostArray[] xs = new HostArray[ins.length];
        for (int i = 0; i < ins.length; i++) {
            xs[i] = HostArrays.toHost((Tensor) args.get(i));
            for (int d = 0; d < ins[i].length(); d++) size.put(ins[i].charAt(d), xs[i].shape()[d]);
        }
        String all = size.keySet().stream().map(String::valueOf).reduce("", String::concat);
        TensorType rt = (TensorType) op.result().type();
        double[] res = new double[(int) rt.numElements()];
        double[][] vals = new double[ins.length][];
        for (int i = 0; i < ins.length; i++) vals[i] = xs[i].toDoubleArray();
        long total = 1;
        for (char c : all.toCharArray()) total *= size.get(c);
        Map<Character, Long> at = new HashMap<>();
        for (long lin = 0; lin < total; lin++) {
            long rest = lin;
            for (char c : all.toCharArray()) { at.put(c, rest % size.get(c)); rest /= size.get(c); }
            double p = 1;
            for (int i = 0; i < ins.length; i++) p *= vals[i][(int) index(ins[i], at, xs[i].shape())];
            res[(int) index(out, at, rt.shape())] += p;
        }
        return List.of(HostArrays.toTensor(HostArray.fromDoubles(rt, res)));
    }

    private static long index(String labels, Map<Character, Long> at, long[] shape) {
        long k = 0;
        for (int d = 0; d < labels.length(); d++) k = k * shape[d] + at.get(labels.charAt(d));
        return k;
    }

    private static List<RtValue> indexSelect(Operation op, List<RtValue> args, io.hlo4j.runtime.interp.Frame f) {
        HostArray x = HostArrays.toHost((Tensor) args.get(0)), idx = HostArrays.toHost((Tensor) args.get(1));
        int dim = (int) ((IntegerAttr) op.attr("dim")).value(), nb = (int) ((IntegerAttr) op.attr("batch_dims")).value();
        TensorType rt = (TensorType) op.result().type();
        long[] xs = x.shape(), is = idx.shape(), os = rt.shape();
        double[] xv = x.toDoubleArray(), res = new double[(int) rt.numElements()];
        long[] iv = idx.toLongArray();
        int ir = is.length;
        long[] o = new long[os.length];
        for (int lin = 0; lin < res.length; lin++) {
            long rest = lin;
            for (int d = os.length - 1; d >= 0; d--) { o[d] = rest % os[d]; rest /= os[d]; }
            // index coordinates: the batch dims then the dims that replace `dim`
            long ik = 0;
            for (int d = 0; d < nb; d++) ik = ik * is[d] + o[d];
            for (int d = nb; d < ir; d++) ik = ik * is[d] + o[dim + d - nb];
            long[] xc = new long[xs.length];
            for (int d = 0; d < dim; d++) xc[d] = o[d];
            xc[dim] = iv[(int) ik];
            for (int d = dim + 1; d < xs.length; d++) xc[d] = o[d - 1 + ir - nb];
            long xk = 0;
            for (int d = 0; d < xs.length; d++) xk = xk * xs[d] + xc[d];
            res[lin] = xv[(int) xk];
        }
        return List.of(HostArrays.toTensor(HostArray.fromDoubles(rt, res)));
    }
}
