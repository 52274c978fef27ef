package io.hlo4j.dsltest;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** sum/mean/max/min with keepdims against plain-Java loops over a [2,3,4] array. */
class KeepdimsTest {
    static final int A = 2, B = 3, C = 4;

    static double at(int i, int j, int k) { return Math.sin(1 + i * 12 + j * 4 + k) * 10; }

    static HostArray x() {
        double[] v = new double[A * B * C];
        for (int i = 0; i < A; i++) for (int j = 0; j < B; j++) for (int k = 0; k < C; k++) v[(i * B + j) * C + k] = at(i, j, k);
        return HostArray.fromDoubles(Spec.of(DType.F64, A, B, C).tensorType(), v);
    }

    @Test
    void meanOverTheMiddleAxisKeepsItAsOne() {
        HostArray r = Jit.jit1(t -> t.mean(true, 1)).call1(x());
        assertThat(r.type().shape()).containsExactly(A, 1, C);
        double[] got = r.toDoubleArray();
        for (int i = 0; i < A; i++) {
            for (int k = 0; k < C; k++) {
                double s = 0;
                for (int j = 0; j < B; j++) s += at(i, j, k);
                assertThat(got[i * C + k]).isCloseTo(s / B, org.assertj.core.data.Offset.offset(1e-12));
            }
        }
        // The point of keepdims: the result broadcasts back against x.
        HostArray centred = Jit.jit1(t -> t.sub(t.mean(true, -2).broadcastTo(A, B, C)).sum(true, 1)).call1(x());
        assertThat(centred.type().shape()).containsExactly(A, 1, C);
        for (double d : centred.toDoubleArray()) assertThat(d).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void maxMinAndSumOverSeveralOrAllAxes() {
        HostArray mx = Jit.jit1(t -> Reductions.max(t, true, 0, 2)).call1(x());
        HostArray mn = Jit.jit1(t -> Reductions.min(t, true, 2, 0)).call1(x());
        assertThat(mx.type().shape()).containsExactly(1, B, 1);
        assertThat(mn.type().shape()).containsExactly(1, B, 1);
        for (int j = 0; j < B; j++) {
            double hi = Double.NEGATIVE_INFINITY, lo = Double.POSITIVE_INFINITY;
            for (int i = 0; i < A; i++) for (int k = 0; k < C; k++) { hi = Math.max(hi, at(i, j, k)); lo = Math.min(lo, at(i, j, k)); }
            assertThat(mx.getDouble(j)).isEqualTo(hi);
            assertThat(mn.getDouble(j)).isEqualTo(lo);
        }
        HostArray all = Jit.jit1(t -> t.sum(true)).call1(x());
        assertThat(all.type().shape()).containsExactly(1, 1, 1);
        double s = 0;
        for (int i = 0; i < A; i++) for (int j = 0; j < B; j++) for (int k = 0; k < C; k++) s += at(i, j, k);
        assertThat(all.getDouble(0)).isCloseTo(s, org.assertj.core.data.Offset.offset(1e-11));
        HostArray dropped = Jit.jit1(t -> t.mean(false, 1)).call1(x());
        assertThat(dropped.type().shape()).containsExactly(A, C);
    }

    @Test
    void aBadAxisIsRefusedByTheReductionsName() {
        assertThatThrownBy(() -> Jit.jit1(t -> t.mean(true, 3)).call1(x())).hasMessageContaining("mean").hasMessageContaining("3")
                .hasMessageContaining("KeepdimsTest.java");
    }
}
