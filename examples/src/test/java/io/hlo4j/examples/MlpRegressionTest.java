package io.hlo4j.examples;

import io.hlo4j.dsl.nn.ParamScope;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MlpRegressionTest {
    @Test
    void lossMatchesAPlainJavaForwardPass() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        double loss = Examples.byName("mlp-regression").run(new PrintStream(buf, true, StandardCharsets.UTF_8), 0);
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("func.func public @loss", "stablehlo.dot_general", "initial loss");

        Map<String, HostArray> p = ParamScope.init(MlpRegression.model(), 0);
        HostArray[] d = MlpRegression.data();
        float[] x = d[0].toFloatArray(), y = d[1].toFloatArray();
        float[] w0 = p.get("layer0.w").toFloatArray(), b0 = p.get("layer0.b").toFloatArray();
        float[] w1 = p.get("layer1.w").toFloatArray(), b1 = p.get("layer1.b").toFloatArray();
        double sse = 0;
        for (int n = 0; n < MlpRegression.N; n++) {
            double out = b1[0];
            for (int j = 0; j < MlpRegression.HIDDEN; j++) {
                double h = b0[j];
                for (int i = 0; i < MlpRegression.IN; i++) h += x[n * 2 + i] * w0[i * MlpRegression.HIDDEN + j];
                out += Math.max(0, h) * w1[j];
            }
            sse += (out - y[n]) * (out - y[n]);
        }
        assertThat(loss).isCloseTo(sse / MlpRegression.N, within(1e-5 * Math.max(1, sse / MlpRegression.N)));
    }

    @Test
    void adamWTrainingReducesTheLoss() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        double last = Examples.byName("mlp-regression").run(new PrintStream(buf, true, StandardCharsets.UTF_8), 200);
        String printed = buf.toString(StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("initial loss ([0-9.]+)").matcher(printed);
        assertThat(m.find()).isTrue();
        assertThat(printed).contains("step 199 loss");
        assertThat(last).isLessThan(0.5 * Double.parseDouble(m.group(1)));
    }
}
