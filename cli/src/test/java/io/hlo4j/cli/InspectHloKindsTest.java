package io.hlo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code inspect FILE.pb} on the runtime's committed fixtures of each message XLA writes a program in (made by
 * HloFixtures.kinds): a plain HloModuleProto, an HloProto ({@code --xla_dump_hlo_as_proto}, counts in the module's
 * device_assignment) and an HloModuleProtoWithConfig (counts in its config). 2 replicas x 4 partitions size the implicit
 * groups: the all-reduce across replicas receives 32 B of its 32 B, the all-gather across 8 devices 7/8 of 256 B, the
 * all-to-all across 4 partitions 3/4 of 256 B.
 */
class InspectHloKindsTest {
    static final Path FIXTURES = Path.of("../runtime/src/test/resources/io/hlo4j/runtime/hlo");
    @TempDir Path dir;

    @Test
    void anHloProtoDumpIsReadWithItsDeviceCounts() {
        Cli.Run r = InspectCommandTest.run("inspect", FIXTURES.resolve("implicit.hloproto.pb").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("HloProto (--xla_dump_hlo_as_proto): 2 replicas x 4 partitions (the module's device_assignment)\n"
                        + "optimized module jit_implicit: entry %main.5, 2 computations, 7 instructions\n")
                .contains("%all-reduce.1 all-reduce f32[8]{0} groups={}: group size 2, 32 B received per device (buffer 32 B)\n")
                .contains("%all-gather.2 all-gather f32[64]{0} groups={} channel_id=1: group size 8, 224 B received per device (buffer 256 B)\n")
                .contains("%all-to-all.3 all-to-all f32[64]{0} groups={} channel_id=2: group size 4, 192 B received per device (buffer 256 B)\n");
    }

    @Test
    void aModuleWithConfigIsReadWithTheConfigsCounts() throws IOException {
        Cli.Run r = InspectCommandTest.run("inspect", "--json", FIXTURES.resolve("implicit.config.pb").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        JsonNode p = new ObjectMapper().readTree(r.out()).get("optimized_program");
        assertThat(p.get("message").asText()).isEqualTo("HloModuleProtoWithConfig");
        assertThat(p.get("format").asText()).isEqualTo("hlo_with_config");
        assertThat(p.get("replica_count").asLong()).isEqualTo(2);
        assertThat(p.get("num_partitions").asLong()).isEqualTo(4);
        assertThat(p.get("counts_from").asText()).isEqualTo("its config");
        assertThat(p.get("collectives").findValuesAsText("bytes_received_per_device")).containsExactly("32", "224", "192");
    }

    @Test
    void aPlainModuleReadsAsBeforeWithTheReasonsCountsAreUnknown() throws IOException {
        Cli.Run r = InspectCommandTest.run("inspect", FIXTURES.resolve("implicit.module.pb").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("optimized module jit_implicit: entry %main.5, 2 computations, 7 instructions\n")
                .contains("%all-reduce.1 all-reduce f32[8]{0} groups={}: received bytes unknown (empty replica_groups: every replica, "
                        + "and the replica count is not known) (buffer 32 B)\n");
        JsonNode p = new ObjectMapper().readTree(InspectCommandTest.run("inspect", "--json", FIXTURES.resolve("implicit.module.pb").toString()).out())
                .get("optimized_program");
        assertThat(p.get("message").asText()).isEqualTo("HloModuleProto");
        assertThat(p.get("format").asText()).isEqualTo("hlo");
        assertThat(p.has("replica_count")).isFalse();
    }

    @Test
    void bytesThatAreNoneOfTheThreeAreRefusedInOneLine() throws IOException {
        byte[] whole = Files.readAllBytes(FIXTURES.resolve("implicit.config.pb"));
        Path cut = dir.resolve("cut.pb");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 7));
        Cli.Run r = InspectCommandTest.run("inspect", cut.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).hasLineCount(1).startsWith("hlo4j: " + cut + ": " + (whole.length - 7) + " bytes are not a protobuf message, "
                + "so not a valid HloModuleProto, HloProto or HloModuleProtoWithConfig (").doesNotContain("--verbose");
        Path empty = Files.write(dir.resolve("empty.pb"), new byte[0]);
        Cli.Run e = InspectCommandTest.run("inspect", empty.toString());
        assertThat(e.code()).isEqualTo(1);
        assertThat(e.err()).isEqualTo("hlo4j: " + empty + ": is empty (0 bytes), not a valid HloModuleProto, HloProto or HloModuleProtoWithConfig\n");
    }

    /** {@code --xla_dump_compress_protos} writes {@code *.hlo.pb.gz}: read through gunzip, the report is the plain file's. */
    @Test
    void aCompressedDumpReadsAsTheUncompressedOne() throws IOException {
        Path plain = FIXTURES.resolve("implicit.hloproto.pb");
        Path gz = dir.resolve("module_0001.jit_implicit.hlo.pb.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(Files.readAllBytes(plain));
        }
        Cli.Run a = InspectCommandTest.run("inspect", plain.toString()), b = InspectCommandTest.run("inspect", gz.toString());
        assertThat(b.code()).as(b.toString()).isZero();
        assertThat(b.out()).isEqualTo(a.out()).contains("group size 8, 224 B received per device");
        byte[] z = Files.readAllBytes(gz);
        Path cut = Files.write(dir.resolve("cut.hlo.pb.gz"), Arrays.copyOf(z, z.length / 2));
        Cli.Run c = InspectCommandTest.run("inspect", cut.toString());
        assertThat(c.code()).as(c.toString()).isEqualTo(1);
        assertThat(c.err()).isEqualTo("hlo4j: " + cut + ": gzip data ends early (truncated file)\n");
        Path notGz = Files.write(dir.resolve("plain.pb.gz"), Files.readAllBytes(plain));
        Cli.Run d = InspectCommandTest.run("inspect", notGz.toString());
        assertThat(d.code()).as(d.toString()).isEqualTo(1);
        assertThat(d.err()).hasLineCount(1).startsWith("hlo4j: " + notGz + ": not a gzip file (");
    }

    /**
     * The same three collectives written in StableHLO for 2 replicas x 4 partitions (the all_to_all names its 4 partitions:
     * StableHLO's verifier wants split_count members in a group): inspect reports the same group size,
     * bytes received per device and buffer (the larger of one device's operand and result) for them as for the optimized
     * program (the HloProto fixture, 2 x 4 by its device_assignment). Before, the .pb path gave the operands' bytes as the
     * buffer (32 B for the all-gather whose gathered result is 256 B).
     */
    @Test
    void theStableHloAndTheHloPathsCountCollectivesAlike() throws IOException {
        String ch = "channel_handle = #stablehlo.channel_handle<handle = %d, type = 1>";
        Path mlir = Files.writeString(dir.resolve("implicit.mlir"), """
                module @jit_implicit attributes {mhlo.num_replicas = 2 : i32, mhlo.num_partitions = 4 : i32} {
                  func.func @main(%p0: tensor<8xf32>) -> tensor<64xf32> {
                    %0 = "stablehlo.all_reduce"(%p0) ({
                    ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                      %s = stablehlo.add %x, %y : tensor<f32>
                      stablehlo.return %s : tensor<f32>
                    }) {replica_groups = dense<> : tensor<0x0xi64>} : (tensor<8xf32>) -> tensor<8xf32>
                    %1 = "stablehlo.all_gather"(%0) {all_gather_dim = 0 : i64, replica_groups = dense<> : tensor<0x0xi64>, CH1} : (tensor<8xf32>) -> tensor<64xf32>
                    %2 = "stablehlo.all_to_all"(%1) {split_dimension = 0 : i64, concat_dimension = 0 : i64, split_count = 4 : i64, replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>, CH2} : (tensor<64xf32>) -> tensor<64xf32>
                    return %2 : tensor<64xf32>
                  }
                }
                """.replace("CH1", ch.formatted(1)).replace("CH2", ch.formatted(2)));
        Cli.Run s = InspectCommandTest.run("inspect", "--json", mlir.toString());
        assertThat(s.code()).as(s.toString()).isZero();
        JsonNode stable = new ObjectMapper().readTree(s.out()).get("collectives");
        Cli.Run h = InspectCommandTest.run("inspect", "--json", FIXTURES.resolve("implicit.hloproto.pb").toString());
        assertThat(h.code()).as(h.toString()).isZero();
        JsonNode hlo = new ObjectMapper().readTree(h.out()).get("optimized_program").get("collectives");
        assertThat(stable.size()).isEqualTo(3);
        assertThat(hlo.size()).isEqualTo(3);
        long[][] want = {{2, 32, 32}, {8, 224, 256}, {4, 192, 256}};   // {group size, received, buffer}, by hand
        for (int k = 0; k < 3; k++)
            for (JsonNode c : new JsonNode[] {stable.get(k), hlo.get(k)}) {
                assertThat(c.get("group_size").asLong()).as("%s", c).isEqualTo(want[k][0]);
                assertThat(c.get("bytes_received_per_device").asLong()).as("%s", c).isEqualTo(want[k][1]);
                assertThat(c.get("buffer_bytes_per_device").asLong()).as("%s", c).isEqualTo(want[k][2]);
                assertThat(c.get("bytes_received_is_bound").asBoolean()).as("%s", c).isFalse();
            }
    }
}
