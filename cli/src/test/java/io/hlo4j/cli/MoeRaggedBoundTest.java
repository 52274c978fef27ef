package io.hlo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ragged_all_to_all bound {@code inspect} prints for a MoE EP dump against the bytes the same run measured
 * ({@code moe run --collectives-report}): every measured figure is at most its bound, and the bound is at most the
 * output buffer (the cap that disjoint chunks allow; the uncapped (g-1) x min(input, output) rows was three times it
 * here, 6.00 KiB for the 2.00 KiB token buffer).
 */
class MoeRaggedBoundTest {
    @Test void theBoundCoversTheMeasuredBytesAndIsCappedByTheBuffer(@TempDir Path dir) throws Exception {
        Path c = MoeCommandTest.fixtures().resolve(MoeRunMeshTest.CASE);
        Path dump = dir.resolve("D"), report = dir.resolve("rep.json");
        Cli.Run run = MoeRunMeshTest.moe(c, dir.resolve("O"), "--mesh", "fsdp=2,ep=2,tp=2", "--dump-dir", dump.toString(),
                "--collectives-report", report.toString());
        assertThat(run.code()).as(run.toString()).isZero();
        ObjectMapper json = new ObjectMapper();
        List<Long> measured = new ArrayList<>();
        for (JsonNode e : json.readTree(Files.readString(report)).get("collectives")) {
            if (!e.get("op").asText().equals("ragged_all_to_all")) continue;
            long max = 0;
            for (JsonNode b : e.get("bytes_received_per_device")) max = Math.max(max, b.asLong());
            measured.add(max);
        }
        Cli.Run in = Cli.run("inspect", "--json", dump.resolve("explicit.mlir").toString());
        assertThat(in.code()).as(in.toString()).isZero();
        List<JsonNode> bounds = new ArrayList<>();
        for (JsonNode e : json.readTree(in.out()).get("collectives")) if (e.get("op").asText().equals("ragged_all_to_all")) bounds.add(e);
        assertThat(bounds).hasSize(3).hasSameSizeAs(measured);
        for (int i = 0; i < bounds.size(); i++) {
            JsonNode b = bounds.get(i);
            assertThat(b.get("bytes_received_is_bound").asBoolean()).isTrue();
            assertThat(measured.get(i)).as("ragged_all_to_all #" + i).isPositive().isLessThanOrEqualTo(b.get("bytes_received_per_device").asLong());
            assertThat(b.get("bytes_received_per_device").asLong()).isLessThanOrEqualTo(b.get("buffer_bytes_per_device").asLong());
        }
        // the token dispatch: 1536 B measured (the run), bound 2048 B = its [64, 8] f32 output buffer, not 3 x 2048
        assertThat(measured.get(0)).isEqualTo(1536);
        assertThat(bounds.get(0).get("bytes_received_per_device").asLong()).isEqualTo(2048);
    }
}
