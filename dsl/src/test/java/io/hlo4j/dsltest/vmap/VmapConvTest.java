package io.hlo4j.dsltest.vmap;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.vmap.Vmap;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.hlo4j.dsl.vmap.Vmap.axes;
import static io.hlo4j.dsltest.vmap.VmapOracle.check;
import static io.hlo4j.dsltest.vmap.VmapOracle.f64;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A 1-D convolution (NWC input, WIO kernel) traced in the DSL under vmap: against per-example runs, and grad of vmap
 * (through the batched convolution's groups) against finite differences.
 */
class VmapConvTest {
    static Tensor t(Object[] a, int i) { return (Tensor) a[i]; }

    /** x [n, w, c], k [kw, c/g, o] -> [n, (w + lo + hi - kw) / s + 1, o]: stride {@code s}, padding, g feature groups. */
    static TracedFunction conv(long stride, long lo, long hi, long groups) {
        return a -> {
            Tensor x = t(a, 0), k = t(a, 1);
            long[] xs = x.type().shape(), ks = k.type().shape();
            long w = (xs[1] + lo + hi - ks[0]) / stride + 1;
            Map<String, Attribute> p = new HashMap<>();
            p.put("dimension_numbers", new ConvDimensionNumbers(0, 2, Dims.of(1), 1, 2, Dims.of(0), 0, 2, Dims.of(1)));
            p.put("window_strides", DenseArrayAttr.ofI64(stride));
            p.put("padding", Constants.ofLongs(TensorType.of(IntegerType.I64, 1, 2), lo, hi));
            p.put("feature_group_count", IntegerAttr.i64(groups));
            p.put("batch_group_count", IntegerAttr.i64(1));
            TensorType rt = TensorType.of(x.type().elementType(), xs[0], w, ks[2]);
            return Ops.op("stablehlo.convolution", List.of(x, k), p, List.of(rt)).get(0);
        };
    }

    @Test
    void batchedInputKernelOrBothAgainstPerExampleRuns() {
        TracedFunction c = conv(2, 1, 0, 1);                                    // x [2, 5, 3], k [2, 3, 4]
        check(c, axes(0, null), axes(0), f64(new long[]{3, 2, 5, 3}, 1), f64(new long[]{2, 3, 4}, 2));
        check(c, axes(null, 3), axes(2), f64(new long[]{2, 5, 3}, 3), f64(new long[]{2, 3, 4, 3}, 4));
        check(c, axes(1, 0), axes(3), f64(new long[]{2, 3, 5, 3}, 5), f64(new long[]{3, 2, 3, 4}, 6));
        TracedFunction grouped = conv(1, 1, 1, 2);                              // x [2, 5, 4], k [3, 2, 4], 2 groups
        check(grouped, axes(0, null), axes(0), f64(new long[]{3, 2, 5, 4}, 7), f64(new long[]{3, 2, 4}, 8));
        check(grouped, axes(null, 0), axes(0), f64(new long[]{2, 5, 4}, 9), f64(new long[]{3, 3, 2, 4}, 10));
        check(grouped, axes(2, 1), axes(1), f64(new long[]{2, 5, 3, 4}, 11), f64(new long[]{3, 3, 2, 4}, 12));
    }

    @Test
    void gradOfVmapMatchesFiniteDifferences() {
        TracedFunction c = conv(2, 1, 1, 2);
        // loss(k, xs) = sum over examples of sum(tanh(conv(x_e, k_e))^2), per-example kernels: both operands batched
        TracedFunction loss = a -> Reductions.sum(Ops.square(Ops.tanh((Tensor) Vmap.vmap(c, axes(0, 0), axes(0)).apply(a[0], a[1]))));
        HostArray xs = f64(new long[]{3, 2, 6, 4}, 13), ks = f64(new long[]{3, 2, 2, 4}, 14);
        for (int wrt = 0; wrt < 2; wrt++) {
            HostArray g = Jit.jit("g", Grad.grad(loss, wrt)).call1(xs, ks);
            Jit f = Jit.jit("loss", loss);
            HostArray at = wrt == 0 ? xs : ks;
            double[] v = at.toDoubleArray();
            for (int i = 0; i < v.length; i += 5) {
                double[] p = v.clone(), m = v.clone();
                p[i] += 1e-6;
                m[i] -= 1e-6;
                HostArray hp = HostArray.fromDoubles(at.type(), p), hm = HostArray.fromDoubles(at.type(), m);
                double fp = (wrt == 0 ? f.call1(hp, ks) : f.call1(xs, hp)).getDouble(0);
                double fm = (wrt == 0 ? f.call1(hm, ks) : f.call1(xs, hm)).getDouble(0);
                assertThat(g.getDouble(i)).as("d loss / d arg%d[%d]", wrt, i).isCloseTo((fp - fm) / 2e-6, org.assertj.core.data.Offset.offset(1e-7));
            }
        }
        // and vmap of grad: per-example kernel gradients equal each example's own gradient
        TracedFunction one = a -> Reductions.sum(Ops.square(Ops.tanh((Tensor) c.apply(a[0], a[1]))));
        check(Grad.grad(one, 1), axes(0, 0), axes(0), xs, ks);
    }
}
