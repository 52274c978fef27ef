package io.hlo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j compile} against the runtime's C mock plugin: report, HLO dump, JSON, and each way it refuses. */
class CompileCommandTest {
    private static final String DOT = """
            func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<3x2xf32>) -> tensor<2x2xf32> {
              %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
              return %0 : tensor<2x2xf32>
            }
            """;
    private static final String ADD8 = """
            module @sharded attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32> {
                %0 = stablehlo.add %arg0, %arg1 : tensor<4xf32>
                return %0 : tensor<4xf32>
              }
            }
            """;

    static Path mock() { return MockPlugin.path(); }

    private static Path write(Path dir, String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void reportsCostMemoryFusionsAndDumpsTheOptimizedProgram(@TempDir Path dir) throws Exception {
        Path f = write(dir, "dot.mlir", DOT);
        Path hlo = dir.resolve("out/dot.hlo");
        Cli.Run r = Cli.run("compile", f.toString(), "--pjrt-plugin", mock().toString(), "--dump-optimized", hlo.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out())
                .contains("on pjrt:mock (PJRT C API 0.95): 1 partition on device [100]")
                .contains("cost analysis: bytes accessed=72, flops=24")   // the mock's numbers for the dot
                .contains("memory (bytes): arguments 1002, outputs 1003, temp 1005, alias 1004, generated code 1001, peak 1011, total 1012;")
                .contains("optimized program: format hlo_with_config, 455 bytes")
                .contains("optimized module jit_dot: entry %main.1, 2 computations, 6 instructions")
                .contains("fusions: 1 {kLoop=1}")
                .contains("%wrapped_dot kLoop calls %wrapped_dot_computation (3 instructions)")
                .contains("collectives: 0")
                .contains("wrote " + hlo);
        // The dump is the hand-written expected text of the fixture the mock returns.
        Path expected = Path.of("").toAbsolutePath().getParent().resolve("runtime/src/test/resources/io/hlo4j/runtime/hlo/dot.hlo");
        assertThat(Files.readString(hlo)).isEqualTo(Files.readString(expected));
    }

    @Test
    void anEightPartitionCompileAsJson(@TempDir Path dir) throws Exception {
        Path f = write(dir, "add8.mlir", ADD8);
        Cli.Run r = Cli.run("compile", f.toString(), "--pjrt-plugin", mock().toString(), "--pjrt-option", "num_devices=8", "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("platform").asText()).isEqualTo("pjrt:mock");
        assertThat(j.get("partitions").asInt()).isEqualTo(8);
        assertThat(j.get("devices").toString()).isEqualTo("[100,101,102,103,104,105,106,107]");
        assertThat(j.get("cost_analysis").get("flops").asDouble()).isEqualTo(6.0);
        assertThat(j.get("memory_stats").get("peak_bytes").asLong()).isEqualTo(1011);
        JsonNode p = j.get("optimized_program");
        assertThat(p.get("module").asText()).isEqualTo("jit_moe_shard");
        assertThat(p.get("fusions").get("count").asInt()).isEqualTo(3);
        assertThat(p.get("fusions").get("kinds").toString()).isEqualTo("{\"kCustom\":1,\"kInput\":1,\"kLoop\":1}");
        assertThat(p.get("fusions").get("list").get(1).get("backend_kind").asText()).isEqualTo("__triton_gemm");
        JsonNode ar = p.get("collectives").get(1);
        assertThat(ar.get("op").asText()).isEqualTo("all-reduce");
        assertThat(ar.get("replica_groups").asText()).isEqualTo("[2,4]<=[4,2]T(1,0)");
        assertThat(ar.get("groups").toString()).isEqualTo("[[0,2,4,6],[1,3,5,7]]");
        // received per device as inspect of StableHLO and the run log count it: 2 x (4-1)/4 x 128 B (f32[32]) = 192
        assertThat(ar.get("group_size").asLong()).isEqualTo(4);
        assertThat(ar.get("bytes_received_per_device").asLong()).isEqualTo(192);
        assertThat(ar.get("bytes_received_is_bound").asBoolean()).isFalse();
        assertThat(ar.get("buffer_bytes_per_device").asLong()).isEqualTo(128);
        assertThat(ar.has("bytes")).as("no third meaning of bytes").isFalse();
    }

    @Test
    void numPartitionsOverridesAModuleWithoutTheAttribute(@TempDir Path dir) throws Exception {
        Path f = write(dir, "dot.mlir", DOT);
        Cli.Run r = Cli.run("compile", f.toString(), "--pjrt-plugin", mock().toString(), "--pjrt-option", "num_devices=2", "--num-partitions", "2");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("2 partitions on devices [100, 101]").contains("collectives: 4");
    }

    @Test
    void whatThePluginDoesNotOfferIsSaidNotFatal(@TempDir Path dir) throws Exception {
        Path f = write(dir, "dot.mlir", DOT);
        Cli.Run r = Cli.run("compile", f.toString(), "--pjrt-plugin", mock().toString(), "--pjrt-option", "mock_fail=PJRT_Executable_OptimizedProgram");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("optimized program: not offered (PJRT_Executable_OptimizedProgram failed with INTERNAL");
        // ... unless its text was asked for.
        Cli.Run d = Cli.run("compile", f.toString(), "--pjrt-plugin", mock().toString(), "--pjrt-option", "mock_fail=PJRT_Executable_OptimizedProgram",
                "--dump-optimized", dir.resolve("x.hlo").toString());
        assertThat(d.code()).as(d.toString()).isEqualTo(1);
        assertThat(d.err().strip()).doesNotContain("\n").contains("PJRT_Executable_OptimizedProgram");
        assertThat(dir.resolve("x.hlo")).doesNotExist();
    }

    @Test
    void usageErrorsExitTwo(@TempDir Path dir) throws Exception {
        Path f = write(dir, "dot.mlir", DOT);
        Cli.Run bad = Cli.run("compile", f.toString(), "--pjrt-plugin", mock().toString(), "--num-partitions", "0");
        assertThat(bad.code()).as(bad.toString()).isEqualTo(2);
        assertThat(bad.err()).contains("--num-partitions must be at least 1, got 0").hasLineCount(1);
        Cli.Run opt = Cli.run("compile", f.toString(), "--pjrt-plugin", mock().toString(), "--pjrt-option", "novalue");
        assertThat(opt.code()).as(opt.toString()).isEqualTo(2);
        assertThat(opt.err()).contains("'novalue' is not KEY=VALUE").hasLineCount(1);
        if (System.getenv("HLO4J_PJRT_PLUGIN") == null) {
            Cli.Run none = Cli.run("compile", f.toString());
            assertThat(none.code()).as(none.toString()).isEqualTo(2);
            assertThat(none.err()).contains("no PJRT plugin: give --pjrt-plugin PATH or set HLO4J_PJRT_PLUGIN").hasLineCount(1);
        }
    }

    @Test
    void failuresAreOneLineAndExitOne(@TempDir Path dir) throws Exception {
        Path f = write(dir, "dot.mlir", DOT);
        Path mul = write(dir, "mul.mlir", DOT.replace("stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>",
                "stablehlo.multiply %arg0, %arg0 : tensor<2x3xf32>").replace("-> tensor<2x2xf32> {", "-> tensor<2x3xf32> {").replace("return %0 : tensor<2x2xf32>", "return %0 : tensor<2x3xf32>"));
        Path add8 = write(dir, "add8.mlir", ADD8);
        String[][] cases = {
                {"compile", dir.resolve("nope.mlir").toString(), "--pjrt-plugin", mock().toString()},
                {"compile", f.toString(), "--pjrt-plugin", dir.resolve("nope.so").toString()},
                {"compile", mul.toString(), "--pjrt-plugin", mock().toString()},
                {"compile", add8.toString(), "--pjrt-plugin", mock().toString()},
                {"compile", add8.toString(), "--pjrt-plugin", mock().toString(), "--pjrt-option", "num_devices=8", "--num-partitions", "4"},
        };
        String[] says = {"nope.mlir: no such file", "nope.so", "PJRT_Client_Compile failed with UNIMPLEMENTED",
                "module needs 8 partitions but PJRT plugin libpjrt_mock.so has 1 addressable device [100]",
                "--num-partitions 4 but " + add8 + " declares mhlo.num_partitions = 8"};
        for (int i = 0; i < cases.length; i++) {
            Cli.Run r = Cli.run(cases[i]);
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).as(r.toString()).contains(says[i]).hasLineCount(1);
            assertThat(r.out()).isEmpty();
        }
    }

    /** The optimized program saved as a proto reads back through inspect with the same fusions and collectives. */
    @Test
    void inspectReadsTheDumpedOptimizedProgram(@TempDir Path dir) throws Exception {
        Path f = write(dir, "add8.mlir", ADD8);
        Path pb = dir.resolve("add8.pb");
        Cli.Run c = Cli.run("compile", f.toString(), "--pjrt-plugin", mock().toString(), "--pjrt-option", "num_devices=8", "--json", "--dump-optimized-proto", pb.toString());
        assertThat(c.code()).as(c.toString()).isZero();
        JsonNode compiled = new ObjectMapper().readTree(c.out()).get("optimized_program");
        Cli.Run i = Cli.run("inspect", "--json", pb.toString());
        assertThat(i.code()).as(i.toString()).isZero();
        JsonNode inspected = new ObjectMapper().readTree(i.out()).get("optimized_program");
        assertThat(compiled.get("collectives").size()).isGreaterThan(0);
        assertThat(inspected.get("fusions")).isEqualTo(compiled.get("fusions"));
        assertThat(inspected.get("collectives")).isEqualTo(compiled.get("collectives"));
        assertThat(inspected.get("module")).isEqualTo(compiled.get("module"));
        Cli.Run text = Cli.run("inspect", pb.toString());
        assertThat(text.code()).as(text.toString()).isZero();
        assertThat(text.out()).contains("fusions: " + compiled.get("fusions").get("count").asInt())
                .contains("%all-gather all-gather f32[32,16]{1,0} groups=[1,8]<=[8] channel_id=1: group size 8, 1792 B received per device (buffer 2048 B)");
        Path junk = write(dir, "junk.pb", "not a proto");
        Cli.Run bad = Cli.run("inspect", junk.toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("junk.pb").contains("not a valid HloModuleProto");
    }

    /**
     * Collectives whose replica groups the optimized program leaves implicit (the mock's {@code mock_program=implicit}
     * fixture, returned without a config): compile sizes them as 1 replica x 8 partitions, and the dumped proto states
     * those counts, so inspect of the dump gives the same group sizes and bytes. Hand-computed: the all-reduce without
     * channel is cross-replica (1 replica: g = 1, 0 B); the all-gather with channel and no global ids is cross-replica-
     * and-partition (g = 1 x 8, 7/8 of its f32[64] result = 224 B); the all-to-all with channel is cross-partition
     * (g = 8, 7/8 of its f32[64] operand = 224 B).
     */
    @Test
    void inspectOfTheDumpSizesImplicitGroupsAsCompileDid(@TempDir Path dir) throws Exception {
        Path f = write(dir, "add8.mlir", ADD8);
        Path pb = dir.resolve("implicit.pb");
        String[] compile = {"compile", f.toString(), "--pjrt-plugin", mock().toString(), "--pjrt-option", "num_devices=8",
                "--pjrt-option", "mock_program=implicit", "--dump-optimized-proto", pb.toString()};
        Cli.Run c = Cli.run(concat(compile, "--json"));
        assertThat(c.code()).as(c.toString()).isZero();
        JsonNode compiled = new ObjectMapper().readTree(c.out()).get("optimized_program").get("collectives");
        Cli.Run i = Cli.run("inspect", "--json", pb.toString());
        assertThat(i.code()).as(i.toString()).isZero();
        JsonNode inspectedRoot = new ObjectMapper().readTree(i.out()).get("optimized_program");
        JsonNode inspected = inspectedRoot.get("collectives");
        assertThat(inspectedRoot.get("message").asText()).isEqualTo("HloModuleProtoWithConfig");
        assertThat(inspectedRoot.get("replica_count").asLong()).isEqualTo(1);
        assertThat(inspectedRoot.get("num_partitions").asLong()).isEqualTo(8);
        assertThat(compiled.size()).isEqualTo(3);
        long[][] want = {{1, 0}, {8, 224}, {8, 224}};   // {group size, bytes received per device}, by hand
        for (int k = 0; k < 3; k++) {
            assertThat(compiled.get(k).get("group_size").asLong()).as("compile %s", compiled.get(k)).isEqualTo(want[k][0]);
            assertThat(compiled.get(k).get("bytes_received_per_device").asLong()).as("compile %s", compiled.get(k)).isEqualTo(want[k][1]);
            assertThat(inspected.get(k).get("group_size")).as("inspect %s", inspected.get(k)).isEqualTo(compiled.get(k).get("group_size"));
            assertThat(inspected.get(k).get("bytes_received_per_device")).isEqualTo(compiled.get(k).get("bytes_received_per_device"));
        }
        assertThat(inspected).isEqualTo(compiled);
        // the text reports agree line for line on the collectives
        Files.delete(pb);
        Cli.Run ct = Cli.run(compile);
        Cli.Run it = Cli.run("inspect", pb.toString());
        assertThat(ct.code()).as(ct.toString()).isZero();
        assertThat(it.code()).as(it.toString()).isZero();
        assertThat(it.out()).startsWith("HloModuleProtoWithConfig: 1 replica x 8 partitions (its config)\n")
                .doesNotContain("unknown");
        for (String line : ct.out().lines().filter(l -> l.contains(" received per device")).toList()) assertThat(it.out()).contains(line);
        assertThat(ct.out()).contains("%all-gather.2 all-gather f32[64]{0} groups={} channel_id=1: group size 8, 224 B received per device")
                .endsWith("wrote " + pb + "\n");
        assertThat(new ObjectMapper().readTree(c.out()).get("optimized_program").get("dump_proto").asText()).isEqualTo(pb.toString());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
