package io.hlo4j.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

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
}
