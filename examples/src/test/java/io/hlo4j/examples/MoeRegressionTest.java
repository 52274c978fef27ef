package io.hlo4j.examples;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MoeRegressionTest {
    @Test
    void trainingHalvesTheLoss() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        double last = Examples.byName("moe-regression").run(new PrintStream(buf, true, StandardCharsets.UTF_8), 300);
        double seconds = (System.nanoTime() - t0) / 1e9;
        String printed = buf.toString(StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("initial loss ([0-9.]+)").matcher(printed);
        assertThat(m.find()).isTrue();
        double initial = Double.parseDouble(m.group(1));
        assertThat(printed).contains("step 0 loss", "step 299 loss");
        assertThat(last).as("final vs initial %s (%.1f s)", initial, seconds).isLessThan(0.5 * initial);
    }

    @Test
    @SuppressWarnings("unchecked")
    void raggedDispatchMatchesDenseInValueAndGradient() {
        HostArray[] d = MoeRegression.data(7);
        Map<String, HostArray> p = MoeRegression.initParams(3);
        for (String k : new String[]{"b1"}) { // non-zero biases so their gradient path is exercised
            double[] v = new double[(int) p.get(k).type().numElements()];
            for (int i = 0; i < v.length; i++) v[i] = 0.1 * Math.sin(i);
            p.put(k, HostArray.fromDoubles(p.get(k).type(), v));
        }
        TracedFunction dense = a -> Reductions.mean(Ops.square(Ops.sub(
                MoeRegression.forward((Map<String, ?>) a[0], (Tensor) a[1]), (Tensor) a[2])));
        TracedFunction ragged = a -> Reductions.mean(Ops.square(Ops.sub(
                MoeRegression.forwardRagged((Map<String, ?>) a[0], (Tensor) a[1]), (Tensor) a[2])));
        List<Object> vd = (List<Object>) Jit.jit("d", Grad.valueAndGrad(dense)).call(p, d[0], d[1]);
        List<Object> vr = (List<Object>) Jit.jit("r", Grad.valueAndGrad(ragged)).call(p, d[0], d[1]);
        assertThat(((HostArray) vr.get(0)).getDouble(0))
                .isCloseTo(((HostArray) vd.get(0)).getDouble(0), within(1e-5));
        Map<String, HostArray> gd = (Map<String, HostArray>) vd.get(1);
        Map<String, HostArray> gr = (Map<String, HostArray>) vr.get(1);
        for (String k : gd.keySet()) {
            double[] a = gd.get(k).toDoubleArray(), b = gr.get(k).toDoubleArray();
            double num = 0, den = 0;
            for (int i = 0; i < a.length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += a[i] * a[i]; }
            assertThat(Math.sqrt(num)).as("gradient of %s", k).isLessThanOrEqualTo(1e-4 * Math.sqrt(den));
            assertThat(den).as("gradient of %s is not zero", k).isGreaterThan(0);
        }
    }
}
