package io.hlo4j.dsltest.jnp;

import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Indexing.Mode;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Corners where hlo4j follows JAX rather than the obvious formula, each against hand values: narrow index types on
 * long axes, take_along_axis's negative indices in clip mode, the gradients of relu6 and friends at their kinks, and
 * standardize's unclamped fast variance.
 */
class JnpJaxConventionsTest {
    static double[] run(Function<Tensor[], Tensor> fn, HostArray... ins) {
        return Jit.jit("f", a -> {
            Tensor[] t = new Tensor[a.length];
            for (int i = 0; i < a.length; i++) t[i] = (Tensor) a[i];
            return fn.apply(t);
        }).call1((Object[]) ins).toDoubleArray();
    }

    static HostArray xs(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = 1.5 * i + 1;
        return HostArray.fromDoubles(TensorType.of(FloatType.F64, n), v);
    }

    /** numpy's take / take_along_axis on x[i] = 1.5 i + 1 (hand rule, per element). */
    static double[] expected(long[] idx, int n, Mode mode, boolean alongAxis) {
        double[] out = new double[idx.length];
        for (int k = 0; k < idx.length; k++) {
            long i = idx[k];
            long w = switch (mode) {
                case FILL -> i < 0 ? i + n : i;
                case WRAP -> Math.floorMod(i, n);
                case CLIP -> Math.min(Math.max(alongAxis && i < 0 ? i + n : i, 0), n - 1);
            };
            out[k] = w < 0 || w >= n ? Double.NaN : 1.5 * w + 1;
        }
        return out;
    }

    static void checkNarrowIndices(IntegerType type, int n, long... idx) {
        HostArray x = xs(n), i = HostArray.fromLongs(TensorType.of(type, idx.length), idx);
        for (Mode mode : Mode.values()) {
            assertThat(run(a -> Indexing.take(a[0], a[1], 0, mode), x, i)).as("take %s %s on %d", type, mode, n)
                    .containsExactly(expected(idx, n, mode, false));
            assertThat(run(a -> Indexing.takeAlongAxis(a[0], a[1], 0, mode), x, i)).as("takeAlongAxis %s %s on %d", type, mode, n)
                    .containsExactly(expected(idx, n, mode, true));
        }
    }

    @Test
    void narrowIndexTypesOnAxesLongerThanTheyHold() {
        checkNarrowIndices(IntegerType.I8, 200, -128, -1, 0, 5, 127, -100);
        checkNarrowIndices(IntegerType.UI8, 200, 0, 199, 200, 255, 7);
        checkNarrowIndices(IntegerType.UI8, 300, 255, 0, 128);
        checkNarrowIndices(IntegerType.I16, 40000, -32768, 32767, -1, 100, -7000);
    }

    @Test
    void takeAlongAxisCountsNegativesFromTheEndBeforeClipping() {
        HostArray x = HostArray.fromDoubles(TensorType.of(FloatType.F64, 4), 10, 20, 30, 40);
        HostArray i = HostArray.fromLongs(TensorType.of(IntegerType.I32, 3), -1, 5, -9);
        assertThat(run(a -> Indexing.takeAlongAxis(a[0], a[1], 0, Mode.CLIP), x, i)).containsExactly(40, 40, 10);
        assertThat(run(a -> Indexing.takeAlongAxis(a[0], a[1], 0, Mode.WRAP), x, i)).containsExactly(40, 20, 40);
        // jnp.take's clip (numpy's) clamps negatives to 0 instead
        assertThat(run(a -> Indexing.take(a[0], a[1], 0, Mode.CLIP), x, i)).containsExactly(10, 40, 10);
    }

    static double[] grad(Function<Tensor, Tensor> f, double... at) {
        HostArray x = HostArray.fromDoubles(TensorType.of(FloatType.F64, at.length), at);
        return Jit.jit("g", Grad.grad(a -> Reductions.sum(f.apply((Tensor) a[0])), 0)).call1(x).toDoubleArray();
    }

    @Test
    void gradientsAtTheKinksAreJaxs() {
        // JAX's relu6 JVP: select((x > 0) & (x < 6), g, 0); hard_sigmoid = relu6(x + 3) / 6; hard_silu = x * hard_sigmoid
        assertThat(grad(Nn::relu6, 0, 6, 3, -1, 7)).containsExactly(0, 0, 1, 0, 0);
        assertThat(grad(Nn::hardSigmoid, -3, 3, 0, 4)).containsExactly(0, 0, 1.0 / 6, 0);
        assertThat(grad(Nn::hardSilu, -3, 3, 0, 1)).containsExactly(0, 1, 0.5, 4.0 / 6 + 1.0 / 6);
        assertThat(grad(Nn::hardSwish, -3, 3)).containsExactly(0, 1);
        // NaN still passes through the value, as min(max(x, 0), 6) would
        assertThat(run(a -> Nn.relu6(a[0]), HostArray.fromDoubles(TensorType.of(FloatType.F64, 3), Double.NaN, -2, 8))).containsExactly(Double.NaN, 0, 6);
    }

    @Test
    void standardizeDoesNotClampANegativeFastVariance() {
        // f32 rounding makes mean(x^2) - mean(x)^2 negative here; JAX's rsqrt(var + eps) is then NaN, a clamp would hide it
        HostArray x = HostArray.fromFloats(TensorType.of(FloatType.F32, 4), 4572.515625f, 4572.51171875f, 4572.49560546875f, 4572.48974609375f);
        double[] fastVar = run(a -> Ops.sub(Reductions.mean(Ops.square(a[0]), true, -1), Ops.square(Reductions.mean(a[0], true, -1))), x);
        assertThat(fastVar[0]).as("precondition: the fast variance rounds negative").isLessThan(-1e-3);
        for (double v : run(a -> Nn.standardize(a[0], 1e-5), x)) assertThat(v).isNaN();
    }
}
