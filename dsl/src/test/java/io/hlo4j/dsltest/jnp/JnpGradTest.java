package io.hlo4j.dsltest.jnp;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Losses;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Rearrange;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Rotary;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gradients of the differentiable jnp / jax.nn / optax functions against central finite differences in f64: the loss
 * is {@code sum(f(x) * w)} with fixed random weights w (non-finite entries of f(x), e.g. -inf from a masked
 * log-softmax, left out), so every output element's derivative is checked. Points sit away from kinks and ties.
 */
class JnpGradTest {
    record Case(long[] shape, double scale, Function<Tensor, Tensor> fn) {}

    static final Map<String, Case> CASES = new LinkedHashMap<>();

    static void c(String name, long[] shape, double scale, Function<Tensor, Tensor> fn) { CASES.put(name, new Case(shape, scale, fn)); }

    static long[] s(long... d) { return d; }

    static Tensor bools(boolean[] v, long... shape) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i] ? 1 : 0;
        return Ops.ne(Ops.constant(d, Shape.of(shape), DType.F64), Ops.scalar(0, DType.F64));
    }

    static Tensor ints(long[] shape, double... v) { return Ops.constant(v, Shape.of(shape), DType.I32); }

    static {
        c("var_ddof1", s(3, 4), 1, x -> Reductions.var(x, 1, false, 1));
        c("std_all_keepdims", s(3, 4), 1, x -> Reductions.std(x, 0, true));
        c("clip", s(3, 4), 1, x -> Ops.clip(x, -0.5, 0.6));
        c("clip_tensor_bounds", s(3, 4), 1, x -> Ops.clip(Ops.mul(x, 0.1), Ops.slice(x, new long[]{0, 0}, new long[]{1, 4}), null));
        c("atan2", s(2, 3), 1, x -> Ops.atan2(x, Ops.add(Rearrange.flip(x, 1), 0.3)));
        c("logaddexp", s(2, 3), 3, x -> Ops.logaddexp(x, Rearrange.roll(x, 1, 1)));
        c("cumsum_reverse", s(2, 5), 1, x -> Reductions.cumsum(x, 1, true));
        c("cumprod", s(2, 5), 1, x -> Reductions.cumprod(x, 1));
        c("cumprod_reverse", s(5, 2), 1, x -> Reductions.cumprod(x, 0, true));
        c("cummax", s(2, 6), 1, x -> Reductions.cummax(x, 1));
        c("cummin_reverse", s(2, 6), 1, x -> Reductions.cummin(x, 1, true));
        c("cumlogsumexp", s(2, 6), 3, x -> Reductions.cumlogsumexp(x, 1));
        c("cumlogsumexp_reverse", s(6, 2), 3, x -> Reductions.cumlogsumexp(x, 0, true));
        c("linspace_bounds", s(2), 1, x -> Ops.linspace(Ops.slice(x, new long[]{0}, new long[]{1}), Ops.slice(x, new long[]{1}, new long[]{2}), 5, true));
        c("rearrange", s(2, 3, 4), 1, x -> Ops.concat(0, Rearrange.tril(Rearrange.roll(Rearrange.flip(x, 2), -1, 1), 1),
                Rearrange.triu(Rearrange.swapaxes(Rearrange.tile(Ops.slice(x, new long[]{0, 0, 0}, new long[]{1, 3, 2}), 1, 1, 2), 1, 1), 0)));
        c("repeat_split", s(3, 4), 1, x -> {
            List<Tensor> parts = Rearrange.arraySplit(Rearrange.repeat(x, new long[]{2, 0, 1, 3}, 1), 4, 1);
            return Ops.add(Ops.mul(parts.get(0), parts.get(3)), Rearrange.repeat(parts.get(1), 1, 0));
        });
        c("take_fill_wrap", s(4, 3), 1, x -> Ops.add(Indexing.take(x, ints(s(5), 3, -1, 9, 0, 3), 0, Indexing.Mode.FILL, 0.5),
                Indexing.take(x, ints(s(5), -5, 2, 6, 1, 0), 0, Indexing.Mode.WRAP)));
        c("take_along_axis", s(3, 4), 1, x -> Indexing.takeAlongAxis(x, ints(s(3, 2), 0, 3, -1, 2, 1, 8), 1, Indexing.Mode.FILL, 0));
        c("sort_descending", s(2, 5), 1, x -> Indexing.sort(x, 1, true));
        c("log_sigmoid", s(8), 3, Nn::logSigmoid);
        c("relu6_hard", s(10), 4, x -> Ops.add(Ops.add(Nn.relu6(x), Nn.hardSilu(x)), Nn.hardTanh(x)));
        c("leaky_elu_celu_selu", s(8), 2, x -> Ops.add(Ops.add(Nn.leakyRelu(x, 0.1), Nn.elu(x, 0.7)), Ops.add(Nn.celu(x, 1.3), Nn.selu(x))));
        c("mish_softsign_squareplus", s(8), 2, x -> Ops.add(Ops.add(Nn.mish(x), Nn.softSign(x)), Nn.squareplus(x, 4)));
        c("glu", s(3, 4), 1, x -> Nn.glu(x, -1));
        c("standardize", s(3, 5), 2, x -> Nn.standardize(x, 1e-5));
        c("softmax_where", s(3, 4), 2, x -> Nn.softmax(x, -1, bools(new boolean[]{true, false, true, true}, 4)));
        c("log_softmax_where", s(3, 4), 2, x -> Nn.logSoftmax(x, 1, bools(new boolean[]{true, false, true, true, false, false, false, false, true, true, false, true}, 3, 4)));
        c("logsumexp_where", s(3, 4), 2, x -> Nn.logsumexp(x, 0, bools(new boolean[]{true, false, true}, 3, 1)));
        c("softmax_cross_entropy", s(3, 4), 2, x -> Losses.softmaxCrossEntropy(x, Reductions.softmax(Rearrange.flip(x, 1), 1)));
        c("ce_integer_labels", s(3, 5), 2, x -> Losses.softmaxCrossEntropyWithIntegerLabels(x, ints(s(3), 1, 4, 9), -1,
                bools(new boolean[]{true, true, false}, 3)));
        c("ce_integer_labels_class_where", s(3, 5), 2, x -> Losses.softmaxCrossEntropyWithIntegerLabels(x, ints(s(3), 1, 4, 0), -1,
                bools(new boolean[]{true, true, false, true, true}, 1, 5)));
        c("sigmoid_bce", s(6), 3, x -> Losses.sigmoidBinaryCrossEntropy(x, Ops.constant(new double[]{0, 1, 0.3, 0.5, 1, 0}, Shape.of(6), DType.F64)));
        c("regression", s(3, 4), 2, x -> {
            Tensor t = Rearrange.roll(x, 1, 0);
            return Ops.add(Ops.add(Losses.huberLoss(x, t, 0.8), Losses.logCosh(x, t)), Losses.l2Loss(x, t));
        });
        c("kl_divergence", s(3, 4), 1, x -> Losses.klDivergence(Reductions.logSoftmax(x, 1), Reductions.softmax(Rearrange.flip(x, 1), 1)));
        c("rotary", s(1, 2, 3, 4), 1, x -> {
            List<Tensor> cs = Rotary.cosSin(Ops.iota(DType.I32, Shape.of(1, 3), 1), 4, 100, DType.F64);
            return Rotary.apply(Rotary.deinterleave(x), cs.get(0), cs.get(1), 1);
        });
    }

    static HostArray f64(long[] shape, long seed, double scale) {
        TensorType t = TensorType.of(FloatType.F64, shape);
        Random r = new Random(seed);
        double[] v = new double[(int) t.numElements()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian() * scale;
        return HostArray.fromDoubles(t, v);
    }

    @TestFactory
    Stream<DynamicTest> gradientsMatchFiniteDifferences() {
        return CASES.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Case k = e.getValue();
            HostArray x = f64(k.shape(), e.getKey().hashCode(), k.scale());
            HostArray y = Jit.jit("f", a -> k.fn().apply((Tensor) a[0])).call1(x);
            HostArray w = f64(y.shape(), 7, 1);
            io.hlo4j.dsl.jit.TracedFunction loss = a -> {
                Tensor fx = k.fn().apply((Tensor) a[0]);
                return Reductions.sum(Ops.mul(Ops.where(Ops.isFinite(fx), fx, 0.0), (Tensor) a[1]));
            };
            double[] g = Jit.jit("g", Grad.grad(loss, 0)).call1(x, w).toDoubleArray();
            Jit l = Jit.jit("l", loss);
            double[] v = x.toDoubleArray(), fd = new double[v.length];
            double h = 1e-6;
            for (int i = 0; i < v.length; i++) {
                double[] p = v.clone(), m = v.clone();
                p[i] += h;
                m[i] -= h;
                fd[i] = (l.call1(HostArray.fromDoubles(x.type(), p), w).getDouble(0) - l.call1(HostArray.fromDoubles(x.type(), m), w).getDouble(0)) / (2 * h);
            }
            double num = 0, den = 0;
            for (int i = 0; i < v.length; i++) { num += (g[i] - fd[i]) * (g[i] - fd[i]); den += fd[i] * fd[i]; }
            assertThat(den).as("%s: finite differences are all zero, the check would be vacuous", e.getKey()).isGreaterThan(1e-6);
            assertThat(Math.sqrt(num)).as("%s: grad %s vs finite differences %s", e.getKey(), java.util.Arrays.toString(g), java.util.Arrays.toString(fd))
                    .isLessThanOrEqualTo(1e-6 * Math.sqrt(den));
        }));
    }
}
