package io.hlo4j.runtime.pjrt;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The version of hlo4j's PJRT struct layouts has one home, {@link Abi}: {@code PjrtSmoke --layouts} prints it, and
 * scripts/gpu-check.sh reports what that prints instead of a copy of the number that could drift.
 */
class LayoutsVersionTest {
    @Test
    void pjrtSmokePrintsAbisVersion() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            PjrtSmoke.main(new String[] {"--layouts"});
        } finally {
            System.setOut(old);
        }
        assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo(Abi.MAJOR + "." + Abi.MINOR + System.lineSeparator());
    }

    @Test
    void gpuCheckAsksTheBundleInsteadOfCopyingTheNumber() throws Exception {
        String script = Files.readString(Path.of("../scripts/gpu-check.sh"));
        assertThat(script).contains("io.hlo4j.runtime.pjrt.PjrtSmoke --layouts").contains("(hlo4j layouts $layouts)");
        assertThat(Pattern.compile("layouts " + Abi.MAJOR + "\\.\\d").matcher(script).find()).as("a literal layouts version in gpu-check.sh").isFalse();
    }
}
