package io.hlo4j.dsltest.jnp;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Losses;
import io.hlo4j.dsl.Masks;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Rearrange;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Rotary;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jax.numpy / jax.nn / optax surface against numpy goldens made by scripts/gen_jnp_fixtures.py (float64 formulas
 * from JAX's and optax's documentation). Each case runs its DSL call on the interpreter after the traced module
 * parses back and verifies; NaN and infinities must sit where numpy has them.
 */
class JnpGoldenTest {
    static final Map<String, Function<List<Tensor>, List<Tensor>>> CASES = new LinkedHashMap<>();

    static void c(String name, Function<List<Tensor>, List<Tensor>> fn) { CASES.put(name, fn); }

    static Tensor i32(Tensor b) { return b.astype(DType.I32); }

    static {
        c("var_ddof1_axis1", a -> List.of(Reductions.var(a.get(0), 1, false, 1)));
        c("std_keepdims_axis0", a -> List.of(Reductions.std(a.get(0), 0, true, 0)));
        c("var_all", a -> List.of(Reductions.var(a.get(0))));
        c("var_int_to_f32", a -> List.of(Reductions.var(a.get(0), -1)));
        c("var_ddof_ge_n_is_nan", a -> List.of(Reductions.var(a.get(0), 4, false, 1)));
        c("any_all", a -> List.of(i32(Reductions.any(a.get(0), 1)), i32(Reductions.all(a.get(0), 1)), i32(Reductions.any(a.get(0))),
                i32(Reductions.all(a.get(0), true, 0))));
        c("cumsum_reverse", a -> List.of(Reductions.cumsum(a.get(0), 1, true)));
        c("cumprod", a -> List.of(Reductions.cumprod(a.get(0), 1), Reductions.cumprod(a.get(0), -2, true)));
        c("cummax_cummin", a -> List.of(Reductions.cummax(a.get(0), 1), Reductions.cummin(a.get(0), 1, true)));
        c("cumlogsumexp", a -> List.of(Reductions.cumlogsumexp(a.get(0), 1), Reductions.cumlogsumexp(a.get(0), -1, true)));
        c("clip", a -> List.of(Ops.clip(a.get(0), -0.5, 0.5), Ops.clip(a.get(0), 0.5, -0.5), Ops.clip(a.get(0), null, 0.25)));
        c("clip_tensor_bounds", a -> List.of(Ops.clip(a.get(0), a.get(1), a.get(2))));
        c("atan2", a -> List.of(Ops.atan2(a.get(0), a.get(1))));
        c("logaddexp", a -> List.of(Ops.logaddexp(a.get(0), a.get(1))));
        c("linspace", a -> List.of(Ops.linspace(-1, 2, 7, true, DType.F64), Ops.linspace(-1, 2, 6, false, DType.F64),
                Ops.linspace(3, 5, 1, true, DType.F64)));
        c("linspace_tensor_bounds", a -> List.of(Ops.linspace(a.get(0), a.get(1), 5, true)));
        c("isnan_isinf", a -> List.of(i32(Ops.isNan(a.get(0))), i32(Ops.isInf(a.get(0)))));
        c("flip", a -> List.of(Rearrange.flip(a.get(0), 1), Rearrange.flip(a.get(0)), Rearrange.flip(a.get(0), 0, -1)));
        c("roll", a -> List.of(Rearrange.roll(a.get(0), 2, 2), Rearrange.roll(a.get(0), -5, 1), Rearrange.roll(a.get(0), 7),
                Rearrange.roll(a.get(0), new long[]{1, -1}, new int[]{0, 2})));
        c("tile", a -> List.of(Rearrange.tile(a.get(0), 2), Rearrange.tile(a.get(0), 2, 1, 3), Rearrange.tile(a.get(0), 3, 1)));
        c("repeat", a -> List.of(Rearrange.repeat(a.get(0), 2, 1), Rearrange.repeat(a.get(0), 3), Rearrange.repeat(a.get(0), new long[]{0, 2, 1}, 1),
                Rearrange.repeat(a.get(0), 2, -2)));
        c("split", a -> {
            List<Tensor> out = new ArrayList<>(Rearrange.arraySplit(a.get(0), 3, 0));
            out.addAll(Rearrange.split(a.get(1), new long[]{1, 3}, -1));
            out.addAll(Rearrange.split(a.get(1), 3, 1));
            return out;
        });
        c("tril_triu", a -> List.of(Rearrange.tril(a.get(0)), Rearrange.tril(a.get(0), -1), Rearrange.triu(a.get(0), 1), Rearrange.triu(a.get(0), -2)));
        c("swapaxes_moveaxis", a -> List.of(Rearrange.swapaxes(a.get(0), 0, 2), Rearrange.moveaxis(a.get(0), 0, -1), Rearrange.moveaxis(a.get(0), 2, 0)));
        c("take_modes", a -> List.of(Indexing.take(a.get(0), a.get(1), 0, Indexing.Mode.FILL), Indexing.take(a.get(0), a.get(1), 0, Indexing.Mode.CLIP),
                Indexing.take(a.get(0), a.get(1), 0, Indexing.Mode.WRAP), Indexing.take(a.get(0), a.get(1), 1, Indexing.Mode.FILL, -7)));
        c("take_narrow_indices", a -> {
            List<Tensor> out = new ArrayList<>();
            for (Tensor i : List.of(a.get(1), a.get(2))) {
                for (Indexing.Mode m : List.of(Indexing.Mode.FILL, Indexing.Mode.CLIP, Indexing.Mode.WRAP)) out.add(Indexing.take(a.get(0), i, 0, m));
            }
            return out;
        });
        c("take_along_axis_narrow_clip_wrap", a -> List.of(Indexing.takeAlongAxis(a.get(0), a.get(1), 1, Indexing.Mode.CLIP),
                Indexing.takeAlongAxis(a.get(0), a.get(1), -1, Indexing.Mode.WRAP)));
        c("take_along_axis_fill", a -> List.of(Indexing.takeAlongAxis(a.get(0), a.get(1), 1, Indexing.Mode.FILL)));
        c("sort_nan_last", a -> List.of(Indexing.sort(a.get(0), 1), Indexing.argsort(a.get(0), 1)));
        c("sort_descending", a -> List.of(Indexing.sort(a.get(0), 1, true), Indexing.argsort(a.get(0), -1, true),
                Indexing.sort(a.get(0).T(), 0, true)));
        c("sort_jax_order", a -> List.of(Indexing.sort(a.get(0), 1), Indexing.argsort(a.get(0), 1), Indexing.sort(a.get(0), 1, true),
                Indexing.argsort(a.get(0), 1, true), Indexing.argsort(a.get(1), 1), Indexing.argsort(a.get(1), -1, true)));
        c("activations", a -> {
            Tensor x = a.get(0);
            return List.of(Nn.logSigmoid(x), Nn.relu6(x), Nn.hardSigmoid(x), Nn.hardSilu(x), Nn.hardTanh(x), Nn.leakyRelu(x, 0.01),
                    Nn.elu(x, 0.7), Nn.celu(x, 1.3), Nn.selu(x), Nn.mish(x), Nn.softSign(x), Nn.squareplus(x, 4), Nn.swish(x));
        });
        c("glu", a -> List.of(Nn.glu(a.get(0), -1), Nn.glu(a.get(0).T(), 0)));
        c("standardize", a -> List.of(Nn.standardize(a.get(0), 1e-5), Nn.standardize(a.get(0), 1e-3, 0, 1)));
        c("one_hot_axis", a -> List.of(Nn.oneHot(a.get(0), 3, DType.F32, 0), Nn.oneHot(a.get(0), 4, DType.F32, -2)));
        c("softmax_where", a -> List.of(Nn.softmax(a.get(0), -1, a.get(1)), Nn.logSoftmax(a.get(0), 1, a.get(1)), Nn.logsumexp(a.get(0), -1, a.get(1))));
        c("softmax_cross_entropy", a -> List.of(Losses.softmaxCrossEntropy(a.get(0), a.get(1)),
                Losses.softmaxCrossEntropy(a.get(0), a.get(1), 0, null)));
        c("softmax_ce_integer_labels", a -> List.of(Losses.softmaxCrossEntropyWithIntegerLabels(a.get(0), a.get(1)),
                Losses.softmaxCrossEntropyWithIntegerLabels(a.get(0), a.get(1), -1, a.get(2))));
        c("softmax_ce_integer_labels_class_where", a -> List.of(Losses.softmaxCrossEntropyWithIntegerLabels(a.get(0), a.get(1), -1, a.get(2))));
        c("sigmoid_bce", a -> List.of(Losses.sigmoidBinaryCrossEntropy(a.get(0), a.get(1))));
        c("regression_losses", a -> List.of(Losses.squaredError(a.get(0), a.get(1)), Losses.l2Loss(a.get(0), a.get(1)),
                Losses.huberLoss(a.get(0), a.get(1), 1.5), Losses.logCosh(a.get(0), a.get(1))));
        c("kl_smooth", a -> List.of(Losses.klDivergence(a.get(0), a.get(1)), Losses.smoothLabels(a.get(1), 0.1)));
        c("rotary", a -> {
            List<Tensor> cs = Rotary.cosSin(a.get(0), 8, 10000, DType.F64);
            Tensor q = Rotary.applyRotaryPosEmb(a.get(1), a.get(1), cs.get(0), cs.get(1), 1).get(0);
            Tensor k = Rotary.apply(a.get(2), cs.get(0), cs.get(1), 2);
            return List.of(cs.get(0), cs.get(1), q, k, Rotary.deinterleave(a.get(1)));
        });
        c("rotary_scaled_f32", a -> {
            double[] f = Rotary.inverseFrequencies(4, 500000);
            f[0] *= 0.25;
            Tensor p0 = Ops.reshape(Ops.slice(a.get(0), new long[]{0, 0}, new long[]{1, 5}), 5);
            return Rotary.cosSin(p0, f, 1.2, DType.F32);
        });
        c("masks", a -> List.of(i32(Masks.causal(3, 5)), i32(Masks.causal(3, 5, 2)), i32(Masks.slidingWindow(4, 6, 3, 2)),
                i32(Masks.localWindow(4, 6, 1, 1, 0)), i32(Masks.padding(a.get(0))), i32(Masks.keyLengths(a.get(1), 6))));
    }

