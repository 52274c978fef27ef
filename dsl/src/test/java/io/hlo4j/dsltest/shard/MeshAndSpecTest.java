package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MeshAndSpecTest {
    static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }

    @Test
    void rowMajorLinearisation() {
        Mesh m = Mesh.of(6, List.of("a", "b"), 2, 3);
        assertThat(m.device(1, 2)).isEqualTo(5);
        assertThat(m.device(0, 1)).isEqualTo(1);
        assertThat(m.coords(4)).containsExactly(1, 1);
        assertThat(m.toSdy().body()).isEqualTo("<[\"a\"=2, \"b\"=3]>");
        Mesh p = Mesh.withDeviceIds(List.of("x"), new int[] {4}, new int[] {2, 0, 3, 1});
        assertThat(p.device(0)).isEqualTo(2);
        assertThat(p.coordsOfDevice(1)).containsExactly(3);
        assertThat(p.toSdy().body()).isEqualTo("<[\"x\"=4], device_ids=[2, 0, 3, 1]>");
    }

    @Test
    void meshRefusals() {
        int[] at = new int[1];
        assertThatThrownBy(() -> { at[0] = line(); Mesh.of(8, List.of("a", "b"), 2, 3); })
                .isInstanceOf(DslException.class)
                .hasMessageContaining("mesh [\"a\"=2, \"b\"=3] has 6 positions but there are 8 devices")
                .hasMessageContaining("MeshAndSpecTest.java:" + at[0]);
        assertThatThrownBy(() -> Mesh.of(List.of("a", "a"), 2, 2)).hasMessageContaining("mesh axis name \"a\" appears twice");
        assertThatThrownBy(() -> Mesh.of(List.of("a", ""), 2, 2)).hasMessageContaining("mesh axis #1 has an empty name");
        assertThatThrownBy(() -> Mesh.of(List.of("a"), 0)).hasMessageContaining("axis \"a\" has size 0");
        assertThatThrownBy(() -> Mesh.withDeviceIds(List.of("a"), new int[] {3}, new int[] {0, 0, 1}))
                .hasMessageContaining("not a permutation of 0..2");
        assertThatThrownBy(() -> Mesh.of(List.of("a"), 2).replicaGroups("z")).hasMessageContaining("unknown mesh axis \"z\" (mesh axes [a])");
    }

    /** Hand-computed, as pxla.axis_groups: iota(2,2,2), listed axes moved to the front, reshape, transpose. */
    @Test
    void replicaGroupsHandComputed() {
        Mesh m = Mesh.of(List.of("a", "b", "c"), 2, 2, 2);
        assertThat(m.replicaGroups("b")).isDeepEqualTo(new int[][] {{0, 2}, {1, 3}, {4, 6}, {5, 7}});
        assertThat(m.replicaGroups("c", "a")).isDeepEqualTo(new int[][] {{0, 4, 1, 5}, {2, 6, 3, 7}});
        assertThat(m.replicaGroups("a", "c")).isDeepEqualTo(new int[][] {{0, 1, 4, 5}, {2, 3, 6, 7}});
        assertThat(m.replicaGroups()).isDeepEqualTo(new int[][] {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}});
        // device ids map positions to devices: groups list devices
        Mesh p = Mesh.withDeviceIds(List.of("x", "y"), new int[] {2, 2}, new int[] {3, 2, 1, 0});
        assertThat(p.replicaGroups("x")).isDeepEqualTo(new int[][] {{3, 1}, {2, 0}});
    }

    @Test
    void partitionSpecRefusesAxisTwice() {
        int[] at = new int[1];
        assertThatThrownBy(() -> { at[0] = line(); PartitionSpec.of("x", new String[] {"y", "x"}); })
                .isInstanceOf(DslException.class)
                .hasMessageContaining("PartitionSpec: mesh axis \"x\" is used twice in P(x, (y, x))")
                .hasMessageContaining("MeshAndSpecTest.java:" + at[0]);
        assertThatThrownBy(() -> PartitionSpec.of(List.of("a", "a"))).hasMessageContaining("\"a\" is used twice");
        assertThatThrownBy(() -> PartitionSpec.of(3)).hasMessageContaining("dimension 0 is 3 (Integer)");
        assertThat(PartitionSpec.of("x", null)).isEqualTo(PartitionSpec.of("x"));
        assertThat(PartitionSpec.of(null, List.of("a", "b")).toString()).isEqualTo("P(None, (a, b))");
    }

    @Test
    void shardShapesAndRangesHandComputed() {
        Mesh m = Mesh.of(List.of("x", "y"), 2, 2);
        NamedSharding s = NamedSharding.of(m, "x", "y");
        assertThat(s.shardShape(new long[] {4, 6})).containsExactly(2, 3);
        assertThat(s.indexRanges(3, new long[] {4, 6})).isDeepEqualTo(new long[][] {{2, 4}, {3, 6}});
        assertThat(s.indexRanges(1, new long[] {4, 6})).isDeepEqualTo(new long[][] {{0, 2}, {3, 6}});
        // several axes on one dimension: block = y * |x| + x (y major)
        NamedSharding yx = NamedSharding.of(m, (Object) new String[] {"y", "x"});
        assertThat(yx.indexRanges(2, new long[] {8, 5})).isDeepEqualTo(new long[][] {{2, 4}, {0, 5}}); // x=1,y=0 -> block 1
        assertThat(yx.indexRanges(1, new long[] {8, 5})).isDeepEqualTo(new long[][] {{4, 6}, {0, 5}}); // x=0,y=1 -> block 2
        assertThat(NamedSharding.of(m, null, "x").replicatedAxes()).containsExactly("y");
        assertThat(s.toSdy(3).toString()).isEqualTo("#sdy.sharding<@mesh, [{\"x\"}, {\"y\"}, {}]>");
    }

    @Test
    void shardingRefusals() {
        Mesh m = Mesh.of(List.of("x", "y"), 2, 3);
        int[] at = new int[1];
        assertThatThrownBy(() -> { at[0] = line(); NamedSharding.of(m, null, new String[] {"x", "y"}).check(new long[] {4, 9}, "weight"); })
                .isInstanceOf(DslException.class)
                .hasMessageContaining("NamedSharding: weight dimension 1 of size 9 is not divisible by mesh axes (x=2, y=3) with 6 shards")
                .hasMessageContaining("MeshAndSpecTest.java:" + at[0]);
        assertThatThrownBy(() -> NamedSharding.of(m, "z")).hasMessageContaining("spec P(z) names unknown mesh axis \"z\" (mesh axes [x, y])");
        assertThatThrownBy(() -> NamedSharding.of(m, "x", null, "y").check(new long[] {4, 4}, "x0"))
                .hasMessageContaining("x0 has shape [4, 4] (rank 2) but spec P(x, None, y) lists 3 dimensions");
    }

    /**
     * Tiling property over random meshes/specs: each global element is held by exactly
     * (devices / shards) devices, and the blocks of the devices with distinct block indices partition the tensor.
     */
    @Test
    void blocksTileTheTensor() {
        Random r = new Random(7);
        List<String> names = List.of("a", "b", "c");
        for (int trial = 0; trial < 200; trial++) {
            int[] sizes = {1 + r.nextInt(3), 1 + r.nextInt(3), 1 + r.nextInt(2)};
            Mesh m = Mesh.of(names, sizes);
            Object[] entries = new Object[2];
            List<String> pool = new java.util.ArrayList<>(names);
            java.util.Collections.shuffle(pool, r);
            entries[0] = r.nextBoolean() ? pool.get(0) : null;
            entries[1] = r.nextBoolean() ? List.of(pool.get(1), pool.get(2)) : null;
            NamedSharding s = NamedSharding.of(m, entries);
            long[] shape = {s.shards(0) * (1 + r.nextInt(3)), s.shards(1) * (1 + r.nextInt(2))};
            int[][] count = new int[(int) shape[0]][(int) shape[1]];
            for (int dev = 0; dev < m.size(); dev++) {
                long[][] rg = s.indexRanges(dev, shape);
                for (long i = rg[0][0]; i < rg[0][1]; i++) for (long j = rg[1][0]; j < rg[1][1]; j++) count[(int) i][(int) j]++;
            }
            int expected = m.size() / (s.shards(0) * s.shards(1));
            for (int[] row : count) for (int c : row) assertThat(c).as("trial %d %s", trial, s).isEqualTo(expected);
        }
    }

    @Test
    void replicaGroupsAsStablehloAttribute() {
        Mesh m = Mesh.of(List.of("a", "b"), 2, 2);
        assertThat(m.replicaGroupsAttr(List.of("a")).toString()).isEqualTo("dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>");
        assertThat(m.replicaGroupsAttr(List.of("b", "a")).toString()).isEqualTo("dense<[[0, 2, 1, 3]]> : tensor<1x4xi64>");
    }
}
