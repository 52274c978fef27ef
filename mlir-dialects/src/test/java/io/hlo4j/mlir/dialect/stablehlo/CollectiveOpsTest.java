package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.IntegerType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.mlir.dialect.stablehlo.RegionTestIr.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Collective verifiers against the spec's constraints; shapes from the spec's and interpret/ examples. */
class CollectiveOpsTest {

    private static Attribute groups(long rows, long cols, long... ids) { return i64Dense(new long[] {rows, cols}, ids); }

    /** interpret/all_to_all.mlir: 2x4 split along 1 into 2, concatenated along 0, gives 4x2. */
    private static Operation allToAll(long splitCount, Attribute groups, long resultRows, long resultCols) {
        return Operation.builder("stablehlo.all_to_all").operand(value(t(I64, 2, 4)))
                .property("split_dimension", IntegerAttr.i64(1)).property("concat_dimension", IntegerAttr.i64(0))
                .property("split_count", IntegerAttr.i64(splitCount)).property("replica_groups", groups)
                .resultType(t(I64, resultRows, resultCols)).build();
    }

    @Test
    void allToAllShapesAndGroups() {
        Operation ok = allToAll(2, groups(1, 2, 0, 1), 4, 2);
        verifies(ok);
        assertThat(infer(ok)).containsExactly(t(I64, 4, 2));
        assertThat(def("stablehlo.all_to_all").has(OpTrait.COLLECTIVE)).isTrue();
        rejects(allToAll(2, groups(1, 2, 0, 1), 2, 4), "all_to_all_c9", "gives tensor<4x2xi64>");
        rejects(allToAll(3, groups(1, 3, 0, 1, 2), 6, 1), "all_to_all_c2",
                "split dimension has size 4, expected to be a multiple of split_count 3");
        rejects(allToAll(3, groups(1, 2, 0, 1), 4, 2), "all_to_all_c8", "group size of replica_groups must be 3");
        rejects(allToAll(2, groups(1, 2, 0, 0), 4, 2), "all_to_all_c5", "replica id #0 seen more than once");
        rejects(allToAll(2, groups(1, 2, 0, 2), 4, 2), "all_to_all_c7", "replica id #1 not seen in replica groups");
    }

    private static Operation allGather(Attribute groups, long resultCols, Attribute... extra) {
        Operation.Builder b = Operation.builder("stablehlo.all_gather").operand(value(t(I64, 2, 2)))
                .property("all_gather_dim", IntegerAttr.i64(1)).property("replica_groups", groups).resultType(t(I64, 2, resultCols));
        if (extra.length > 0) b.property("use_global_device_ids", extra[0]);
        return b.build();
    }

    @Test
    void allGatherConcatenatesAlongTheGatherDimension() {
        verifies(allGather(groups(1, 2, 0, 1), 4));
        rejects(allGather(groups(1, 2, 0, 1), 5), "all_gather_c6",
                "result gather dimension has size 5, expected to be a multiple of operand gather dimension size 2");
        rejects(allGather(groups(1, 2, 0, -1), 4), "all_gather_c4", "Invalid replica id -1");
        // The spec's all_gather_c5: global device ids need channel_id > 0 (an absent handle means 0).
        rejects(allGather(groups(1, 2, 0, 1), 4, UnitAttr.INSTANCE), "all_gather_c5",
                "channel_id must be positive when useGlobalDeviceIds is set but got: 0");
    }

    @Test
    void allReduceAllowsPaddedGroupsButNeedsAChannelForGlobalIds() {
        Operation.Builder b = Operation.builder("stablehlo.all_reduce").operand(value(t(F32, 4)))
                .property("replica_groups", groups(2, 2, 0, 1, 2, -1)).region(binary("stablehlo.add", s(F32)))
                .resultType(t(F32, 4));
        Operation padded = b.build();
        verifies(padded);
        assertThat(infer(padded)).containsExactly(t(F32, 4));
        Operation global = Operation.builder("stablehlo.all_reduce").operand(value(t(F32, 4)))
                .property("replica_groups", groups(1, 2, 0, 1)).property("use_global_device_ids", UnitAttr.INSTANCE)
                .region(binary("stablehlo.add", s(F32))).resultType(t(F32, 4)).build();
        rejects(global, "all_reduce_c4", "channel_id must be positive when useGlobalDeviceIds is set but got: 0");
        Operation withChannel = Operation.builder("stablehlo.all_reduce").operand(value(t(F32, 4)))
                .property("replica_groups", groups(1, 2, 0, 1)).property("use_global_device_ids", UnitAttr.INSTANCE)
                .property("channel_handle", channel(1, 1)).region(binary("stablehlo.add", s(F32))).resultType(t(F32, 4)).build();
        verifies(withChannel);
    }

