package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A module whose entry takes 300,000 arguments (a 6 MB file): run reads it within the test's time limit, then refuses the
 * missing inputs in one line, without a stack trace or running out of stack. (That the time grows linearly with the
 * argument count is not tested here: 10^6 arguments took about 20 s on a loaded two-core machine, too long for a unit test.)
 */
class ManyArgumentsTest {
    @TempDir Path dir;

    @Test void hundredsOfThousandsOfArgumentsAreCountedNotCrashedOn() throws IOException {
        StringBuilder b = new StringBuilder("func.func @main(");
        for (int i = 0; i < 300_000; i++) b.append(i == 0 ? "" : ", ").append("%a").append(i).append(": tensor<f32>");
        b.append(") -> tensor<f32> {\n  return %a0 : tensor<f32>\n}\n");
        Path f = Files.writeString(dir.resolve("many.mlir"), b);
        Cli.Run r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Cli.run("run", f.toString()));
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("hlo4j: " + f + ": @main takes 300000 arguments; got 0 --input files" + RunChecks.INPUT_HINT + "\n");
    }
}
