package io.hlo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j inspect} on fixtures: FLOPs by hand, JSON keys (read back with Jackson), errors, exit codes. */
class InspectCommandTest {
    @TempDir Path dir;

    /** Runs the CLI with the analysis commands registered (until the lead adds them to Main). */
    static Cli.Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintWriter o = new PrintWriter(out);
        PrintWriter e = new PrintWriter(err);
        CommandLine cl = Main.commandLine(new Main(), o, e);
        for (Object c : new Object[] {new InspectCommand(), new DiffCommand(), new GraphCommand(), new ShardingsCommand()}) {
            String name = c.getClass().getAnnotation(CommandLine.Command.class).name();
            if (!cl.getSubcommands().containsKey(name)) cl.addSubcommand(c);
        }
        // Settings reach only the subcommands present when they are set: apply them again to the new ones.
        cl.setOut(o).setErr(e).setUsageHelpWidth(Main.HELP_WIDTH).setOverwrittenOptionsAllowed(true)
                .setParameterExceptionHandler(cl.getParameterExceptionHandler())
                .setExecutionExceptionHandler(cl.getExecutionExceptionHandler());
        int code = cl.execute(args);
        o.flush();
        e.flush();
        return new Cli.Run(code, out.toString(), err.toString());
    }

    static final String SHARDED = """
            module @m {
              sdy.mesh @mesh = <["x"=2, "y"=2]>
              func.func @main(%a: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}, %b: tensor<16x32xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>}) -> (tensor<8x32xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) {
                %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
                %1 = "stablehlo.all_reduce"(%0) ({
                ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                  %s = stablehlo.add %x, %y : tensor<f32>
                  stablehlo.return %s : tensor<f32>
                }) {replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>} : (tensor<8x32xf32>) -> tensor<8x32xf32>
                return %1 : tensor<8x32xf32>
              }
            }
            """;

    @Test void jsonReportsFlopsCollectivesAndShardings() throws IOException {
        Path f = dir.resolve("m.mlir");
        Files.writeString(f, SHARDED);
        Cli.Run r = run("inspect", "--json", "--target", "h200", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("target").asText()).isEqualTo("h200");
        JsonNode main = j.get("functions").get(0);
        assertThat(main.get("name").asText()).isEqualTo("main");
        assertThat(main.get("flops").asLong()).isEqualTo(2L * 8 * 32 * 16);
        assertThat(main.get("ops").get("stablehlo.dot_general").asInt()).isEqualTo(1);
        // dot reads 8x16 + 16x32 and writes 8x32; all_reduce reads and writes 8x32 (f32).
        assertThat(main.get("bytes").asLong()).isEqualTo(4L * (128 + 512 + 256 + 256 + 256));
        JsonNode ar = j.get("collectives").get(0);
        assertThat(ar.get("op").asText()).isEqualTo("stablehlo.all_reduce");
        assertThat(ar.get("group_size").asLong()).isEqualTo(2);
        // received, as the run log counts it: 2 (g-1)/g of the 8x32 f32 block, g = 2; the buffer is the block itself
        assertThat(ar.get("bytes_received_per_device").asLong()).isEqualTo(2L * (2 - 1) * 4 * 8 * 32 / 2);
        assertThat(ar.get("bytes_received_is_bound").asBoolean()).isFalse();
        assertThat(ar.get("buffer_bytes_per_device").asLong()).isEqualTo(4L * 8 * 32);
        assertThat(ar.get("replica_groups").toString()).isEqualTo("[[0,1],[2,3]]");
        JsonNode b = j.get("arguments").get(1);
        assertThat(b.get("shard_shape").toString()).isEqualTo("[16,16]");
        assertThat(b.get("axes_per_dim").toString()).isEqualTo("[[],[\"y\"]]");
        assertThat(j.get("results").get(0).get("shard_shape").toString()).isEqualTo("[4,16]");
    }

    /** The demo's Mixtral-style MoE block (cli resource), counted op by op from its text. */
    @Test void demoMoeBlockFlopsMatchAHandCount() throws IOException {
        Path f = dir.resolve("moe_block.mlir");
        try (var in = InspectCommandTest.class.getResourceAsStream("/io/hlo4j/cli/demo/moe_block.mlir")) {
            Files.write(f, in.readAllBytes());
        }
        long router = 2L * 8 * 4 * 16;                 // %0: tokens 8 x experts 4 x hidden 16
        long routing = 12 * 32;                        // top-2 on [8, 4]: 4 reduces, 4 compares, 3 selects, 1 or
        long gates = 5 * 32;                           // subtract, exp, select, reduce(add), divide on [8, 4]
        long up = 2 * (2L * 8 * 4 * 32 * 16);          // %27 and %28: [8, 16] x [4, 16, 32]
        long silu = 3 * (8L * 4 * 32);                 // logistic and two multiplies on [8, 4, 32]
        long down = 2L * 4 * 8 * 16 * 32;              // %32: batch 4, M 8, N 16, K 32
        long combine = 2 * (4L * 8 * 16);              // multiply and reduce(add) on [4, 8, 16]
        long expected = router + routing + gates + up + silu + down + combine;
        assertThat(expected).isEqualTo(103_968);
        Cli.Run r = run("inspect", "--json", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        JsonNode main = new ObjectMapper().readTree(r.out()).get("functions").get(0);
        assertThat(main.get("flops").asLong()).isEqualTo(expected);
        assertThat(main.get("ops").get("stablehlo.dot_general").asInt()).isEqualTo(4);
        assertThat(main.get("parameters").asInt()).isEqualTo(5);
        assertThat(main.get("parameter_bytes").asLong()).isEqualTo(4L * (8 * 16 + 16 * 4 + 3 * 4 * 16 * 32));
    }

    @Test void textReportNamesTheTargetAndTheCollective() throws IOException {
        Path f = dir.resolve("m.mlir");
        Files.writeString(f, SHARDED);
        Cli.Run r = run("inspect", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("target h100", "func @main", "flops         8.19 KFLOP  [8192]",
                "stablehlo.all_reduce in @main", "group size 2", "shard [4, 16]");
    }

    /** Received bytes (the run log's measure) and the buffer, by hand; a ragged_all_to_all gets a bound. */
    @Test void textReportPrintsReceivedBytesAndTheBuffer() throws IOException {
        Path f = dir.resolve("c.mlir");
        Files.writeString(f, """
                module @c attributes {mhlo.num_partitions = 4 : i32} {
                  func.func @main(%x: tensor<2x4xf32>, %i: tensor<4xi64>) -> (tensor<8x4xf32>, tensor<2x4xf32>) {
                    %g = "stablehlo.all_gather"(%x) {all_gather_dim = 0 : i64, replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>,
                        channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, use_global_device_ids} : (tensor<2x4xf32>) -> tensor<8x4xf32>
                    %r = stablehlo.custom_call @ragged_all_to_all(%x, %x, %i, %i, %i, %i) {api_version = 4 : i32, backend_config = {channel_id = 1 : i64}} : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<4xi64>,
                        tensor<4xi64>, tensor<4xi64>, tensor<4xi64>) -> tensor<2x4xf32>
                    return %g, %r : tensor<8x4xf32>, tensor<2x4xf32>
                  }
                }""");
        Cli.Run r = run("inspect", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        // all_gather: 3 other devices' 2x4 f32 blocks = 96 B received; the gathered 8x4 f32 buffer is 128 B
        assertThat(r.out()).contains("stablehlo.all_gather in @main at " + f + ":3:5: group size 4, 96 B received per device"
                + " (buffer 128 B), groups [[0, 1, 2, 3]]");
        // ragged: a channel and no groups, so every one of the 4 partitions; 3 chunks of 2 rows of 16 B would be 96 B,
        // but disjoint chunks all land in the 2 x 4 f32 output: at most 32 B
        assertThat(r.out()).contains("ragged_all_to_all in @main at " + f + ":5:5: group size 4, at most 32 B received per device"
                + " (buffer 32 B)");
        Cli.Run j = run("inspect", "--json", f.toString());
        JsonNode ragged = new ObjectMapper().readTree(j.out()).get("collectives").get(1);
        assertThat(ragged.get("bytes_received_is_bound").asBoolean()).isTrue();
        assertThat(ragged.get("bytes_received_per_device").asLong()).isEqualTo(Math.min(3 * 2 * 16, 2 * 4 * 4));
    }

    @Test void unknownTargetIsAUsageError() throws IOException {
        Path f = dir.resolve("m.mlir");
        Files.writeString(f, SHARDED);
        Cli.Run r = run("inspect", "--target", "gtx480", f.toString());
        assertThat(r.code()).isEqualTo(Main.USAGE);
        assertThat(r.err()).contains("unknown target 'gtx480'").doesNotContain("Exception");
    }

    @Test void brokenInputIsOneLineAndExitOne() throws IOException {
        Path f = dir.resolve("bad.mlir");
        Files.writeString(f, "func.func @main( {\n");
        Cli.Run r = run("inspect", f.toString());
        assertThat(r.code()).isEqualTo(Main.FAILED);
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
        assertThat(r.err()).startsWith("hlo4j: ").contains("bad.mlir");
    }

    @Test void helpHasAnExample() {
        Cli.Run r = run("inspect", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Examples:", "hlo4j inspect model.mlir", "--target");
        // The help lists every target the table knows.
        for (String t : io.hlo4j.compiler.cost.Target.names()) assertThat(r.out()).contains(t);
    }
}
