package io.hlo4j.dsltest.vmap;

import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.dsl.vmap.Vmap.axes;
import static io.hlo4j.dsltest.vmap.VmapOracle.check;
import static io.hlo4j.dsltest.vmap.VmapOracle.f32;
import static io.hlo4j.dsltest.vmap.VmapOracle.f64;

/** The DSL's model building blocks under vmap: softmax, logsumexp, rmsNorm, attention and a MoE layer's forward. */
class VmapModelsTest {
    static Tensor t(Object[] a, int i) { return (Tensor) a[i]; }

    @Test
    void softmaxLogsumexpRmsNorm() {
        TracedFunction fn = a -> List.of(Reductions.softmax(t(a, 0), 1), Reductions.logsumexp(t(a, 0), 0),
                Nn.rmsNorm(t(a, 0), t(a, 1), 1e-6), Nn.layerNorm(t(a, 0), t(a, 1), t(a, 1), 1e-5));
        check(fn, axes(0, null), axes(0), f64(new long[]{3, 4, 5}, 1), f64(new long[]{5}, 2));
        check(fn, axes(1, 0), axes(2, 1, 0, 0), f64(new long[]{4, 3, 5}, 3), f64(new long[]{3, 5}, 4));
    }

    @Test
    void dotProductAttentionCausalAndMasked() {
        // q, k, v [B, S, N, D]; vmapped over an extra leading axis of q only (shared keys and values), then all three
        TracedFunction causal = a -> Nn.dotProductAttention(t(a, 0), t(a, 1), t(a, 2), null, true);
        check(causal, axes(0, null, null), axes(0), f32(new long[]{3, 1, 4, 2, 8}, 5), f32(new long[]{1, 4, 2, 8}, 6),
                f32(new long[]{1, 4, 2, 8}, 7));
        check(causal, axes(2, 2, 2), axes(1), f32(new long[]{1, 4, 2, 2, 8}, 8), f32(new long[]{1, 4, 2, 2, 8}, 9),
                f32(new long[]{1, 4, 2, 2, 8}, 10));
    }

    @Test
    void raggedDotWithPerExampleGroupSizesAndLeftoverRows() {
        // lhs [7, 3] in groups of rhs [3, 3, 2]; example sizes sum to 7 or less (leftover rows are zero)
        TracedFunction fn = a -> Linalg.raggedDot(t(a, 0), t(a, 1), t(a, 2), null);
        HostArray sizes = HostArray.fromLongs(TensorType.of(IntegerType.I32, 4, 3), 3, 0, 4, 1, 1, 1, 0, 0, 0, 2, 5, 0);
        check(fn, axes(0, null, 0), axes(0), f64(new long[]{4, 7, 3}, 16), f64(new long[]{3, 3, 2}, 17), sizes);
        check(fn, axes(1, 0, 0), axes(1), f64(new long[]{7, 4, 3}, 18), f64(new long[]{4, 3, 3, 2}, 19), sizes);
        HostArray shared = HostArray.fromLongs(TensorType.of(IntegerType.I32, 3), 2, 2, 2);
        check(fn, axes(0, null, null), axes(0), f64(new long[]{4, 7, 3}, 20), f64(new long[]{3, 3, 2}, 21), shared);
    }

    @Test
    void raggedDotGroupSizesSummingPastTheRowsStayInTheirExample() {
        // m = 7: sums 9, 7, 12, 9 and 0; one example's surplus must not shift the next example's rows
        TracedFunction fn = a -> Linalg.raggedDot(t(a, 0), t(a, 1), t(a, 2), null);
        HostArray sizes = HostArray.fromLongs(TensorType.of(IntegerType.I32, 5, 3), 5, 4, 0, 2, 2, 3, 7, 1, 4, 0, 0, 9, 0, 0, 0);
        check(fn, axes(0, null, 0), axes(0), f64(new long[]{5, 7, 3}, 22), f64(new long[]{3, 3, 2}, 23), sizes);
        check(fn, axes(0, 0, 0), axes(0), f64(new long[]{5, 7, 3}, 24), f64(new long[]{5, 3, 3, 2}, 25), sizes);
    }

    @Test
    void moeLayerForwardOverAnExtraBatchAxis() {
        MoeConfig cfg = MoeConfig.of(4, 2, 8, 16);
        TracedFunction layer = a -> new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall(t(a, 0), BaseMoeModule.linearGate(t(a, 1)),
                ExpertWeights.of(t(a, 2), t(a, 3), t(a, 4)), false).output();
        // x [2, 3, 8] per example, 3 examples; the weights are shared
        check(layer, axes(0, null, null, null, null), axes(0), f32(new long[]{3, 2, 3, 8}, 11), f32(new long[]{8, 4}, 12),
                f32(new long[]{4, 8, 16}, 13), f32(new long[]{4, 8, 16}, 14), f32(new long[]{4, 16, 8}, 15));
    }
}
