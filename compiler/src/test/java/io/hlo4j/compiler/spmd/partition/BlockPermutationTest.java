package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The pairs worked by hand: which device holds each device's new block, self pairs first. */
class BlockPermutationTest {
    private static TensorSharding onX(String mesh, boolean split) {
        return new TensorSharding(mesh, null, List.of(new DimensionSharding(split ? List.of(AxisRef.of("x")) : List.of(), true, null)),
                List.of(), List.of(), "sum");
    }

    private static DeviceGrid grid(List<Long> ids, MeshAttr.Axis... axes) {
        return new DeviceGrid(new MeshAttr(List.of(axes), ids));
    }

    /** [x=4] vs its view with device_ids [1, 0, 3, 2]: device 1 now holds block 0, device 0 block 1, ... */
    @Test void swappedDevicesExchangeTheirBlocks() {
        DeviceGrid a = grid(List.of(), new MeshAttr.Axis("x", 4)), b = grid(List.of(1L, 0L, 3L, 2L), new MeshAttr.Axis("x", 4));
        assertThat(BlockPermutation.pairs(a, onX("a", true), b, onX("b", true)))
                .isDeepEqualTo(new long[][] {{1, 0}, {0, 1}, {3, 2}, {2, 3}});
    }

    /** device_ids [0, 2, 1, 3]: devices 0 and 3 keep their blocks (self pairs, listed first), 1 and 2 swap. */
    @Test void devicesThatKeepTheirBlockArePairedWithThemselves() {
        DeviceGrid a = grid(List.of(), new MeshAttr.Axis("x", 4)), b = grid(List.of(0L, 2L, 1L, 3L), new MeshAttr.Axis("x", 4));
        assertThat(BlockPermutation.pairs(a, onX("a", true), b, onX("b", true)))
                .isDeepEqualTo(new long[][] {{0, 0}, {3, 3}, {2, 1}, {1, 2}});
    }

    /**
     * [x=2, y=2], dimension 0 on x (each block held by two devices) vs device_ids [2, 3, 0, 1]: every device wants the
     * other x row's block; each takes the lowest holder not already sending.
     */
    @Test void replicatedBlocksTakeTheLowestFreeHolder() {
        MeshAttr.Axis x = new MeshAttr.Axis("x", 2), y = new MeshAttr.Axis("y", 2);
        DeviceGrid a = grid(List.of(), x, y), b = grid(List.of(2L, 3L, 0L, 1L), x, y);
        assertThat(BlockPermutation.pairs(a, onX("a", true), b, onX("b", true)))
                .isDeepEqualTo(new long[][] {{2, 0}, {3, 1}, {0, 2}, {1, 3}});
    }

    /** Different shard counts on a dimension are not a permutation of blocks. */
    @Test void differentShardCountsGiveNull() {
        DeviceGrid a = grid(List.of(), new MeshAttr.Axis("x", 4)), b = grid(List.of(1L, 0L, 3L, 2L), new MeshAttr.Axis("x", 4));
        assertThat(BlockPermutation.pairs(a, onX("a", false), b, onX("b", true))).isNull();
    }
}
