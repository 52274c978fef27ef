package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The router selects as {@code lax.top_k} does (EasyDeL's selection), which ranks by IEEE total order: a NaN score
 * first, 0.0 above -0.0, equal scores to the lower index. {@code Indexing.argsort} follows JAX's sort instead (NaNs
 * last, the zeros tied), so the router must not be built on it. Oracle: {@code chlo.top_k} (what lax.top_k lowers to,
 * run by the interpreter) and hand-ranked rows.
 */
class TopKOrderTest {
    private static final double NEG_NAN = Double.longBitsToDouble(0xfff8000000000000L);

    @Test
    void routerTopKIsChloTopKOnNanAndSignedZeroRows() {
        double[][] rows = {{1.0, Double.NaN, 2.0, 0.5}, {-0.0, 0.0, -1.0, 0.0}, {1.0, NEG_NAN, 2.0, 2.0}, {0.3, 0.3, 0.3, 0.1},
                {Double.NaN, 1.0, Double.NaN, 3.0}};
        long[][] byHand = {{1, 2}, {1, 3}, {2, 3}, {0, 1}, {0, 2}};
        for (int i = 0; i < rows.length; i++) {
            HostArray x = HostArray.fromDoubles(TensorType.of(FloatType.F32, 1, 4), rows[i]);
            long[] router = Jit.jit("router", a -> MoeRouter.topKStable((Tensor) a[0], 2)).call1(x).toLongArray();
            @SuppressWarnings("unchecked")
            List<HostArray> chlo = (List<HostArray>) Jit.jit("top_k", a -> Indexing.topK((Tensor) a[0], 2)).call(x);
            assertThat(router).as("row %d: hand-ranked", i).containsExactly(byHand[i]);
            assertThat(router).as("row %d: chlo.top_k", i).containsExactly(chlo.get(1).toLongArray());
        }
    }

    @Test
    void argsortKeepsJaxSortOrderWhileTotalOrderRanksNegativeNanFirst() {
        HostArray x = HostArray.fromDoubles(TensorType.of(FloatType.F32, 4), new double[] {1.0, NEG_NAN, -0.0, 0.0});
        assertThat(Jit.jit("jax", a -> Indexing.argsort((Tensor) a[0], 0)).call1(x).toLongArray()).containsExactly(2, 3, 0, 1);
        assertThat(Jit.jit("total", a -> Indexing.argsortTotalOrder((Tensor) a[0], 0)).call1(x).toLongArray()).containsExactly(1, 2, 3, 0);
    }
}
