package io.hlo4j.dsltest;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.dsltest.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Each op traced, printed, parsed back, verified and run on the interpreter; expected values computed by hand in Java. */
class OpsTest {
    static final double[] X = random(1, 6);
    static final double[] Y = random(2, 6);

    @Test
    void elementwiseArithmeticAndMath() {
        HostArray x = f64(s(2, 3), X), y = f64(s(2, 3), Y);
        List<HostArray> r = run(a -> List.of(((Tensor) a[0]).add((Tensor) a[1]), ((Tensor) a[0]).mul((Tensor) a[1]).sub(1.0),
                Ops.exp((Tensor) a[0]).div((Tensor) a[1]), Ops.tanh((Tensor) a[0]), Ops.maximum((Tensor) a[0], (Tensor) a[1]),
                Ops.sqrt(Ops.abs((Tensor) a[0])), Ops.pow(Ops.abs((Tensor) a[0]), 1.5), Ops.neg((Tensor) a[1])), x, y);
        double[][] want = new double[8][6];
        for (int i = 0; i < 6; i++) {
            want[0][i] = X[i] + Y[i];
            want[1][i] = X[i] * Y[i] - 1;
            want[2][i] = Math.exp(X[i]) / Y[i];
            want[3][i] = Math.tanh(X[i]);
            want[4][i] = Math.max(X[i], Y[i]);
            want[5][i] = Math.sqrt(Math.abs(X[i]));
            want[6][i] = Math.pow(Math.abs(X[i]), 1.5);
            want[7][i] = -Y[i];
        }
        for (int k = 0; k < 8; k++) assertClose(r.get(k), want[k], 1e-12);
    }

