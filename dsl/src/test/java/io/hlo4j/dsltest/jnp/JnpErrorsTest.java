package io.hlo4j.dsltest.jnp;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Losses;
import io.hlo4j.dsl.Masks;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Rearrange;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Rotary;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad calls of the jnp surface are refused while tracing, naming the function, the values and the caller's line. */
class JnpErrorsTest {
    static void refused(Function<Tensor, Object> fn, Spec spec, String op, String... parts) {
        assertThatThrownBy(() -> Jit.jit1(x -> {
            Object r = fn.apply(x);
            return r instanceof Tensor t ? t : x;
        }).lower(spec)).isInstanceOf(DslException.class)
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((DslException) e).op()).isEqualTo(op))
                .hasMessageContaining("JnpErrorsTest.java:")
                .hasMessageContainingAll(parts);
    }

    static final Spec F = Spec.of(DType.F32, 3, 5);

    @Test
    void shapesAndSizes() {
        refused(x -> Rearrange.split(x, 2, 1), F, "split", "size 5", "2 equal sections", "f32[3, 5]");
        refused(x -> Rearrange.split(x, new long[]{3, 1}, 1), F, "split", "[3, 1]", "non-decreasing within [0, 5]");
        refused(x -> Rearrange.arraySplit(x, 0, 0), F, "arraySplit", "0 must be positive");
        refused(x -> Nn.glu(x, 1), F, "glu", "odd size 5");
        refused(x -> Rearrange.tril(Ops.reshape(x, 15)), F, "tril", "at least 2 axes", "f32[15]");
        refused(x -> Rearrange.roll(x, new long[]{1, 2}, new int[]{0}), F, "roll", "2 shifts [1, 2]", "1 axes [0]");
        refused(x -> Rearrange.repeat(x, new long[]{1, 2}, 1), F, "repeat", "2 repeats", "size 5");
        refused(x -> Rearrange.tile(x, 2, -1), F, "tile", "negative repetition", "[2, -1]");
        refused(x -> Rearrange.flip(x, 2), F, "flip", "axis 2 is out of range", "f32[3, 5]");
        refused(x -> Nn.oneHot(Ops.astype(x, DType.I32), 4, DType.F32, 3), F, "oneHot", "axis 3", "rank 3");
    }

    @Test
    void valuesAndDtypes() {
        refused(x -> Reductions.var(Ops.gt(x, 0.0)), F, "var", "numeric", "i1[3, 5]");
        refused(x -> Ops.clip(x, Double.NaN, 1.0), F, "clip", "NaN", "pass null");
        refused(x -> Ops.linspace(0, 1, -2, true, DType.F32), F, "linspace", "-2 must be non-negative");
        refused(x -> Indexing.take(x, x, 0, Indexing.Mode.FILL), F, "take", "indices must be integers", "f32[3, 5]");
        refused(x -> Reductions.cumlogsumexp(Ops.astype(x, DType.I32), 0), F, "cumlogsumexp", "floating-point", "i32[3, 5]");
        refused(x -> Nn.softmax(x, -1, x), F, "softmax", "where f32[3, 5] must be bool");
        refused(x -> Nn.softmax(x, -1, Ops.gt(Ops.reshape(Ops.slice(x, new long[]{0, 0}, new long[]{3, 2}), 3, 2), 0.0)), F, "softmax",
                "i1[3, 2]", "[3, 2] and [3, 5]");
    }

    @Test
    void lossesRotaryAndMasks() {
        refused(x -> Losses.softmaxCrossEntropyWithIntegerLabels(x, Ops.zeros(io.hlo4j.dsl.Shape.of(5), DType.I32)), F,
                "softmaxCrossEntropyWithIntegerLabels", "labels i32[5]", "shape [3]", "f32[3, 5]");
        refused(x -> Losses.softmaxCrossEntropy(x, Ops.reshape(x, 5, 3)), F, "softmaxCrossEntropy", "labels f32[5, 3]", "f32[3, 5]");
        refused(x -> Losses.squaredError(x, Ops.reshape(x, 15)), F, "squaredError", "f32[3, 5]", "f32[15]", "same shape");
        refused(x -> Losses.huberLoss(x, x, 0), F, "huberLoss", "delta must be positive, got 0.0");
        refused(x -> Rotary.inverseFrequencies(7, 10000), F, "rotary", "head dim 7", "even");
        refused(x -> Rotary.apply(x, x, x, 0), F, "rotateHalf", "even size", "f32[3, 5]");
        refused(x -> Rotary.cosSin(Ops.gt(x, 0.0), 4, 100, DType.F32), F, "rotary", "positions must be numbers", "i1[3, 5]");
        refused(x -> Masks.slidingWindow(4, 4, 0, 0), F, "slidingWindow", "window 0 must be positive");
        refused(x -> Masks.padding(Ops.reshape(x, 3, 5, 1)), F, "padding", "[batch, kv_seq]", "f32[3, 5, 1]");
        refused(x -> Masks.keyLengths(x, 4), F, "keyLengths", "integers [batch]", "f32[3, 5]");
    }
}
