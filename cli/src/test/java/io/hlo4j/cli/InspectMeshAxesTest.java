package io.hlo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code inspect} names the mesh axes a StableHLO collective's groups span, one hand-checked case per kind. On
 * {@code <["x"=2, "y"=2]>} device d sits at x = d / 2, y = d % 2; on {@code <["a"=2, "b"=2, "c"=2]>} at a = d / 4,
 * b = d / 2 % 2, c = d % 2.
 */
class InspectMeshAxesTest {
    @TempDir Path dir;

    private static final String ADD = """
            ({
                ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                  %s = stablehlo.add %x, %y : tensor<f32>
                  stablehlo.return %s : tensor<f32>
                })""";

    private static String module(String mesh, String type, String body) {
        return "module @m attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {\n"
                .replace("4 : i32", (mesh.contains("\"c\"") ? 8 : 4) + " : i32")
                + "  sdy.mesh @mesh = <" + mesh + ">\n"
                + "  func.func @main(%a: " + type + ") -> " + body.substring(body.lastIndexOf("-> ") + 3) + " {\n"
                + "    %0 = " + body + "\n"
                + "    return %0 : " + body.substring(body.lastIndexOf("-> ") + 3) + "\n"
                + "  }\n}\n";
    }

    private static final String XY = "[\"x\"=2, \"y\"=2]";

    private static String allReduce(String groups) {
        return "\"stablehlo.all_reduce\"(%a) " + ADD + " {channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<"
                + groups + "> : tensor<2x2xi64>, use_global_device_ids} : (tensor<4xf32>) -> tensor<4xf32>";
    }

    private record Out(String line, JsonNode json) {}

    private Out inspect(String text) throws IOException {
        Path f = dir.resolve("m" + Integer.toHexString(text.hashCode()) + ".mlir");
        Files.writeString(f, text);
        Cli.Run r = InspectCommandTest.run("inspect", f.toString());
        assertThat(r.code()).as(r.err()).isZero();
        String line = r.out().lines().filter(l -> l.startsWith("  stablehlo.")).findFirst().orElseThrow();
        Cli.Run j = InspectCommandTest.run("inspect", "--json", f.toString());
        assertThat(j.code()).as(j.err()).isZero();
        return new Out(line, new ObjectMapper().readTree(j.out()).get("collectives").get(0));
    }

    @Test void allReduceOverOneAxis() throws IOException {
        // {0, 2}: x 0 and 1, y 0 both; {1, 3}: x 0 and 1, y 1 both -> x
        Out o = inspect(module(XY, "tensor<4xf32>", allReduce("[[0, 2], [1, 3]]")));
        assertThat(o.line()).endsWith("groups [[0, 2], [1, 3]], over @mesh axes x");
        assertThat(o.json().get("mesh").asText()).isEqualTo("mesh");
        assertThat(o.json().get("mesh_axes").toString()).isEqualTo("[\"x\"]");
        assertThat(o.json().has("mesh_axes_note")).isFalse();
    }

    @Test void meshDeviceIdsReorderTheDevices() throws IOException {
        // device_ids [3, 2, 1, 0]: device d is at position 3 - d, so {0, 1} = positions {3, 2} = (1,1), (1,0) -> y
        Out o = inspect(module("[\"x\"=2, \"y\"=2], device_ids=[3, 2, 1, 0]", "tensor<4xf32>", allReduce("[[0, 1], [2, 3]]")));
        assertThat(o.line()).endsWith("over @mesh axes y");
    }

    @Test void allGatherOverTwoAxes() throws IOException {
        // b = 0: {0, 1, 4, 5}, b = 1: {2, 3, 6, 7}: members differ on a and c, each group is every device of its b -> a,c
        String op = "\"stablehlo.all_gather\"(%a) {all_gather_dim = 0 : i64, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, "
                + "replica_groups = dense<[[0, 1, 4, 5], [2, 3, 6, 7]]> : tensor<2x4xi64>, use_global_device_ids} : (tensor<2xf32>) -> tensor<8xf32>";
        Out o = inspect(module("[\"a\"=2, \"b\"=2, \"c\"=2]", "tensor<2xf32>", op));
        assertThat(o.line()).contains("group size 4").endsWith("over @mesh axes a,c");
        assertThat(o.json().get("mesh_axes").toString()).isEqualTo("[\"a\",\"c\"]");
    }

