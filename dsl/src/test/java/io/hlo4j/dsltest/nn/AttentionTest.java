package io.hlo4j.dsltest.nn;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** Nn.dotProductAttention against attention written as plain-Java loops, and its gradients against finite differences. */
class AttentionTest {
    static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }

    /** Mask predicate over (batch, head, t, s); null for none. */
    interface Allowed { boolean at(int b, int n, int t, int s); }

    /** Row-major [B, T, N, H] queries against [B, S, K, H] keys and values, N a multiple of K. */
    static double[] oracle(double[] q, double[] k, double[] v, int B, int T, int S, int N, int K, int H, Allowed allowed, boolean causal, double scale) {
        double[] out = new double[B * T * N * H];
        int g = N / K;
        for (int b = 0; b < B; b++) for (int n = 0; n < N; n++) for (int t = 0; t < T; t++) {
            int kn = n / g;
            double[] logit = new double[S];
            boolean any = false;
            for (int s = 0; s < S; s++) {
                boolean ok = (allowed == null || allowed.at(b, n, t, s)) && (!causal || s <= t);
                double d = 0;
                for (int h = 0; h < H; h++) d += q[((b * T + t) * N + n) * H + h] * k[((b * S + s) * K + kn) * H + h];
                logit[s] = ok ? d * scale : Double.NaN;
                any |= ok;
            }
            double[] w = new double[S];
            if (!any) java.util.Arrays.fill(w, 1.0 / S);      // a fully masked row: uniform, as JAX
            else {
                double mx = Double.NEGATIVE_INFINITY, z = 0;
                for (double l : logit) if (!Double.isNaN(l)) mx = Math.max(mx, l);
                for (int s = 0; s < S; s++) { w[s] = Double.isNaN(logit[s]) ? 0 : Math.exp(logit[s] - mx); z += w[s]; }
                for (int s = 0; s < S; s++) w[s] /= z;
            }
            for (int h = 0; h < H; h++) {
                double acc = 0;
                for (int s = 0; s < S; s++) acc += w[s] * v[((b * S + s) * K + kn) * H + h];
                out[((b * T + t) * N + n) * H + h] = acc;
            }
        }
        return out;
    }

    static double[] fill(int n, double seed) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = Math.sin(seed + i * 0.71) * 1.5;
        return a;
    }

    static HostArray arr(DType d, double[] v, long... dims) { return HostArray.fromDoubles(Spec.of(d, dims).tensorType(), v); }

    static final int B = 2, T = 3, S = 4, N = 4, K = 2, H = 3;

    @Test
    void groupedQueryCausalAndPaddingMaskedAgreeWithTheLoop() {
        double[] q = fill(B * T * N * H, 0), k = fill(B * S * K * H, 1), v = fill(B * S * K * H, 2);
        // Padding: batch 1 may not attend key 0; with causal its query 0 then sees nothing (uniform weights).
        boolean[] pad = {true, true, true, true, false, true, true, true};
        HostArray mask = HostArray.fromLongs(Spec.of(DType.BOOL, B, 1, 1, S).tensorType(), 1, 1, 1, 1, 0, 1, 1, 1);
        Jit attn = Jit.jit(a -> Nn.dotProductAttention((Tensor) a[0], (Tensor) a[1], (Tensor) a[2], (Tensor) a[3], true, 0.7));
        HostArray got = attn.call1(arr(DType.F32, q, B, T, N, H), arr(DType.F32, k, B, S, K, H), arr(DType.F32, v, B, S, K, H), mask);
        assertThat(got.type().shape()).containsExactly(B, T, N, H);
        double[] want = oracle(q, k, v, B, T, S, N, K, H, (b, n, t, s) -> pad[b * S + s], true, 0.7);
        assertThat(got.toDoubleArray()).usingComparatorWithPrecision(1e-5).containsExactly(want);
    }

    @Test
    void unmaskedDefaultScaleIsOneOverSqrtHeadDim() {
        double[] q = fill(B * T * N * H, 3), k = fill(B * S * N * H, 4), v = fill(B * S * N * H, 5);
        HostArray got = Jit.jit(a -> Nn.dotProductAttention((Tensor) a[0], (Tensor) a[1], (Tensor) a[2]))
                .call1(arr(DType.F64, q, B, T, N, H), arr(DType.F64, k, B, S, N, H), arr(DType.F64, v, B, S, N, H));
        assertThat(got.toDoubleArray()).usingComparatorWithPrecision(1e-12)
                .containsExactly(oracle(q, k, v, B, T, S, N, N, H, null, false, 1 / Math.sqrt(H)));
    }

    @Test
    void bf16InputsTakeTheirSoftmaxInF32() {
        HostArray q = arr(DType.BF16, fill(B * T * N * H, 6), B, T, N, H), k = arr(DType.BF16, fill(B * S * K * H, 7), B, S, K, H),
                v = arr(DType.BF16, fill(B * S * K * H, 8), B, S, K, H);
        Jit attn = Jit.jit(a -> Nn.dotProductAttention((Tensor) a[0], (Tensor) a[1], (Tensor) a[2], null, true));
        String text = attn.lower(q, k, v).asText();
        assertThat(text).containsPattern("stablehlo.exponential %\\S+ : tensor<2x4x3x4xf32>");
        assertThat(text).doesNotContainPattern("stablehlo.exponential %\\S+ : tensor<[0-9x]*bf16>");
        HostArray got = attn.call1(q, k, v);
        assertThat(got.type().elementType().toString()).isEqualTo("bf16");
        double[] want = oracle(q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), B, T, S, N, K, H, null, true, 1 / Math.sqrt(H));
        double[] g = got.toDoubleArray();
        for (int i = 0; i < g.length; i++) assertThat(g[i]).as("element %d", i).isCloseTo(want[i], offset(1e-2 * (1 + Math.abs(want[i]))));
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        int b = 1, t = 2, s = 3, n = 2, kh = 1, h = 2;
        double[][] in = {fill(b * t * n * h, 9), fill(b * s * kh * h, 10), fill(b * s * kh * h, 11)};
        long[][] dims = {{b, t, n, h}, {b, s, kh, h}, {b, s, kh, h}};
        double[] c = fill(b * t * n * h, 12);
        HostArray mask = HostArray.fromLongs(Spec.of(DType.BOOL, t, s).tensorType(), 1, 0, 1, 1, 1, 0);
        TracedFunction loss = a -> Ops.mul(Nn.dotProductAttention((Tensor) a[0], (Tensor) a[1], (Tensor) a[2], (Tensor) a[3], true), (Tensor) a[4]).sum();
        Object[] args = {arr(DType.F64, in[0], dims[0]), arr(DType.F64, in[1], dims[1]), arr(DType.F64, in[2], dims[2]), mask, arr(DType.F64, c, b, t, n, h)};
        List<HostArray> grads = Jit.jit("g", Grad.grad(loss, 0, 1, 2)).callList(args);
        Jit f = Jit.jit("f", loss);
        double eps = 1e-6;
        for (int which = 0; which < 3; which++) {
            double[] g = grads.get(which).toDoubleArray();
            for (int i = 0; i < in[which].length; i++) {
                Object[] up = args.clone(), dn = args.clone();
                double[] u = in[which].clone(), d = in[which].clone();
                u[i] += eps;
                d[i] -= eps;
                up[which] = arr(DType.F64, u, dims[which]);
                dn[which] = arr(DType.F64, d, dims[which]);
                double fd = (f.call1(up).getDouble(0) - f.call1(dn).getDouble(0)) / (2 * eps);
                assertThat(g[i]).as("grad of arg %d at %d", which, i).isCloseTo(fd, offset(1e-7));
            }
        }
    }

    @Test
    void refusalsNameTheOpTheShapesAndTheLine() {
        HostArray q = arr(DType.F32, fill(24, 0), 1, 2, 4, 3), k = arr(DType.F32, fill(12, 0), 1, 2, 3, 2);
        Jit heads = Jit.jit(a -> Nn.dotProductAttention((Tensor) a[0], (Tensor) a[1], (Tensor) a[1])); int l1 = line();
        assertThatThrownBy(() -> heads.call1(q, k)).hasMessageContaining("dotProductAttention")
                .hasMessageContaining("query f32[1, 2, 4, 3]").hasMessageContaining("key f32[1, 2, 3, 2]")
                .hasMessageContaining("AttentionTest.java:" + l1);
        HostArray badMask = HostArray.fromLongs(Spec.of(DType.BOOL, 3).tensorType(), 1, 1, 1);
        Jit masked = Jit.jit(a -> Nn.dotProductAttention((Tensor) a[0], (Tensor) a[0], (Tensor) a[0], (Tensor) a[1], false)); int l2 = line();
        assertThatThrownBy(() -> masked.call1(q, badMask)).hasMessageContaining("dotProductAttention").hasMessageContaining("i1[3]")
                .hasMessageContaining("[1, 4, 2, 2]").hasMessageContaining("AttentionTest.java:" + l2);
        // a mask that is not bool is refused in the mask's words (not as chlo.broadcast_and's i1 operand)
        HostArray intMask = HostArray.fromLongs(Spec.of(DType.I32, 2, 2).tensorType(), 1, 1, 1, 1);
        assertThatThrownBy(() -> masked.call1(q, intMask)).hasMessageContaining("dotProductAttention: mask i32[2, 2] must be bool (i1)")
                .hasMessageContaining("[1, 4, 2, 2]").hasMessageNotContaining("broadcast_and").hasMessageContaining("AttentionTest.java:" + l2);
        // a bool mask that broadcasts but widens the scores (rank 5) is refused with what broadcasting gives
        HostArray wide = HostArray.fromLongs(Spec.of(DType.BOOL, 3, 1, 4, 2, 2).tensorType(), new long[48]);
        assertThatThrownBy(() -> masked.call1(q, wide)).hasMessageContaining("must broadcast to [batch, heads, q_seq, kv_seq] = [1, 4, 2, 2]")
                .hasMessageContaining("broadcasting gives [3, 1, 4, 2, 2]").hasMessageContaining("AttentionTest.java:" + l2);
    }
}
