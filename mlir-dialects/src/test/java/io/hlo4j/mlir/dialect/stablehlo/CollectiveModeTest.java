package io.hlo4j.mlir.dialect.stablehlo;

import org.junit.jupiter.api.Test;

import static io.hlo4j.mlir.dialect.stablehlo.CollectiveMode.CROSS_PARTITION;
import static io.hlo4j.mlir.dialect.stablehlo.CollectiveMode.CROSS_REPLICA;
import static io.hlo4j.mlir.dialect.stablehlo.CollectiveMode.CROSS_REPLICA_AND_PARTITION;
import static io.hlo4j.mlir.dialect.stablehlo.CollectiveMode.FLATTENED_IDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The spec's mode table (and XLA's for ragged_all_to_all), and group sizes worked by hand on a 3 x 4 grid. */
class CollectiveModeTest {
    @Test void gatherFamilyModes() {
        for (String op : new String[] {"stablehlo.all_gather", "stablehlo.all_reduce", "stablehlo.reduce_scatter", "all-reduce-start", "all-gather"}) {
            assertThat(CollectiveMode.of(op, 0, false)).as(op).isEqualTo(CROSS_REPLICA);
            assertThat(CollectiveMode.of(op, -3, false)).as(op).isEqualTo(CROSS_REPLICA);
            assertThat(CollectiveMode.of(op, 1, false)).as(op).isEqualTo(CROSS_REPLICA_AND_PARTITION);
            assertThat(CollectiveMode.of(op, 7, true)).as(op).isEqualTo(FLATTENED_IDS);
        }
        assertThat(CollectiveMode.of("stablehlo.cross-replica-sum", 0, false)).isEqualTo(CROSS_REPLICA);
    }

    @Test void exchangeFamilyModes() {
        for (String op : new String[] {"stablehlo.all_to_all", "stablehlo.collective_permute", "stablehlo.collective_broadcast",
                "stablehlo.collective_reduce", "ragged_all_to_all", "ragged-all-to-all", "collective-permute-start"}) {
            assertThat(CollectiveMode.of(op, 0, false)).as(op).isEqualTo(CROSS_REPLICA);
            assertThat(CollectiveMode.of(op, 1, false)).as(op).isEqualTo(CROSS_PARTITION);
        }
    }

    /** collective_reduce: a channel alone names partitions (spec.md), a channel with use_global_device_ids flattened ids. */
    @Test void collectiveReduceTakesGlobalDeviceIds() {
        assertThat(CollectiveMode.of("stablehlo.collective_reduce", 0, false)).isEqualTo(CROSS_REPLICA);
        assertThat(CollectiveMode.of("stablehlo.collective_reduce", 1, false)).isEqualTo(CROSS_PARTITION);
        assertThat(CollectiveMode.of("stablehlo.collective_reduce", 1, true)).isEqualTo(FLATTENED_IDS);
        assertThatThrownBy(() -> CollectiveMode.of("stablehlo.collective_reduce", 0, true))
                .hasMessageContaining("stablehlo.collective_reduce").hasMessageContaining("use_global_device_ids needs a channel_id > 0, got 0");
    }

    /** ragged_all_to_all without a channel is cross-replica whatever the grid: its ids are replica ids. */
    @Test void raggedWithoutAChannelExchangesAmongReplicas() {
        CollectiveMode m = CollectiveMode.of("ragged_all_to_all", 0, false);
        assertThat(m.groupSize(0, 1, 4)).isEqualTo(1);
        assertThat(m.groupSize(0, 2, 4)).isEqualTo(2);
    }

    @Test void globalIdsWithoutAChannelOrOnAnExchangeAreRefused() {
        assertThatThrownBy(() -> CollectiveMode.of("stablehlo.all_reduce", 0, true))
                .hasMessageContaining("stablehlo.all_reduce").hasMessageContaining("use_global_device_ids needs a channel_id > 0, got 0");
        assertThatThrownBy(() -> CollectiveMode.of("stablehlo.all_to_all", 1, true))
                .hasMessageContaining("stablehlo.all_to_all").hasMessageContaining("no flattened-ids mode");
        assertThatThrownBy(() -> CollectiveMode.of("stablehlo.add", 1, false)).hasMessageContaining("'stablehlo.add'");
    }

    /** 3 replicas x 4 partitions: a row of 2 ids, and empty groups (the whole id space). */
    @Test void groupSizesByHand() {
        assertThat(CROSS_REPLICA.groupSize(2, 3, 4)).isEqualTo(2);
        assertThat(CROSS_REPLICA.groupSize(0, 3, 4)).isEqualTo(3);
        assertThat(CROSS_PARTITION.groupSize(2, 3, 4)).isEqualTo(2);
        assertThat(CROSS_PARTITION.groupSize(0, 3, 4)).isEqualTo(4);
        assertThat(CROSS_REPLICA_AND_PARTITION.groupSize(2, 3, 4)).isEqualTo(8);
        assertThat(CROSS_REPLICA_AND_PARTITION.groupSize(0, 3, 4)).isEqualTo(12);
        assertThat(FLATTENED_IDS.groupSize(2, 3, 4)).isEqualTo(2);
        assertThat(FLATTENED_IDS.groupSize(0, 3, 4)).isEqualTo(12);
        assertThat(CROSS_REPLICA.idSpace(3, 4)).isEqualTo(3);
        assertThat(CROSS_PARTITION.idSpace(3, 4)).isEqualTo(4);
        assertThat(CROSS_REPLICA_AND_PARTITION.idSpace(3, 4)).isEqualTo(3);
        assertThat(FLATTENED_IDS.idSpace(3, 4)).isEqualTo(12);
    }

    /** A count given as 0 (not known) makes the size 0 exactly where it is needed. */
    @Test void unknownCountsGiveZero() {
        assertThat(CROSS_PARTITION.groupSize(0, 1, 0)).isZero();
        assertThat(CROSS_PARTITION.groupSize(4, 0, 0)).isEqualTo(4);
        assertThat(CROSS_REPLICA_AND_PARTITION.groupSize(2, 3, 0)).isZero();
        assertThat(FLATTENED_IDS.groupSize(0, 0, 4)).isZero();
        assertThat(CROSS_REPLICA.specName()).isEqualTo("cross_replica");
    }
}
