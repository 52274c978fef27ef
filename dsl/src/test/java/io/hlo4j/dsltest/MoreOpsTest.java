package io.hlo4j.dsltest;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.dsltest.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The rest of the element-wise surface, plus edge cases of the composites. */
class MoreOpsTest {
    static final double[] X = random(11, 6);
    static final double[] Y = random(12, 6);

    @Test
    void remainingMath() {
        HostArray x = f64(s(6), X), y = f64(s(6), Y);
        List<HostArray> r = run(a -> {
            Tensor t = (Tensor) a[0], u = (Tensor) a[1];
            return List.of(Ops.log1p(Ops.abs(t)), Ops.expm1(t), Ops.sin(t), Ops.cos(t), Ops.floor(t.mul(3.0)), Ops.ceil(t.mul(3.0)),
                    Ops.round(t.mul(3.0)), Ops.sign(t), Ops.rsqrt(Ops.abs(t)), Ops.rem(t, u), Ops.minimum(t, u), Nn.erf(t),
                    Reductions.prod(t), Reductions.argmin(t, 0), Ops.stack(0, List.of(t, u)));
        }, x, y);
        double[][] w = new double[12][6];
        double prod = 1;
        int argmin = 0;
        for (int i = 0; i < 6; i++) {
            double v = X[i];
            w[0][i] = Math.log1p(Math.abs(v));
            w[1][i] = Math.expm1(v);
            w[2][i] = Math.sin(v);
            w[3][i] = Math.cos(v);
            w[4][i] = Math.floor(3 * v);
            w[5][i] = Math.ceil(3 * v);
            w[6][i] = Math.rint(3 * v);
            w[7][i] = Math.signum(v);
            w[8][i] = 1 / Math.sqrt(Math.abs(v));
            w[9][i] = v % Y[i]; // stablehlo.remainder takes the dividend's sign, as Java's %
            w[10][i] = Math.min(v, Y[i]);
            w[11][i] = OpsTest.erfRef(v);
            prod *= v;
            if (v < X[argmin]) argmin = i;
        }
        for (int k = 0; k < 12; k++) assertClose(r.get(k), w[k], k == 11 ? 2e-7 : 1e-12);
        assertClose(r.get(12), new double[]{prod}, 1e-12);
        assertClose(r.get(13), new double[]{argmin}, 0);
        assertThat(r.get(14).shape()).containsExactly(2, 6);
        assertClose(r.get(14), concat(X, Y), 0);
    }

    static double[] concat(double[] a, double[] b) {
        double[] c = new double[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void logicalOpsAndBitcast() {
        HostArray x = f32(s(3), 1, -2, 0.5);
        List<HostArray> r = run(a -> {
            Tensor t = (Tensor) a[0];
            Tensor p = Ops.gt(t, 0.0), q = Ops.lt(t, 0.75);
            return List.of(Ops.logicalAnd(p, q).astype(DType.I32), Ops.logicalOr(p, q).astype(DType.I32), Ops.logicalNot(p).astype(DType.I32),
                    Ops.bitcast(t, DType.U32));
        }, x);
        assertClose(r.get(0), new double[]{0, 0, 1}, 0);
        assertClose(r.get(1), new double[]{1, 1, 1}, 0);
        assertClose(r.get(2), new double[]{0, 1, 0}, 0);
        assertThat(r.get(3).toLongArray()).containsExactly(Float.floatToRawIntBits(1f) & 0xffffffffL,
                Float.floatToRawIntBits(-2f) & 0xffffffffL, Float.floatToRawIntBits(0.5f) & 0xffffffffL);
    }

    @Test
    void logsumexpOfAnAllMinusInfinityRowIsMinusInfinity() {
        double ninf = Double.NEGATIVE_INFINITY;
        HostArray x = f64(s(2, 2), ninf, ninf, 1000, 1000);
        HostArray r = run1(a -> Reductions.logsumexp((Tensor) a[0], 1), x);
        assertThat(r.toDoubleArray()[0]).isEqualTo(ninf);
        assertThat(r.toDoubleArray()[1]).isCloseTo(1000 + Math.log(2), org.assertj.core.data.Offset.offset(1e-9));
    }
}