    static Path dir() throws Exception {
        return Path.of(JnpGoldenTest.class.getResource("/jnp/cases.txt").toURI()).getParent();
    }

    @Test
    void everyFixtureHasACallAndEveryCallAFixture() throws Exception {
        TreeSet<String> names = new TreeSet<>();
        for (String line : Files.readAllLines(dir().resolve("cases.txt"))) if (!line.isBlank()) names.add(line.split(" ")[0]);
        assertThat(names).containsExactlyInAnyOrderElementsOf(CASES.keySet());
    }

    @TestFactory
    Stream<DynamicTest> goldens() throws Exception {
        Path d = dir();
        return Files.readAllLines(d.resolve("cases.txt")).stream().filter(l -> !l.isBlank()).map(line -> {
            String[] p = line.split(" ");
            String name = p[0];
            int nIn = Integer.parseInt(p[1]), nOut = Integer.parseInt(p[2]);
            return DynamicTest.dynamicTest(name, () -> {
                HostArray[] ins = new HostArray[nIn];
                for (int i = 0; i < nIn; i++) ins[i] = Npy.read(d.resolve(name + "_in" + i + ".npy"));
                Function<List<Tensor>, List<Tensor>> fn = CASES.get(name);
                assertThat(fn).as("DSL call for fixture %s", name).isNotNull();
                Jit j = Jit.jit(name, a -> {
                    List<Tensor> ts = new ArrayList<>();
                    for (Object o : a) ts.add((Tensor) o);
                    return fn.apply(ts);
                });
                Lowered lowered = j.lower((Object[]) ins);
                ModuleVerifier.verify(MlirParser.parseModule(lowered.asText(), name + ".mlir"));
                List<HostArray> got = lowered.compile().call(ins);
                assertThat(got).as("results of %s", name).hasSize(nOut);
                for (int i = 0; i < nOut; i++) {
                    HostArray want = Npy.read(d.resolve(name + "_out" + i + ".npy"));
                    assertThat(got.get(i).shape()).as("%s result %d shape", name, i).containsExactly(want.shape());
                    assertThat(got.get(i).type().elementType()).as("%s result %d dtype", name, i).isEqualTo(want.type().elementType());
                    boolean f32 = got.get(i).type().elementType().toString().equals("f32");
                    close(name + " result " + i, got.get(i).toDoubleArray(), want.toDoubleArray(), f32 ? 2e-6 : 1e-12);
                }
            });
        });
    }

    static void close(String what, double[] got, double[] want, double rel) {
        assertThat(got).as(what).hasSize(want.length);
        for (int k = 0; k < want.length; k++) {
            double g = got[k], w = want[k];
            if (Double.isNaN(w)) {
                assertThat(Double.isNaN(g)).as("%s element %d is %s, want NaN: %s", what, k, g, Arrays.toString(got)).isTrue();
            } else if (Double.isInfinite(w)) {
                assertThat(g).as("%s element %d of %s", what, k, Arrays.toString(got)).isEqualTo(w);
            } else {
                assertThat(Math.abs(g - w)).as("%s element %d: got %s, want %s", what, k, g, w).isLessThanOrEqualTo(rel * Math.max(1, Math.abs(w)));
            }
        }
    }
}
