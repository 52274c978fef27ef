package io.hlo4j.cli;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The bundled MoE demo block run on the interpreter, against a direct Java computation of the formula its
 * header states (top-2 routing with softmax gates, SwiGLU experts), in double precision.
 */
class MoeDemoInterpretTest {
    static final int T = 8, H = 16, E = 4, F = 32;

    @Test
    void interpreterMatchesAPlainJavaMoe() throws Exception {
        String text;
        try (InputStream in = MoeDemoInterpretTest.class.getResourceAsStream("/io/hlo4j/cli/demo/moe_block.mlir")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Random rnd = new Random(42);
        float[] x = rand(rnd, T * H), wr = rand(rnd, H * E), w1 = rand(rnd, E * H * F), w3 = rand(rnd, E * H * F), w2 = rand(rnd, E * F * H);
        List<HostArray> out = new Interpreter(MlirParser.parseModule(text, "moe_block.mlir")).runHost(null, List.of(
                HostArray.fromFloats(TensorType.of(FloatType.F32, T, H), x), HostArray.fromFloats(TensorType.of(FloatType.F32, H, E), wr),
                HostArray.fromFloats(TensorType.of(FloatType.F32, E, H, F), w1), HostArray.fromFloats(TensorType.of(FloatType.F32, E, H, F), w3),
                HostArray.fromFloats(TensorType.of(FloatType.F32, E, F, H), w2)));
        double[] y = out.get(0).toDoubleArray(), logits = out.get(1).toDoubleArray();
        for (int t = 0; t < T; t++) {
            double[] l = new double[E];
            for (int e = 0; e < E; e++) {
                for (int h = 0; h < H; h++) l[e] += (double) x[t * H + h] * wr[h * E + e];
                assertThat(logits[t * E + e]).isCloseTo(l[e], within(1e-5));
            }
            int first = 0;
            for (int e = 1; e < E; e++) if (l[e] > l[first]) first = e;
            int second = first == 0 ? 1 : 0;
            for (int e = 0; e < E; e++) if (e != first && l[e] > l[second]) second = e;
            double g1 = 1, g2 = Math.exp(l[second] - l[first]), sum = g1 + g2;
            for (int o = 0; o < H; o++) {
                double want = g1 / sum * expert(x, w1, w3, w2, t, first, o) + g2 / sum * expert(x, w1, w3, w2, t, second, o);
                assertThat(y[t * H + o]).as("token " + t + " output " + o).isCloseTo(want, within(1e-4 + 1e-4 * Math.abs(want)));
            }
        }
    }

    static double expert(float[] x, float[] w1, float[] w3, float[] w2, int t, int e, int o) {
        double s = 0;
        for (int f = 0; f < F; f++) {
            double a = 0, b = 0;
            for (int h = 0; h < H; h++) {
                a += (double) x[t * H + h] * w1[(e * H + h) * F + f];
                b += (double) x[t * H + h] * w3[(e * H + h) * F + f];
            }
            double silu = a / (1 + Math.exp(-a));
            s += silu * b * w2[(e * F + f) * H + o];
        }
        return s;
    }

    static float[] rand(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * 0.5);
        return v;
    }
}
