package io.hlo4j.dsltest.vmap;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.vmap.Vmap;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.hlo4j.dsl.vmap.Vmap.axes;
import static io.hlo4j.dsltest.vmap.VmapOracle.check;
import static io.hlo4j.dsltest.vmap.VmapOracle.f64;
import static org.assertj.core.api.Assertions.assertThat;

/** A per-example padding value under vmap: against per-example runs, and grad of vmap against finite differences. */
class VmapFillTest {
    /** pad x [3] with the scalar v: one before, two after, one between neighbours -> [8]. */
    static final TracedFunction PAD = a -> {
        Tensor x = (Tensor) a[0], v = (Tensor) a[1];
        TensorType rt = x.type().withShape(8);
        return Ops.op("stablehlo.pad", List.of(x, v), Map.of("edge_padding_low", DenseArrayAttr.ofI64(1),
                "edge_padding_high", DenseArrayAttr.ofI64(2), "interior_padding", DenseArrayAttr.ofI64(1)), List.of(rt)).get(0);
    };

    @Test
    void batchedPaddingValues() {
        check(PAD, axes(0, 0), axes(0), f64(new long[]{4, 3}, 1), f64(new long[]{4}, 2));
        check(PAD, axes(null, 0), axes(1), f64(new long[]{3}, 3), f64(new long[]{4}, 4));
    }

    @Test
    void gradOfVmapMatchesFiniteDifferences() {
        TracedFunction loss = a -> {
            Tensor p = (Tensor) Vmap.vmap(PAD, axes(0, 0), axes(0)).apply(a[0], a[1]);        // [4, 8]
            return Reductions.sum(Ops.square(Ops.sin(Ops.mul(p, Ops.iota(io.hlo4j.dsl.DType.F64, io.hlo4j.dsl.Shape.of(4, 8), 1)))));
        };
        HostArray xs = f64(new long[]{4, 3}, 5), vs = f64(new long[]{4}, 6);
        Jit f = Jit.jit("loss", loss);
        for (int wrt = 0; wrt < 2; wrt++) {
            HostArray g = Jit.jit("g", Grad.grad(loss, wrt)).call1(xs, vs);
            HostArray at = wrt == 0 ? xs : vs;
            double[] v = at.toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                double[] p = v.clone(), m = v.clone();
                p[i] += 1e-6;
                m[i] -= 1e-6;
                HostArray hp = HostArray.fromDoubles(at.type(), p), hm = HostArray.fromDoubles(at.type(), m);
                double fd = ((wrt == 0 ? f.call1(hp, vs) : f.call1(xs, hp)).getDouble(0)
                        - (wrt == 0 ? f.call1(hm, vs) : f.call1(xs, hm)).getDouble(0)) / 2e-6;
                assertThat(g.getDouble(i)).as("d loss / d arg%d[%d]", wrt, i).isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-6));
            }
        }
    }
}