    @Test void collectivePermuteMovesAlongItsPairsAxes() throws IOException {
        // 0 <-> 1 and 2 <-> 3 differ in y only
        String op = "\"stablehlo.collective_permute\"(%a) {channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, "
                + "source_target_pairs = dense<[[0, 1], [1, 0], [2, 3], [3, 2]]> : tensor<4x2xi64>} : (tensor<4xf32>) -> tensor<4xf32>";
        Out o = inspect(module(XY, "tensor<4xf32>", op));
        assertThat(o.line()).endsWith("moves along @mesh axes y");
        assertThat(o.json().get("mesh_axes").toString()).isEqualTo("[\"y\"]");
    }

    @Test void allToAllOverOneAxis() throws IOException {
        // {0, 1}, {2, 3}: y varies, x fixed -> y
        String op = "\"stablehlo.all_to_all\"(%a) {channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, concat_dimension = 0 : i64, "
                + "replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>, split_count = 2 : i64, split_dimension = 0 : i64} "
                + ": (tensor<4xf32>) -> tensor<4xf32>";
        Out o = inspect(module(XY, "tensor<4xf32>", op));
        assertThat(o.line()).endsWith("over @mesh axes y");
    }

    @Test void groupsThatCutAcrossTheAxesMatchNone() throws IOException {
        // {0, 3}: (0,0), (1,1); {1, 2}: (0,1), (1,0): both axes vary, yet neither group is every device: no set of axes
        Out o = inspect(module(XY, "tensor<4xf32>", allReduce("[[0, 3], [1, 2]]")));
        assertThat(o.line()).endsWith("groups [[0, 3], [1, 2]], no @mesh axes: the groups are not the device sets of any axes or sub-axes of @mesh");
        assertThat(o.json().get("mesh_axes").isNull()).isTrue();
        assertThat(o.json().get("mesh_axes_note").asText()).isEqualTo("the groups are not the device sets of any axes or sub-axes of @mesh");
    }

    @Test void replicaIdsAreNotDevicesOfTheMesh() throws IOException {
        // no channel: cross_replica, the ids count replicas
        String op = "\"stablehlo.all_reduce\"(%a) " + ADD + " {replica_groups = dense<[[0]]> : tensor<1x1xi64>} : (tensor<4xf32>) -> tensor<4xf32>";
        Out o = inspect(module(XY, "tensor<4xf32>", op));
        assertThat(o.line()).endsWith("no @mesh axes: its ids are replica ids (cross_replica), not devices of @mesh");
    }

    @Test void withoutAMeshNothingIsSaid() throws IOException {
        String text = module(XY, "tensor<4xf32>", allReduce("[[0, 2], [1, 3]]")).replace("  sdy.mesh @mesh = <" + XY + ">\n", "");
        Out o = inspect(text);
        assertThat(o.line()).endsWith("groups [[0, 2], [1, 3]]");
        assertThat(o.json().has("mesh_axes")).isFalse();
    }

    @Test void aPermuteWithoutPairsMovesAlongNoAxis() throws IOException {
        // no pairs is no transfer, not "one group of all devices" as for the other collectives
        String op = "\"stablehlo.collective_permute\"(%a) {channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, "
                + "source_target_pairs = dense<> : tensor<0x2xi64>} : (tensor<4xf32>) -> tensor<4xf32>";
        Out o = inspect(module(XY, "tensor<4xf32>", op));
        assertThat(o.line()).endsWith("no @mesh axes (no pair moves data)");
        assertThat(o.json().get("mesh_axes").toString()).isEqualTo("[]");
    }

