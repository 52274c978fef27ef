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

    @Test
    void u64IndicesOf2To63AndMoreAreOutOfRangeInEveryMode() {
        // unsigned: 2^63, 2^63 + 3 and 2^64 - 1 are past the axis (their i64 reading would be negative)
        int n = 5;
        long[] idx = {0, 4, 5, Long.MIN_VALUE, Long.MIN_VALUE + 3, -1, 7};
        HostArray x = xs(n), i = HostArray.fromLongs(TensorType.of(IntegerType.UI64, idx.length), idx);
        for (Mode mode : Mode.values()) {
            double[] want = new double[idx.length];
            for (int k = 0; k < idx.length; k++) {
                long w = switch (mode) {
                    case FILL -> Long.compareUnsigned(idx[k], n) < 0 ? idx[k] : -1;
                    case CLIP -> Long.compareUnsigned(idx[k], n - 1) < 0 ? idx[k] : n - 1;
                    case WRAP -> Long.remainderUnsigned(idx[k], n);
                };
                want[k] = w < 0 ? Double.NaN : 1.5 * w + 1;
            }
            assertThat(run(a -> Indexing.take(a[0], a[1], 0, mode), x, i)).as("take u64 %s", mode).containsExactly(want);
            assertThat(run(a -> Indexing.takeAlongAxis(a[0], a[1], 0, mode), x, i)).as("takeAlongAxis u64 %s", mode).containsExactly(want);
        }
        // the general gather clamps (clip) or fills past the end, its start bound compared unsigned too
        io.hlo4j.dsl.GatherDims rows = io.hlo4j.dsl.GatherDims.of(new int[]{}, new int[]{0}, new int[]{0});
        HostArray starts = HostArray.fromLongs(TensorType.of(IntegerType.UI64, 4, 1), 2, Long.MIN_VALUE, -1, 4);
        assertThat(run(a -> Indexing.gather(a[0], a[1], rows, new long[]{1}), x, starts)).containsExactly(4, 7, 7, 7);
        assertThat(run(a -> Indexing.gatherFill(a[0], a[1], rows, new long[]{1}, -9), x, starts)).containsExactly(4, -9, -9, 7);
        assertThat(run(a -> Indexing.takeInBounds(a[0], a[1], 0), x, i)).as("takeInBounds (the bare gather) clamps")
                .containsExactly(1, 7, 7, 7, 7, 7, 7);
    }

    /** The raw bits of {@code x} sorted (or reversed-sorted) along its only axis, read through a same-width integer. */
    static long[] sortedBits(TensorType t, boolean descending, long... bits) {
        io.hlo4j.dsl.DType asInt = t.elementType() == FloatType.F32 ? io.hlo4j.dsl.DType.I32 : io.hlo4j.dsl.DType.I16;
        return Jit.jit("s", a -> Ops.bitcast(Indexing.sort((Tensor) a[0], 0, descending), asInt)).call1(HostArray.fromBits(t, bits)).toLongArray();
    }

    @Test
    void sortTiesTheZerosAndPutsEveryNanLastAsJaxsComparatorDoes() {
        // input 0.0, -0.0, +NaN, -NaN, -0.0, 1.0: ascending keeps the zeros and the NaNs in input order (IEEE total order
        // would give -NaN, -0.0, -0.0, 0.0, 1.0, +NaN); descending is that reversed, as jnp.sort(descending=True)
        long[] f32 = {0x00000000L, 0x80000000L, 0x7fc00000L, 0xffc00000L, 0x80000000L, 0x3f800000L};
        assertThat(sortedBits(TensorType.of(FloatType.F32, 6), false, f32)).containsExactly(
                0, (int) 0x80000000L, (int) 0x80000000L, 0x3f800000, 0x7fc00000, (int) 0xffc00000L);
        assertThat(sortedBits(TensorType.of(FloatType.F32, 6), true, f32)).containsExactly(
                (int) 0xffc00000L, 0x7fc00000, 0x3f800000, (int) 0x80000000L, (int) 0x80000000L, 0);
        long[] bf16 = {0x0000, 0x8000, 0x7fc0, 0xffc0, 0x8000, 0x3f80};
        assertThat(sortedBits(TensorType.of(FloatType.BF16, 6), false, bf16)).containsExactly(0, (short) 0x8000, (short) 0x8000, 0x3f80, 0x7fc0, (short) 0xffc0);
        assertThat(sortedBits(TensorType.of(FloatType.BF16, 6), true, bf16)).containsExactly((short) 0xffc0, 0x7fc0, 0x3f80, (short) 0x8000, (short) 0x8000, 0);
        // argsort of the same bf16 input, both ways: equal keys (the zeros, the NaNs) keep their input order in both
        HostArray b = HostArray.fromBits(TensorType.of(FloatType.BF16, 6), bf16);
        assertThat(Jit.jit("a", a -> Indexing.argsort((Tensor) a[0], 0)).call1(b).toLongArray()).containsExactly(0, 1, 4, 5, 2, 3);
        assertThat(Jit.jit("d", a -> Indexing.argsort((Tensor) a[0], 0, true)).call1(b).toLongArray()).containsExactly(2, 3, 5, 0, 1, 4);
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
