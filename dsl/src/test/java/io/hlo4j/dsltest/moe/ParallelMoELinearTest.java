package io.hlo4j.dsltest.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.ColumnParallelMoELinear;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.ParallelMoELinear;
import io.hlo4j.dsl.moe.RowParallelMoELinear;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The stacked expert linear against a per-row host matmul (f64 sums of f32 inputs). */
class ParallelMoELinearTest {
    static final int E = 3, IN = 4, OUT = 5, R = 7;
    static final long[] GROUPS = {2, 0, 3}; // rows 5 and 6 are past every group

    static double[] random(long seed, int n) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @ParameterizedTest(name = "outFirst={0} bias={1} ids={2}")
    @CsvSource({"false,false,false", "true,false,false", "false,true,false", "true,true,false", "false,true,true", "true,true,true"})
    void groupedMatmulMatchesPerRowProducts(boolean outFirst, boolean bias, boolean ids) {
        ParallelMoELinear lin = new ColumnParallelMoELinear(E, IN, OUT, bias, outFirst);
        double[] x = random(1, R * IN), k = random(2, E * IN * OUT), b = random(3, E * OUT);
        long[] rowExpert = {0, 0, 2, 2, 2, 3, 3}; // 3 = past the groups
        HostArray xa = HostArray.fromDoubles(TensorType.of(FloatType.F32, R, IN), x);
        HostArray ka = HostArray.fromDoubles(TensorType.of(FloatType.F32, lin.kernelShape()), k);
        HostArray ba = HostArray.fromDoubles(TensorType.of(FloatType.F32, E, OUT), b);
        HostArray ga = HostArray.fromLongs(TensorType.of(IntegerType.I32, E), GROUPS);
        HostArray ia = HostArray.fromLongs(TensorType.of(IntegerType.I32, R), rowExpert);
        HostArray got = Jit.jit(a -> lin.apply((Tensor) a[0], (Tensor) a[1], ids ? (Tensor) a[4] : null, (Tensor) a[2], bias ? (Tensor) a[3] : null))
                .lower(xa, ga, ka, ba, ia).compile().call(xa, ga, ka, ba, ia).get(0);
        double[] g = got.toDoubleArray();
        for (int r = 0; r < R; r++) {
            int e = (int) rowExpert[r];
            for (int o = 0; o < OUT; o++) {
                double want = 0;
                if (e < E) {
                    for (int i = 0; i < IN; i++) {
                        double kv = outFirst ? k[(e * OUT + o) * IN + i] : k[(e * IN + i) * OUT + o];
                        want += x[r * IN + i] * kv;
                    }
                    if (bias) want += b[e * OUT + o];
                }
                assertThat(g[r * OUT + o]).as("row %d out %d", r, o).isCloseTo(want, within(1e-5 * Math.max(1, Math.abs(want))));
            }
        }
    }

    @Test
    void variantsDifferOnlyInTheirSpecs() {
        assertThat(new ColumnParallelMoELinear(E, IN, OUT, true, false).kernelSpec(false).toString()).isEqualTo("P(ep, None, tp)");
        assertThat(new RowParallelMoELinear(E, IN, OUT, true, false).kernelSpec(false).toString()).isEqualTo("P(ep, tp, None)");
        assertThat(new RowParallelMoELinear(E, IN, OUT, true, false).biasSpec(false).toString()).isEqualTo("P(ep, tp)");
        assertThat(new ColumnParallelMoELinear(E, IN, OUT, true, true).kernelShape()).containsExactly(E, OUT, IN);
        assertThat(new ColumnParallelMoELinear(E, IN, OUT, true, true).biasShape()).containsExactly(E, OUT);
        assertThatThrownBy(() -> new ParallelMoELinear(E, IN, OUT, true, false, null).kernelSpec(false)).isInstanceOf(MoeException.class)
                .hasMessageContaining("no direction");
    }
}
