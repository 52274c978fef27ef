package io.hlo4j.dsltest.nn;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Random;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Nn.dropout against the same key's uniform draws applied by a plain-Java loop, its rate, and finite differences. */
class DropoutTest {
    static final int N = 1000;
    static final double RATE = 0.25;

    static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }

    static double[] xs() {
        double[] v = new double[N];
        for (int i = 0; i < N; i++) v[i] = Math.cos(i * 0.37) * 3 + 0.5;
        return v;
    }

    static HostArray f64(double[] v) { return HostArray.fromDoubles(Spec.of(DType.F64, v.length).tensorType(), v); }

    @Test
    void trainingKeepsWhereTheKeysDrawIsBelowOneMinusRateAndScales() {
        double[] x = xs();
        double[] got = Jit.jit1(t -> Nn.dropout(t, RATE, Random.key(7), true)).call1(f64(x)).toDoubleArray();
        double[] u = Jit.jit(a -> Random.uniform(Random.key(7), io.hlo4j.dsl.Shape.of(N), DType.F32)).call1().toDoubleArray();
        int kept = 0;
        for (int i = 0; i < N; i++) {
            boolean keep = (float) u[i] < (float) (1 - RATE);
            if (keep) kept++;
            assertThat(got[i]).as("element %d", i).isEqualTo(keep ? x[i] / (1 - RATE) : 0.0);
        }
        double sigma = Math.sqrt(RATE * (1 - RATE) / N);
        assertThat(kept / (double) N).isCloseTo(1 - RATE, org.assertj.core.data.Offset.offset(4 * sigma));
        // A different key drops different elements.
        double[] other = Jit.jit1(t -> Nn.dropout(t, RATE, Random.foldIn(Random.key(7), 1), true)).call1(f64(x)).toDoubleArray();
        assertThat(other).isNotEqualTo(got);
    }

    @Test
    void notTrainingOrRateZeroIsTheIdentityAndRateOneIsZeros() {
        double[] x = xs();
        assertThat(Jit.jit1(t -> Nn.dropout(t, RATE, Random.key(7), false)).call1(f64(x)).toDoubleArray()).containsExactly(x);
        assertThat(Jit.jit1(t -> Nn.dropout(t, 0, Random.key(7), true)).call1(f64(x)).toDoubleArray()).containsExactly(x);
        for (double d : Jit.jit1(t -> Nn.dropout(t, 1, Random.key(7), true)).call1(f64(x)).toDoubleArray()) assertThat(d).isZero();
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        int n = 16;
        double[] x = new double[n], c = new double[n];
        for (int i = 0; i < n; i++) { x[i] = Math.sin(i) * 2; c[i] = 1 + i * 0.1; }
        TracedFunction loss = a -> Ops.mul(Nn.dropout((Tensor) a[0], 0.5, Random.key(3), true), (Tensor) a[1]).sum();
        double[] g = Jit.jit("g", Grad.grad(loss, 0)).call1(f64(x), f64(c)).toDoubleArray();
        Jit f = Jit.jit("f", loss);
        double h = 1e-6;
        int zeros = 0;
        for (int i = 0; i < n; i++) {
            double[] up = x.clone(), dn = x.clone();
            up[i] += h;
            dn[i] -= h;
            double fd = (f.call1(f64(up), f64(c)).getDouble(0) - f.call1(f64(dn), f64(c)).getDouble(0)) / (2 * h);
            assertThat(g[i]).as("d/dx[%d]", i).isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(g[i] == 0 || Math.abs(g[i] - 2 * c[i]) < 1e-12).as("kept elements get c/(1-rate)").isTrue();
            if (g[i] == 0) zeros++;
        }
        assertThat(zeros).as("some dropped, some kept").isBetween(1, n - 1);
    }

    @Test
    void refusalsNameDropoutTheValuesAndTheLine() {
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 2, 3).tensorType(), 1, 2, 3, 4, 5, 6);
        Jit bad = Jit.jit1(t -> Nn.dropout(t, 1.5, Random.key(0), true)); int l1 = line();
        assertThatThrownBy(() -> bad.call1(x)).hasMessageContaining("dropout").hasMessageContaining("1.5")
                .hasMessageContaining("f32[2, 3]").hasMessageContaining("DropoutTest.java:" + l1);
        Jit badKey = Jit.jit1(t -> Nn.dropout(t, 0.5, Ops.zeros(io.hlo4j.dsl.Shape.of(3), DType.U32), true)); int l2 = line();
        assertThatThrownBy(() -> badKey.call1(x)).hasMessageContaining("dropout").hasMessageContaining("ui32[3]")
                .hasMessageContaining("DropoutTest.java:" + l2);
    }
}
