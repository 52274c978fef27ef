package io.hlo4j.dsltest;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Random;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.dsltest.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

class RandomTest {
    static HostArray u32(long... v) { return HostArray.fromLongs(TensorType.of(IntegerType.UI32, v.length), v); }

    /** Random123's known-answer vectors for threefry2x32_20: counter (x0, x1), key (k0, k1) -> output. */
    @Test
    void threefryMatchesKnownAnswers() {
        long[][] kat = {
                {0, 0, 0, 0, 0x6b200159L, 0x99ba4efeL},
                {0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0x1cb996fcL, 0xbb002be7L},
                {0x243f6a88L, 0x85a308d3L, 0x13198a2eL, 0x03707344L, 0xc4923a9cL, 0x483df7a0L}};
        for (long[] k : kat) {
            List<HostArray> r = run(a -> {
                Tensor[] y = Random.threefry2x32((Tensor) a[0], (Tensor) a[1], (Tensor) a[2]);
                return List.of(y[0], y[1]);
            }, u32(k[2], k[3]), u32(k[0]), u32(k[1]));
            assertThat(r.get(0).getLong(0)).as("x0 for %s", java.util.Arrays.toString(k)).isEqualTo(k[4]);
            assertThat(r.get(1).getLong(0)).isEqualTo(k[5]);
        }
    }

    /** jax.random.split(jax.random.PRNGKey(0)) under the original threefry scheme, as JAX's documentation prints it. */
    @Test
    void splitMatchesJaxClassicThreefry() {
        HostArray ks = run1(a -> Random.split(Random.key(0), 2));
        assertThat(ks.toLongArray()).containsExactly(4146024105L, 967050713L, 2718843009L, 1272950319L);
    }

    @Test
    void uniformAndNormalHaveTheRightMoments() {
        List<HostArray> r = run(a -> List.of(Random.uniform(Random.key(42), Shape.of(4000), DType.F32),
                Random.normal(Random.foldIn(Random.key(42), 7), Shape.of(4000), DType.F64)));
        double[] u = r.get(0).toDoubleArray(), n = r.get(1).toDoubleArray();
        double mu = 0, mn = 0, vn = 0;
        for (double v : u) {
            assertThat(v).isGreaterThanOrEqualTo(0).isLessThan(1);
            mu += v / u.length;
        }
        for (double v : n) mn += v / n.length;
        for (double v : n) vn += (v - mn) * (v - mn) / n.length;
        // 4000 samples: the standard errors are ~0.005 (uniform mean) and ~0.016 (normal mean).
        assertThat(mu).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.02));
        assertThat(mn).isCloseTo(0.0, org.assertj.core.data.Offset.offset(0.06));
        assertThat(vn).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.1));
        // Deterministic: the same key gives the same numbers.
        HostArray again = run1(a -> Random.uniform(Random.key(42), Shape.of(4000), DType.F32));
        assertThat(again).isEqualTo(r.get(0));
    }
}
