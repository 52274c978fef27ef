package io.hlo4j.dsltest.userjourney;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.data.Offset.offset;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

/**
 * {@link Nn#rmsNorm} and {@link Nn#layerNorm}, which a transformer block needs and which were missing, against plain-Java
 * loops over the rows (f64 and f32, and bf16 within its rounding), and their gradients against f64 central differences.
 */
class NormLayersJourneyTest {
    static final int ROWS = 3, N = 5;
    static final double EPS = 1e-5;

    static double[] random(long seed, int n, double shift) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = shift + r.nextGaussian();
        return v;
    }

    /** Per row: rms or layer norm, times scale, plus bias (null: none). */
    static double[] reference(double[] x, double[] scale, double[] bias, boolean layer) {
        double[] out = new double[x.length];
        for (int r = 0; r < ROWS; r++) {
            double mean = 0, sq = 0;
            for (int j = 0; j < N; j++) mean += x[r * N + j] / N;
            if (!layer) mean = 0;
            for (int j = 0; j < N; j++) sq += (x[r * N + j] - mean) * (x[r * N + j] - mean) / N;
            for (int j = 0; j < N; j++) {
                double y = (x[r * N + j] - mean) / Math.sqrt(sq + EPS) * scale[j];
                out[r * N + j] = bias == null ? y : y + bias[j];
            }
        }
        return out;
    }

    static TracedFunction norms() {
        return a -> List.of(Nn.rmsNorm((Tensor) a[0], (Tensor) a[1], EPS), Nn.layerNorm((Tensor) a[0], (Tensor) a[1], (Tensor) a[2], EPS),
                Nn.layerNorm((Tensor) a[0], null, null, EPS));
    }

    @Test
    void forwardMatchesPlainJavaInEveryFloatDtype() {
        double[] x = random(1, ROWS * N, 3.0), scale = random(2, N, 1.0), bias = random(3, N, 0.0), ones = new double[N];
        java.util.Arrays.fill(ones, 1);
        double[][] want = {reference(x, scale, null, false), reference(x, scale, bias, true), reference(x, ones, null, true)};
        for (DType d : new DType[] {DType.F64, DType.F32, DType.BF16}) {
            HostArray hx = HostArray.fromDoubles(Spec.of(d, ROWS, N).tensorType(), x), hs = HostArray.fromDoubles(Spec.of(d, N).tensorType(), scale),
                    hb = HostArray.fromDoubles(Spec.of(d, N).tensorType(), bias);
            // bf16 inputs are themselves rounded: compare with the reference on the rounded inputs, within bf16's half ulp of ~4
            double[] rx = hx.toDoubleArray(), rs = hs.toDoubleArray(), rb = hb.toDoubleArray();
            double[][] ref = d == DType.BF16 ? new double[][] {reference(rx, rs, null, false), reference(rx, rs, rb, true), reference(rx, ones, null, true)} : want;
            double tol = d == DType.F64 ? 1e-12 : d == DType.F32 ? 1e-5 : 2e-2;
            @SuppressWarnings("unchecked") List<HostArray> got = (List<HostArray>) Jit.jit("norms", norms()).call(hx, hs, hb);
            for (int k = 0; k < 3; k++) {
                assertThat(got.get(k).type()).isEqualTo(hx.type());
                double[] g = got.get(k).toDoubleArray();
                for (int i = 0; i < g.length; i++) assertThat(g[i]).as("%s result %d [%d]", d, k, i).isCloseTo(ref[k][i], offset(tol * Math.max(1, Math.abs(ref[k][i]))));
            }
        }
    }

    @Test
    void gradientsMatchCentralDifferencesInF64() {
        double[] x = random(4, ROWS * N, 0.5), scale = random(5, N, 1.0), bias = random(6, N, 0.0), w = random(7, ROWS * N, 0.0);
        // loss = sum(w * (rmsNorm(x) + layerNorm(x))): w makes every output element matter differently
        TracedFunction loss = a -> {
            List<?> r = (List<?>) norms().apply(new Object[] {a[0], a[1], a[2]});
            return ((Tensor) r.get(0)).add((Tensor) r.get(1)).mul((Tensor) a[3]).sum();
        };
        HostArray hx = HostArray.fromDoubles(Spec.of(DType.F64, ROWS, N).tensorType(), x), hs = HostArray.fromDoubles(Spec.of(DType.F64, N).tensorType(), scale),
                hb = HostArray.fromDoubles(Spec.of(DType.F64, N).tensorType(), bias), hw = HostArray.fromDoubles(Spec.of(DType.F64, ROWS, N).tensorType(), w);
        @SuppressWarnings("unchecked") List<HostArray> g = (List<HostArray>) Jit.jit("g", Grad.grad(loss, 0, 1, 2)).call(hx, hs, hb, hw);
        Jit value = Jit.jit("l", loss);
        double[][] args = {x, scale, bias};
        double h = 1e-6;
        for (int which = 0; which < 3; which++) {
            double[] grad = g.get(which).toDoubleArray();
            for (int i = 0; i < args[which].length; i++) {
                double[] plus = args[which].clone(), minus = args[which].clone();
                plus[i] += h;
                minus[i] -= h;
                double fd = (at(value, args, which, plus, hw) - at(value, args, which, minus, hw)) / (2 * h);
                assertThat(grad[i]).as("d loss / d arg%d[%d]", which, i).isCloseTo(fd, offset(1e-6 * Math.max(1, Math.abs(fd))));
            }
        }
    }

    static double at(Jit value, double[][] args, int which, double[] replaced, HostArray w) {
        double[] x = which == 0 ? replaced : args[0], s = which == 1 ? replaced : args[1], b = which == 2 ? replaced : args[2];
        return value.call1(HostArray.fromDoubles(Spec.of(DType.F64, ROWS, N).tensorType(), x), HostArray.fromDoubles(Spec.of(DType.F64, N).tensorType(), s),
                HostArray.fromDoubles(Spec.of(DType.F64, N).tensorType(), b), w).getDouble(0);
    }

    @Test
    void aScaleOfTheWrongSizeIsRefusedByName() {
        Jit bad = Jit.jit2((x, s) -> Nn.rmsNorm(x, s, EPS));
        Throwable t = catchThrowable(() -> bad.lower(Spec.of(DType.F32, 2, 8), Spec.of(DType.F32, 4)));
        assertThat(t).isInstanceOf(DslException.class).hasMessageStartingWith("rmsNorm: scale f32[4] must be f32[8] for x f32[2, 8] (at NormLayersJourneyTest.java:");
    }
}
