package io.hlo4j.runtime.hlo;

import io.hlo4j.runtime.hlo.proto.HloComputationProto;
import io.hlo4j.runtime.hlo.proto.HloInstructionProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;
import io.hlo4j.runtime.pjrt.proto.CollectiveDeviceListProto;
import io.hlo4j.runtime.pjrt.proto.IotaReplicaGroupListProto;
import io.hlo4j.runtime.pjrt.proto.PrimitiveType;
import io.hlo4j.runtime.pjrt.proto.ReplicaGroup;
import io.hlo4j.runtime.pjrt.proto.ShapeProto;
import io.hlo4j.runtime.pjrt.proto.SourceTarget;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static io.hlo4j.runtime.hlo.HloFixtures.comp;
import static io.hlo4j.runtime.hlo.HloFixtures.f32;
import static io.hlo4j.runtime.hlo.HloFixtures.inst;
import static io.hlo4j.runtime.hlo.HloFixtures.param;
import static io.hlo4j.runtime.hlo.HloFixtures.tuple;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The optimized program's summary: fusions, and each collective's group size and the bytes the busiest device
 * receives, worked by hand from the ring formulas (a ring of g devices passes g-1 of the g blocks).
 */
class HloSummaryTest {
    @Test
    void summarisesFusionsAndCollectives() throws IOException {
        HloSummary s = HloProgram.decode("hlo_with_config", HloTextTest.resource("spmd.pb")).summary();
        assertThat(s.module()).isEqualTo("jit_moe_shard");
        assertThat(s.entry()).isEqualTo("main.9");
        assertThat(s.computations()).isEqualTo(5);
        assertThat(s.instructions()).isEqualTo(3 + 2 + 3 + 3 + 13);
        assertThat(s.fusionKinds()).isEqualTo(Map.of("kLoop", 1, "kInput", 1, "kCustom", 1));
        assertThat(s.fusions()).extracting(HloSummary.Fusion::calls).containsExactly("fused_exp", "fused_gemm", "fused_reduce");
        assertThat(s.fusions()).extracting(HloSummary.Fusion::fusedInstructions).containsExactly(2, 3, 3);
        assertThat(s.fusions()).extracting(HloSummary.Fusion::backendKind).containsExactly("", "__triton_gemm", "");
        assertThat(s.collectives()).extracting(HloSummary.Collective::opcode)
                .containsExactly("all-gather", "all-reduce", "all-to-all", "collective-permute");
        assertThat(s.collectives()).extracting(HloSummary.Collective::channelId).containsExactly(1L, 2L, 3L, 4L);
        // [1,8]<=[8]: one group of all eight; [2,4]<=[4,2]T(1,0): iota(8) as 4x2, transposed, rows of 4.
        assertThat(s.collectives().get(0).groups()).containsExactly(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L));
        assertThat(s.collectives().get(1).groups()).containsExactly(List.of(0L, 2L, 4L, 6L), List.of(1L, 3L, 5L, 7L));
        assertThat(s.collectives().get(2).groups()).containsExactly(List.of(0L, 1L, 2L, 3L), List.of(4L, 5L, 6L, 7L));
        assertThat(s.collectives().get(3).groups()).containsExactly(List.of(0L, 1L), List.of(1L, 0L));
        // The buffers, the larger of operand and result: the gathered f32[32,16] = 2048 B (its operand f32[4,16] is 256 B),
        // f32[32] = 128 B, f32[8] = 32 B (twice).
        assertThat(s.collectives()).extracting(HloSummary.Collective::bufferBytes).containsExactly(2048L, 128L, 32L, 32L);
        assertThat(s.collectives()).extracting(HloSummary.Collective::groupSize).containsExactly(8L, 4L, 4L, 0L);
        // all-gather to f32[32,16] = 2048 B over 8: the 7 blocks of 256 B it lacks = 1792;
        // all-reduce of 128 B over 4: reduce-scatter 3 x 32 + all-gather 3 x 32 = 192;
        // all-to-all of 32 B over 4: keeps its own 8 B, receives 3 x 8 = 24; the permute 0 <-> 1 receives the whole 32 B.
        assertThat(s.collectives()).extracting(HloSummary.Collective::bytesReceived).containsExactly(1792L, 192L, 24L, 32L);
        assertThat(s.collectives()).extracting(HloSummary.Collective::bound).containsOnly(false);
        assertThat(s.text()).contains("fusions: 3 {kCustom=1, kInput=1, kLoop=1}")
                .contains("%gemm_fusion kCustom __triton_gemm calls %fused_gemm (3 instructions)")
                .contains("%all-gather all-gather f32[32,16]{1,0} groups=[1,8]<=[8] channel_id=1: group size 8, 1792 B received per device (buffer 2048 B)\n")
                .contains("%all-reduce all-reduce f32[32]{0} groups=[2,4]<=[4,2]T(1,0) channel_id=2: group size 4, 192 B received per device (buffer 128 B)\n")
                .contains("%collective-permute collective-permute f32[8]{0} groups={{0,1},{1,0}} channel_id=4: 32 B received per device (buffer 32 B)\n");
    }

    private static ReplicaGroup group(Long... ids) { return ReplicaGroup.newBuilder().addAllReplicaIds(List.of(ids)).build(); }

    /**
     * The other forms on one f32[8] (32 B) parameter, for 2 replicas x 4 partitions: reduce-scatter, the async starts,
     * cross-replica-and-partition and empty groups (which need the counts), a group of one, a self-permute,
     * collective-broadcast and ragged-all-to-all (a bound).
     */
    static HloModuleProto forms() {
        HloComputationProto add = comp(1, "add", false, param(1, "a", 0, f32()), param(2, "b", 1, f32()), inst(3, "add.0", "add", f32(), 1, 2));
        CollectiveDeviceListProto iota4 = CollectiveDeviceListProto.newBuilder().setIotaReplicaGroupList(IotaReplicaGroupListProto.newBuilder()
                .setNumReplicaGroups(2).setNumDevicesPerGroup(4).addIotaReshapeDims(8)).build();
        HloComputationProto main = comp(2, "main", false,
                param(10, "x", 0, f32(8)),
                param(11, "rows", 1, f32(6, 4)),
                param(12, "out", 2, f32(10, 4)),
                param(13, "sizes", 3, HloFixtures.array(PrimitiveType.S32, 2)),
                // global ids, groups of 4: 3/4 of 32 B
                inst(20, "rs", "reduce-scatter", f32(2), 10).setChannelId(1).setUseGlobalDeviceIds(true).addDimensions(0)
                        .setCollectiveDeviceList(iota4).addCalledComputationIds(1),
                // async all-reduce over explicit global-id pairs: 2 x 1/2 x 32 B
                inst(21, "ars", "all-reduce-start", f32(8), 10).setChannelId(2).setUseGlobalDeviceIds(true)
                        .addReplicaGroups(group(0L, 1L)).addReplicaGroups(group(2L, 3L)).addCalledComputationIds(1),
                // async all-gather, shape (operand, result): (4-1)/4 of the 128 B result
                inst(22, "ags", "all-gather-start", tuple(f32(8), f32(32)), 10).setChannelId(3).setUseGlobalDeviceIds(true)
                        .addDimensions(0).setCollectiveDeviceList(iota4),
                // channel without global ids: each of the 2 replicas stands for its 4 partitions, g = 2 x 4 = 8: 2 x 7/8 x 32 B
                inst(23, "arp", "all-reduce", f32(8), 10).setChannelId(4).addReplicaGroups(group(0L, 1L)).addCalledComputationIds(1),
                // no channel, empty groups: every replica, g = 2: 1/2 of 32 B
                inst(24, "a2a", "all-to-all", f32(8), 10).addDimensions(0),
                // groups of one move nothing
                inst(25, "one", "all-reduce", f32(8), 10).addReplicaGroups(group(0L)).addReplicaGroups(group(1L)).addCalledComputationIds(1),
                // a permute onto itself moves nothing
                inst(26, "self", "collective-permute", f32(8), 10).setChannelId(5)
                        .addSourceTargetPairs(SourceTarget.newBuilder().setSource(3).setTarget(3)),
                // broadcast to a group of 4 partitions: the non-root members receive the whole 32 B
                inst(27, "bc", "collective-broadcast", f32(8), 10).setChannelId(6).addReplicaGroups(group(0L, 1L, 2L, 3L)),
                // ragged, groups of 4 partitions: at most 3 senders x min(6, 10) rows x 16 B = 288, capped by its 160 B output
                inst(28, "ragged", "ragged-all-to-all", f32(10, 4), 11, 12, 13, 13, 13, 13).setChannelId(7)
                        .addReplicaGroups(group(0L, 1L, 2L, 3L)),
                inst(29, "t", "tuple", tuple(f32(2), f32(8)), 20, 21));
        return HloModuleProto.newBuilder().setName("forms").setEntryComputationName("main").setEntryComputationId(2)
                .addComputations(add).addComputations(main).build();
    }

    @Test
    void everyFormWithTheProcessCounts() {
        HloSummary s = HloSummary.of(forms(), 2, 4);
        assertThat(s.collectives()).extracting(HloSummary.Collective::name)
                .containsExactly("rs", "ars", "ags", "arp", "a2a", "one", "self", "bc", "ragged");
        assertThat(s.collectives()).extracting(HloSummary.Collective::groupSize).containsExactly(4L, 2L, 4L, 8L, 2L, 1L, 0L, 4L, 4L);
        assertThat(s.collectives()).extracting(HloSummary.Collective::bytesReceived).containsExactly(24L, 32L, 96L, 56L, 16L, 0L, 0L, 32L, 160L);
        assertThat(s.collectives()).extracting(HloSummary.Collective::bound).containsExactly(false, false, false, false, false, false, false, false, true);
        // buffers, the larger of one device's operand and result: 32 B of f32[8] everywhere but the async all-gather, whose
        // result f32[32] is 128 B, and the ragged one, whose output f32[10,4] (160 B) is larger than its input (96 B; the
        // size operands are bookkeeping)
        assertThat(s.collectives()).extracting(HloSummary.Collective::bufferBytes).containsExactly(32L, 32L, 128L, 32L, 32L, 32L, 32L, 32L, 160L);
        // the ragged bound: 3 chunks of min(6, 10) rows of 16 B would be 288 B, capped by the 160 B output every chunk lands in
        assertThat(s.text()).contains("%ragged ragged-all-to-all f32[10,4]{1,0} groups={{0,1,2,3}} channel_id=7: group size 4, at most 160 B received per device");
    }

    @Test
    void withoutTheCountsWhatNeedsThemIsUnknownAndSaysWhy() {
        HloSummary s = HloSummary.of(forms());
        // the same numbers wherever the groups alone give the size
        assertThat(s.collectives()).extracting(HloSummary.Collective::bytesReceived).containsExactly(24L, 32L, 96L, -1L, -1L, 0L, 0L, 32L, 160L);
        HloSummary.Collective arp = s.collectives().get(3), a2a = s.collectives().get(4);
        assertThat(arp.groupSize()).isEqualTo(-1);
        assertThat(arp.unknownWhy()).isEqualTo("channel_id without use_global_device_ids: groups of replicas times the partitions, "
                + "and the partition count is not known");
        assertThat(a2a.unknownWhy()).isEqualTo("empty replica_groups: every replica, and the replica count is not known");
        assertThat(s.text()).contains("%a2a all-to-all f32[8]{0} groups={}: received bytes unknown "
                + "(empty replica_groups: every replica, and the replica count is not known) (buffer 32 B)\n");
    }

    /** collective-permute-start's shape is (operand, result, contexts): the buffer is the larger array, not the tuple's sum. */
    @Test
    void permuteStartBufferIsItsArrayNotTheTuple() {
        ShapeProto u32 = HloFixtures.array(PrimitiveType.U32);
        HloComputationProto main = comp(1, "main", false,
                param(1, "x", 0, f32(8)),
                inst(2, "cps", "collective-permute-start", tuple(f32(8), f32(8), u32, u32), 1).setChannelId(1)
                        .addSourceTargetPairs(SourceTarget.newBuilder().setSource(0).setTarget(1)));
        HloModuleProto m = HloModuleProto.newBuilder().setName("cps").setEntryComputationName("main").setEntryComputationId(1).addComputations(main).build();
        HloSummary.Collective c = HloSummary.of(m, 1, 2).collectives().getFirst();
        assertThat(c.bytesReceived()).isEqualTo(32);
        assertThat(c.bufferBytes()).isEqualTo(32);   // not 32 + 32 + 4 + 4
    }
}
