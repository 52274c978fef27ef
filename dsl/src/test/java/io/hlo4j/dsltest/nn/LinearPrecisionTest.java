package io.hlo4j.dsltest.nn;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.nn.Linear;
import io.hlo4j.dsl.nn.Params;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A bf16 Linear accumulates its product in f32 and rounds once, instead of rounding every partial sum to bf16. */
class LinearPrecisionTest {
    @Test
    void bf16LinearAccumulatesInF32() {
        int k = 64;
        TensorType bx = TensorType.of(FloatType.BF16, 1, k), bw = TensorType.of(FloatType.BF16, k, 1), bb = TensorType.of(FloatType.BF16, 1);
        // 1 + 63 * 2^-8: each 2^-8 step is below bf16's resolution at 1 (2^-7), so summing in bf16 loses them all.
        double[] x = new double[k], w = new double[k];
        for (int i = 0; i < k; i++) { x[i] = i == 0 ? 1.0 : 0x1p-8; w[i] = 1.0; }
        Linear lin = new Linear(k, 1, DType.BF16);
        Jit j = Jit.jit(a -> lin.apply(Params.of(Map.of("w", (Tensor) a[1], "b", (Tensor) a[2])), (Tensor) a[0]));
        HostArray y = j.call1(HostArray.fromDoubles(bx, x), HostArray.fromDoubles(bw, w), HostArray.fromDoubles(bb, 0));
        double exact = 1 + 63 * 0x1p-8;                                         // 1.24609375
        double once = HostArray.fromDoubles(TensorType.of(FloatType.BF16, 1), exact).getDouble(0); // rounded once: 1.25
        assertThat(y.type().elementType()).isEqualTo(FloatType.BF16);
        assertThat(y.toDoubleArray()[0]).isEqualTo(once);
        // The interpreter sums a bf16 product exactly and rounds once either way, so the program text is what tells
        // the two apart: an f32 dot_general, then one convert to bf16 (XLA would otherwise accumulate in bf16).
        String text = j.lower(Spec.of(DType.BF16, 1, k), Spec.of(DType.BF16, k, 1), Spec.of(DType.BF16, 1)).asText();
        assertThat(text).contains("-> tensor<1x1xf32>").contains("stablehlo.convert");
    }
}