    @Test
    void broadcastingFollowsNumpy() {
        HostArray x = f64(s(2, 3), X), row = f64(s(3), 10, 20, 30), col = f64(s(2, 1), 1, 2);
        List<HostArray> r = run(a -> List.of(((Tensor) a[0]).add((Tensor) a[1]), ((Tensor) a[0]).mul((Tensor) a[2])), x, row, col);
        double[] w0 = new double[6], w1 = new double[6];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) {
            w0[i * 3 + j] = X[i * 3 + j] + 10 * (j + 1);
            w1[i * 3 + j] = X[i * 3 + j] * (i + 1);
        }
        assertClose(r.get(0), w0, 1e-12);
        assertClose(r.get(1), w1, 1e-12);
        assertThat(r.get(0).shape()).containsExactly(2, 3);
    }

    @Test
    void comparisonsWhereAndCasts() {
        HostArray x = f64(s(6), X), y = f64(s(6), Y);
        List<HostArray> r = run(a -> {
            Tensor p = ((Tensor) a[0]).gt((Tensor) a[1]);
            return List.of(Ops.where(p, (Tensor) a[0], (Tensor) a[1]), p.astype(DType.I32), ((Tensor) a[0]).mul(10.0).astype(DType.I32));
        }, x, y);
        double[] w0 = new double[6], w1 = new double[6], w2 = new double[6];
        for (int i = 0; i < 6; i++) {
            w0[i] = X[i] > Y[i] ? X[i] : Y[i];
            w1[i] = X[i] > Y[i] ? 1 : 0;
            w2[i] = (long) (X[i] * 10); // convert truncates toward zero
        }
        assertClose(r.get(0), w0, 0);
        assertClose(r.get(1), w1, 0);
        assertClose(r.get(2), w2, 0);
    }

    @Test
    void shapeOps() {
        double[] v = {0, 1, 2, 3, 4, 5};
        HostArray x = f64(s(2, 3), v);
        List<HostArray> r = run(a -> {
            Tensor t = (Tensor) a[0];
            return List.of(t.T(), t.reshape(3, -1), t.reshape(1, 2, 3).squeeze(0), t.expandDims(1), t.broadcastTo(2, 2, 3),
                    Ops.slice(t, new long[]{0, 1}, new long[]{2, 3}), Ops.concat(0, t, t), Ops.pad(t, -1, new long[]{1, 0}, new long[]{0, 1}, new long[]{0, 0}));
        }, x);
        assertClose(r.get(0), new double[]{0, 3, 1, 4, 2, 5}, 0);
        assertThat(r.get(0).shape()).containsExactly(3, 2);
        assertThat(r.get(1).shape()).containsExactly(3, 2);
        assertThat(r.get(2).shape()).containsExactly(2, 3);
        assertThat(r.get(3).shape()).containsExactly(2, 1, 3);
        assertClose(r.get(4), new double[]{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}, 0);
        assertClose(r.get(5), new double[]{1, 2, 4, 5}, 0);
        assertClose(r.get(6), new double[]{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}, 0);
        assertClose(r.get(7), new double[]{-1, -1, -1, -1, 0, 1, 2, -1, 3, 4, 5, -1}, 0);
    }

    @Test
    void dynamicSliceAndUpdate() {
        HostArray x = f64(s(4), 10, 11, 12, 13), i = i32(s(), 1), u = f64(s(2), -1, -2);
        List<HostArray> r = run(a -> List.of(Ops.dynamicSlice((Tensor) a[0], List.of((Tensor) a[1]), 2),
                Ops.dynamicUpdateSlice((Tensor) a[0], (Tensor) a[2], List.of((Tensor) a[1]))), x, i, u);
        assertClose(r.get(0), new double[]{11, 12}, 0);
        assertClose(r.get(1), new double[]{10, -1, -2, 13}, 0);
    }

    @Test
    void iotaAndArange() {
        List<HostArray> r = run(a -> List.of(Ops.arange(4, DType.I32), Ops.iota(DType.F32, Shape.of(2, 3), 1)));
        assertClose(r.get(0), new double[]{0, 1, 2, 3}, 0);
        assertClose(r.get(1), new double[]{0, 1, 2, 0, 1, 2}, 0);
    }

    @Test
    void reductions() {
        HostArray x = f64(s(2, 3), X);
        List<HostArray> r = run(a -> {
            Tensor t = (Tensor) a[0];
            return List.of(t.sum(), t.sum(1), t.max(0), t.min(1), t.mean(1), t.argmax(1), Reductions.logsumexp(t, 1),
                    Reductions.softmax(t, 1), Reductions.logSoftmax(t, 1), Reductions.cumsum(t, 1));
        }, x);
        double total = 0;
        double[] rowSum = new double[2], colMax = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY},
                rowMin = {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY}, argmax = new double[2], lse = new double[2],
                sm = new double[6], lsm = new double[6], cs = new double[6];
        for (int i = 0; i < 2; i++) {
            double best = Double.NEGATIVE_INFINITY, run = 0;
            for (int j = 0; j < 3; j++) {
                double v = X[i * 3 + j];
                total += v;
                rowSum[i] += v;
                colMax[j] = Math.max(colMax[j], v);
                rowMin[i] = Math.min(rowMin[i], v);
                if (v > best) { best = v; argmax[i] = j; }
                lse[i] += Math.exp(v);
                run += v;
                cs[i * 3 + j] = run;
            }
            lse[i] = Math.log(lse[i]);
            for (int j = 0; j < 3; j++) {
                sm[i * 3 + j] = Math.exp(X[i * 3 + j] - lse[i]);
                lsm[i * 3 + j] = X[i * 3 + j] - lse[i];
            }
        }
        assertClose(r.get(0), new double[]{total}, 1e-12);
        assertClose(r.get(1), rowSum, 1e-12);
        assertClose(r.get(2), colMax, 0);
        assertClose(r.get(3), rowMin, 0);
        assertClose(r.get(4), new double[]{rowSum[0] / 3, rowSum[1] / 3}, 1e-12);
        assertClose(r.get(5), argmax, 0);
        assertClose(r.get(6), lse, 1e-12);
        assertClose(r.get(7), sm, 1e-12);
        assertClose(r.get(8), lsm, 1e-12);
        assertClose(r.get(9), cs, 1e-12);
    }

    @Test
    void argmaxTakesTheFirstOfTies() {
        HostArray x = f64(s(5), 1, 7, 3, 7, 7);
        assertClose(run1(a -> ((Tensor) a[0]).argmax(0), x), new double[]{1}, 0);
    }

    @Test
    void matmulEinsumAndPreferredType() {
        double[] A = random(3, 6), B = random(4, 12);
        HostArray a = f64(s(2, 3), A), b = f64(s(3, 4), B);
        double[] want = new double[8];
        for (int i = 0; i < 2; i++) for (int k = 0; k < 4; k++) for (int j = 0; j < 3; j++) want[i * 4 + k] += A[i * 3 + j] * B[j * 4 + k];
        double[] wantT = new double[8];
        for (int i = 0; i < 2; i++) for (int k = 0; k < 4; k++) wantT[k * 2 + i] = want[i * 4 + k];
        List<HostArray> r = run(t -> List.of(Linalg.matmul((Tensor) t[0], (Tensor) t[1]),
                Linalg.einsum("ij,jk->ki", (Tensor) t[0], (Tensor) t[1]),
                Linalg.einsum("ij->j", (Tensor) t[0]),
                Linalg.einsum("ij,jk", (Tensor) t[0], (Tensor) t[1])), a, b);
        assertClose(r.get(0), want, 1e-12);
        assertClose(r.get(1), wantT, 1e-12);
        assertThat(r.get(1).shape()).containsExactly(4, 2);
        assertClose(r.get(2), new double[]{A[0] + A[3], A[1] + A[4], A[2] + A[5]}, 1e-12);
        assertClose(r.get(3), want, 1e-12);

        // bf16 inputs with f32 accumulation: the result dtype is f32.
        HostArray ab = a.convert(io.hlo4j.mlir.types.FloatType.BF16), bb = b.convert(io.hlo4j.mlir.types.FloatType.BF16);
        HostArray m = run1(t -> Linalg.matmul((Tensor) t[0], (Tensor) t[1], DType.F32), ab, bb);
        assertThat(m.elementType()).isEqualTo(io.hlo4j.mlir.types.FloatType.F32);
        assertClose(m, want, 2e-2);
    }

    @Test
    void batchedEinsum() {
        double[] A = random(5, 12), B = random(6, 12);
        HostArray a = f64(s(2, 2, 3), A), b = f64(s(2, 3, 2), B);
        double[] want = new double[8];
        for (int bt = 0; bt < 2; bt++) for (int i = 0; i < 2; i++) for (int k = 0; k < 2; k++) for (int j = 0; j < 3; j++)
            want[bt * 4 + i * 2 + k] += A[bt * 6 + i * 3 + j] * B[bt * 6 + j * 2 + k];
        assertClose(run1(t -> Linalg.einsum("bij,bjk->bik", (Tensor) t[0], (Tensor) t[1]), a, b), want, 1e-12);
        assertClose(run1(t -> Linalg.matmul((Tensor) t[0], (Tensor) t[1]), a, b), want, 1e-12);
    }

    @Test
    void raggedDotMultipliesEachRowGroupByItsMatrix() {
        double[] L = random(7, 8), R = random(8, 12);
        HostArray lhs = f64(s(4, 2), L), rhs = f64(s(2, 2, 3), R), gs = i32(s(2), 1, 3);
        double[] want = new double[12];
        for (int m = 0; m < 4; m++) {
            int g = m < 1 ? 0 : 1;
            for (int n = 0; n < 3; n++) for (int k = 0; k < 2; k++) want[m * 3 + n] += L[m * 2 + k] * R[g * 6 + k * 3 + n];
        }
        HostArray got = run1(t -> Linalg.raggedDot((Tensor) t[0], (Tensor) t[1], (Tensor) t[2], null), lhs, rhs, gs);
        assertClose(got, want, 1e-12);
    }

    @Test
    void activationsAndOneHot() {
        HostArray x = f64(s(6), X);
        List<HostArray> r = run(a -> {
            Tensor t = (Tensor) a[0];
            return List.of(Nn.relu(t), Nn.sigmoid(t), Nn.silu(t), Nn.gelu(t, true), Nn.gelu(t, false), Nn.softplus(t));
        }, x);
        double[][] w = new double[6][6];
        for (int i = 0; i < 6; i++) {
            double v = X[i], sg = 1 / (1 + Math.exp(-v));
            w[0][i] = Math.max(v, 0);
            w[1][i] = sg;
            w[2][i] = v * sg;
            w[3][i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            w[4][i] = 0.5 * v * (1 + erfRef(v / Math.sqrt(2)));
            w[5][i] = Math.log(1 + Math.exp(v));
        }
        for (int k = 0; k < 6; k++) assertClose(r.get(k), w[k], k == 4 ? 2e-7 : 1e-12);
        HostArray oh = run1(a -> Nn.oneHot((Tensor) a[0], 3, DType.F32), i32(s(3), 2, 0, 5));
        assertClose(oh, new double[]{0, 0, 1, 1, 0, 0, 0, 0, 0}, 0);
    }

    /** erf by its Maclaurin series (converges fast for |x| < 3; the inputs here are standard normal). */
    static double erfRef(double x) {
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }
}