    @Test void globalIdsOverSeveralReplicasAreNotDevicesOfTheMesh() throws IOException {
        // use_global_device_ids with 2 replicas of 4 partitions: id = replica x 4 + partition, 8 ids for a 4-device mesh
        String op = "\"stablehlo.all_reduce\"(%a) " + ADD + " {channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, "
                + "replica_groups = dense<[[0, 1, 2, 3], [4, 5, 6, 7]]> : tensor<2x4xi64>, use_global_device_ids} : (tensor<4xf32>) -> tensor<4xf32>";
        Out o = inspect(module(XY, "tensor<4xf32>", op).replace("mhlo.num_replicas = 1", "mhlo.num_replicas = 2"));
        assertThat(o.line()).endsWith("no @mesh axes: its ids are global ids over 2 replicas (flattened_ids: replica x 4 partitions + partition), not devices of @mesh");
    }

    @Test void crossReplicaAndPartitionIdsAreReplicaIds() throws IOException {
        // a channel without use_global_device_ids: replica ids, each group times every partition
        String op = "\"stablehlo.all_reduce\"(%a) " + ADD + " {channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, "
                + "replica_groups = dense<[[0]]> : tensor<1x1xi64>} : (tensor<4xf32>) -> tensor<4xf32>";
        Out o = inspect(module(XY, "tensor<4xf32>", op));
        assertThat(o.line()).endsWith("no @mesh axes: its ids are replica ids (cross_replica_and_partition), not devices of @mesh");
    }

    @Test void groupsOfASubAxisNameIt() throws IOException {
        // x=4 as "x":(1)2 (major, d / 2) x "x":(2)2 (minor, d % 2): {0, 2}, {1, 3} differ in the major digit only
        // (the partitioner's groups for a dimension sharded {"x":(1)2} reduced); {0, 1}, {2, 3} in the minor one
        Out major = inspect(module("[\"x\"=4]", "tensor<4xf32>", allReduce("[[0, 2], [1, 3]]")));
        assertThat(major.line()).endsWith("over @mesh axes x:(1)2");
        assertThat(major.json().get("mesh_axes").toString()).isEqualTo("[\"x:(1)2\"]");
        Out minor = inspect(module("[\"x\"=4]", "tensor<4xf32>", allReduce("[[0, 1], [2, 3]]")));
        assertThat(minor.line()).endsWith("over @mesh axes x:(2)2");
        // a sub-axis of x with the whole of y: on ["x"=4, "y"=2] device d is at x = d / 2, y = d % 2, so x:(1)2 = x / 2
        // = d / 4; in {0, 1, 4, 5} d / 4 and y vary while x % 2 = 0 is fixed (x % 2 = 1 in {2, 3, 6, 7}) -> x:(1)2,y
        Out two = inspect(module("[\"x\"=4, \"y\"=2]", "tensor<4xf32>", allReduce("[[0, 1, 4, 5], [2, 3, 6, 7]]").replace("2x2xi64", "2x4xi64"))
                .replace("num_partitions = 4", "num_partitions = 8"));
        assertThat(two.line()).endsWith("over @mesh axes x:(1)2,y");
    }

    @Test void groupsOfSeveralSubAxesOfOneAxisNameThemAll() throws IOException {
        // x=8 as x:(1)2 (d / 4), x:(2)2, x:(4)2 (d % 2): in {0, 1, 4, 5} and {2, 3, 6, 7} the outer two digits vary and
        // the middle one is fixed -> x:(1)2,x:(4)2, as Shardy writes a dimension sharded over both
        Out o = inspect(module("[\"x\"=8]", "tensor<4xf32>", allReduce("[[0, 1, 4, 5], [2, 3, 6, 7]]").replace("2x2xi64", "2x4xi64"))
                .replace("num_partitions = 4", "num_partitions = 8"));
        assertThat(o.line()).endsWith("groups [[0, 1, 4, 5], [2, 3, 6, 7]], over @mesh axes x:(1)2,x:(4)2");
        assertThat(o.json().get("mesh_axes").toString()).isEqualTo("[\"x:(1)2\",\"x:(4)2\"]");
    }
}