    @Test
    void reduceScatterSplitsTheScatterDimension() {
        verifies(reduceScatter(2));
        rejects(reduceScatter(3), "reduce_scatter_c8", "operand scatter dimension has size 4, expected to be a multiple of result"
                + " scatter dimension size 3");
    }

    private static Operation reduceScatter(long resultCols) {
        return Operation.builder("stablehlo.reduce_scatter").operand(value(t(I64, 2, 4)))
                .property("scatter_dimension", IntegerAttr.i64(1)).property("replica_groups", groups(1, 2, 0, 1))
                .region(binary("stablehlo.add", s(I64))).resultType(t(I64, 2, resultCols)).build();
    }

    @Test
    void collectivePermutePairs() {
        verifies(permute(i64Dense(new long[] {2, 2}, 0, 1, 1, 0)));
        rejects(permute(i64Dense(new long[] {2, 2}, 0, 1, 0, 2)), "collective_permute_c2", "duplicate sources not allowed.");
        rejects(permute(i64Dense(new long[] {2, 2}, 0, 1, 2, 1)), "collective_permute_c3", "duplicate targets not allowed.");
        rejects(permute(i64Dense(new long[] {1, 3}, 0, 1, 2)), "collective_permute_c1",
                "expect source_target_pairs attribute of shape (N, 2), but got (1, 3)");
        rejects(permute(i64Dense(new long[] {1, 2}, -1, 1)), "collective_permute_c4", "must be >= 0");
    }

    private static Operation permute(Attribute pairs) {
        return Operation.builder("stablehlo.collective_permute").operand(value(t(I64, 2, 2)))
                .property("source_target_pairs", pairs).property("channel_handle", channel(1, 1)).resultType(t(I64, 2, 2)).build();
    }

    @Test
    void collectiveBroadcastAndReduce() {
        verifies(Operation.builder("stablehlo.collective_broadcast").operand(value(t(I64, 1, 2)))
                .property("replica_groups", groups(1, 2, 2, 1)).resultType(t(I64, 1, 2)).build());
        rejects(Operation.builder("stablehlo.collective_broadcast").operand(value(t(I64, 1, 2)))
                .property("replica_groups", groups(1, 2, 0, -1)).resultType(t(I64, 1, 2)).build(),
                "collective_broadcast_c2", "replica_groups values must be positive, but was given -1");
        Operation dynamicRoot = Operation.builder("stablehlo.collective_broadcast").operands(value(t(I64, 4)), value(t(I32, 1)))
                .property("replica_groups", groups(1, 2, 0, 1)).property("has_dynamic_root", UnitAttr.INSTANCE)
                .resultType(t(I64, 4)).build();
        verifies(dynamicRoot);
        assertThat(infer(dynamicRoot)).containsExactly(t(I64, 4));
        rejects(Operation.builder("stablehlo.collective_broadcast").operands(value(t(I64, 4)), value(t(I64, 1)))
                .property("replica_groups", groups(1, 2, 0, 1)).property("has_dynamic_root", UnitAttr.INSTANCE)
                .resultType(t(I64, 4)).build(), "collective_broadcast_i4", "must be a rank-1 i32 tensor, but got tensor<1xi64>");
        verifies(Operation.builder("stablehlo.collective_reduce").operand(value(t(I64, 4)))
                .property("replica_groups", groups(1, 2, 0, 1)).region(binary("stablehlo.add", s(I64))).resultType(t(I64, 4)).build());
    }

    @Test
    void processIdsAreUnsignedScalars() {
        Operation p = Operation.builder("stablehlo.partition_id").resultType(s(IntegerType.UI32)).build();
        verifies(p);
        assertThat(infer(p)).containsExactly(s(IntegerType.UI32));
        rejects(Operation.builder("stablehlo.replica_id").resultType(s(I32)).build(), "replica_id", "result must be tensor<ui32>");
        assertThat(List.of("stablehlo.all_gather", "stablehlo.all_reduce", "stablehlo.reduce_scatter", "stablehlo.collective_permute",
                "stablehlo.collective_broadcast", "stablehlo.collective_reduce"))
                .allSatisfy(n -> assertThat(def(n).has(OpTrait.COLLECTIVE)).as(n).isTrue())
                .allSatisfy(n -> assertThat(def(n).hasPrettySyntax()).as(n + " is generic-only upstream").isFalse());
    }
}
