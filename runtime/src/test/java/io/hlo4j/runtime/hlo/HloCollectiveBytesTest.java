package io.hlo4j.runtime.hlo;

import io.hlo4j.runtime.hlo.proto.HloInstructionProto;
import io.hlo4j.runtime.pjrt.proto.ShapeProto;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Group sizes of HLO collectives by the shared mode rule, and the received bytes they give, worked by hand. */
class HloCollectiveBytesTest {
    static final ShapeProto ROWS = HloFixtures.f32(4, 2);            // 32 B
    static final ShapeProto IDX = HloFixtures.array(io.hlo4j.runtime.pjrt.proto.PrimitiveType.S64, 4);

    private static HloCollectiveBytes.Received of(HloInstructionProto.Builder i, List<ShapeProto> operands, List<List<Long>> groups,
                                                  long replicas, long partitions) {
        return HloCollectiveBytes.of(i.build(), operands, groups, replicas, partitions);
    }

    /** ragged-all-to-all: its channel decides, whatever the grid (1 replica x 4 partitions, empty groups). */
    @Test void raggedAllToAllFollowsItsChannel() {
        List<ShapeProto> ops = List.of(ROWS, ROWS, IDX, IDX, IDX, IDX);
        var noChannel = of(HloFixtures.inst(1, "r", "ragged-all-to-all", ROWS), ops, List.of(), 1, 4);
        assertThat(noChannel.groupSize()).isEqualTo(1);                       // every replica: just one
        assertThat(noChannel.bytes()).isZero();
        var channel = of(HloFixtures.inst(1, "r", "ragged-all-to-all", ROWS).setChannelId(1), ops, List.of(), 1, 4);
        assertThat(channel.groupSize()).isEqualTo(4);                          // every partition
        assertThat(channel.bytes()).isEqualTo(32);   // 3 senders of at most 4 rows of 8 B (96 B), capped by the 32 B output
        assertThat(channel.bound()).isTrue();
    }

    /** all-reduce over replica groups [[0, 1]] on 2 replicas x 3 partitions, in each of its three modes. */
    @Test void allReduceModes() {
        List<List<Long>> g = List.of(List.of(0L, 1L));
        var crossReplica = of(HloFixtures.inst(1, "a", "all-reduce", ROWS), List.of(ROWS), g, 2, 3);
        assertThat(crossReplica.groupSize()).isEqualTo(2);
        assertThat(crossReplica.bytes()).isEqualTo(32);                       // 2 (g-1)/g x 32
        var crossReplicaAndPartition = of(HloFixtures.inst(1, "a", "all-reduce", ROWS).setChannelId(1), List.of(ROWS), g, 2, 3);
        assertThat(crossReplicaAndPartition.groupSize()).isEqualTo(6);
        assertThat(crossReplicaAndPartition.bytes()).isEqualTo(54);           // ceil(2 x 5 x 32 / 6) = ceil(53.3)
        var flattened = of(HloFixtures.inst(1, "a", "all-reduce", ROWS).setChannelId(1).setUseGlobalDeviceIds(true), List.of(ROWS), g, 2, 3);
        assertThat(flattened.groupSize()).isEqualTo(2);
    }

    /** use_global_device_ids without a channel has no mode: the bytes are unknown and the reason names it. */
    @Test void globalIdsWithoutAChannelAreUnknownWithTheReason() {
        var r = of(HloFixtures.inst(1, "bad", "all-reduce", ROWS).setUseGlobalDeviceIds(true), List.of(ROWS), List.of(List.of(0L, 1L)), 2, 1);
        assertThat(r.bytes()).isEqualTo(-1);
        assertThat(r.unknownWhy()).contains("use_global_device_ids needs a channel_id > 0").contains("%bad");
    }

    /**
     * collective-permute with pairs 0->1, 1->0. Combined (XLA's combiner: operands f32[4,2] = 32 B and f32[3] = 12 B,
     * result their tuple): each device receives both, 44 B, in a 44 B buffer, also as collective-permute-start
     * (((32, 12), (32, 12), u32, u32)). In place (dynamic_slice_sizes set; operands input, output, two index tuples): only
     * the input, 32 B.
     */
    @Test void combinedCollectivePermuteReceivesEveryOperand() {
        List<List<Long>> pairs = List.of(List.of(0L, 1L), List.of(1L, 0L));
        ShapeProto three = HloFixtures.f32(3);
        ShapeProto both = HloFixtures.tuple(ROWS, three);
        ShapeProto u32 = HloFixtures.array(io.hlo4j.runtime.pjrt.proto.PrimitiveType.U32);
        var combined = of(HloFixtures.inst(1, "cp", "collective-permute", both).setChannelId(1), List.of(ROWS, three), pairs, 2, 1);
        assertThat(combined.bytes()).isEqualTo(44);
        assertThat(combined.buffer()).isEqualTo(44);
        var start = of(HloFixtures.inst(1, "cps", "collective-permute-start", HloFixtures.tuple(both, both, u32, u32)).setChannelId(1),
                List.of(ROWS, three), pairs, 2, 1);
        assertThat(start.bytes()).isEqualTo(44);
        assertThat(start.buffer()).isEqualTo(44);
        ShapeProto index = HloFixtures.tuple(HloFixtures.array(io.hlo4j.runtime.pjrt.proto.PrimitiveType.S32));
        var inPlace = of(HloFixtures.inst(1, "ip", "collective-permute", ROWS).setChannelId(1).addDynamicSliceSizes(4).addDynamicSliceSizes(2),
                List.of(ROWS, ROWS, index, index), pairs, 2, 1);
        assertThat(inPlace.bytes()).isEqualTo(32);
        assertThat(inPlace.buffer()).isEqualTo(32);
    }
}
