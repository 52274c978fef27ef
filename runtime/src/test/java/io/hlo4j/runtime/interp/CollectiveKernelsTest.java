package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Collectives on 1, 2, 4 and 8 simulated devices, and collectives that cannot complete. */
class CollectiveKernelsTest {
    static DenseElementsAttr groups(long[][] g) {
        int r = g.length, c = r == 0 ? 0 : g[0].length;
        long[] flat = new long[r * c];
        for (int i = 0; i < r; i++) System.arraycopy(g[i], 0, flat, i * c, c);
        return DenseElementsAttr.of(t(IntegerType.I64, r, c), Bytes.encode(Ir.ints(IntegerType.I64, shape(r, c), flat)));
    }

    static long[][] allIn(int n) {
        long[] g = new long[n];
        for (int i = 0; i < n; i++) g[i] = i;
        return new long[][] {g};
    }

    static final io.hlo4j.mlir.attr.Attribute CHANNEL = Ir.text("#stablehlo.channel_handle<handle = 1, type = 1>");

    static List<List<RtValue>> runOn(Operation f, int replicas, int partitions, List<Tensor> perDevice) {
        List<List<RtValue>> in = new ArrayList<>();
        for (Tensor t : perDevice) in.add(List.of(t));
        return new Interpreter(Ir.module(f)).runParallel("main", replicas, partitions, in);
    }

    static long[] result(List<List<RtValue>> r, int device) { return ((Tensor) r.get(device).get(0)).ints; }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 8})
    void allReduceSumsOverPartitions(int n) {
        TensorType ty = t(IntegerType.I32, 2);
        Ir ir = new Ir();
        Value x = ir.arg(ty);
        Value r = ir.ops("stablehlo.all_reduce", List.of(x), List.of(ty), List.of(Ir.combiner("stablehlo.add", IntegerType.I32)),
                "replica_groups", groups(allIn(n)), "channel_handle", CHANNEL, "use_global_device_ids", UnitAttr.INSTANCE).get(0);
        List<Tensor> in = new ArrayList<>();
        for (int d = 0; d < n; d++) in.add(Ir.ints(IntegerType.I32, shape(2), d, 10 * d));
        var out = runOn(ir.func("main", r), 1, n, in);
        long s = (long) n * (n - 1) / 2;
        for (int d = 0; d < n; d++) assertThat(result(out, d)).containsExactly(s, 10 * s);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 8})
    void allGatherConcatenatesInGroupOrderAndPartitionIdIsPerDevice(int n) {
        TensorType ty = t(IntegerType.UI32);
        Ir ir = new Ir();
        Value pid = ir.op("stablehlo.partition_id", List.of(), ty);
        Value one = ir.op("stablehlo.reshape", List.of(pid), t(IntegerType.UI32, 1));
        Value g = ir.op("stablehlo.all_gather", List.of(one), t(IntegerType.UI32, n), "all_gather_dim", Ir.i64(0),
                "replica_groups", groups(new long[][] {reversed(n)}), "channel_handle", CHANNEL, "use_global_device_ids", UnitAttr.INSTANCE);
        Operation f = ir.func("main", g);
        var out = new Interpreter(Ir.module(f)).runParallel("main", 1, n, nCopies(n));
        for (int d = 0; d < n; d++) assertThat(result(out, d)).containsExactly(reversed(n));
    }

    static long[] reversed(int n) {
        long[] g = new long[n];
        for (int i = 0; i < n; i++) g[i] = n - 1 - i;
        return g;
    }

    static List<List<RtValue>> nCopies(int n) {
        List<List<RtValue>> in = new ArrayList<>();
        for (int i = 0; i < n; i++) in.add(List.of());
        return in;
    }

    /** The spec's all_to_all example (reference doc section 5): 2 replicas, split 1, concat 0. */
    @Test
    void allToAllWorkedExample() {
        TensorType ty = t(IntegerType.I64, 2, 4);
        Ir ir = new Ir();
        Value x = ir.arg(ty);
        Value r = ir.op("stablehlo.all_to_all", List.of(x), t(IntegerType.I64, 4, 2), "split_dimension", Ir.i64(1),
                "concat_dimension", Ir.i64(0), "split_count", Ir.i64(2), "replica_groups", groups(new long[][] {{0, 1}}));
        var out = runOn(ir.func("main", r), 2, 1, List.of(
                Ir.ints(IntegerType.I64, shape(2, 4), 1, 2, 3, 4, 5, 6, 7, 8),
                Ir.ints(IntegerType.I64, shape(2, 4), 9, 10, 11, 12, 13, 14, 15, 16)));
        assertThat(result(out, 0)).containsExactly(1, 2, 5, 6, 9, 10, 13, 14);
        assertThat(result(out, 1)).containsExactly(3, 4, 7, 8, 11, 12, 15, 16);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void collectivePermuteShiftsAndZeroFillsNonTargets(int n) {
        TensorType ty = t(IntegerType.I32, 1);
        Ir ir = new Ir();
        Value x = ir.arg(ty);
        long[][] pairs = new long[n - 1][];
        for (int i = 0; i < n - 1; i++) pairs[i] = new long[] {i, i + 1};
        Value r = ir.op("stablehlo.collective_permute", List.of(x), ty, "source_target_pairs", groups(pairs), "channel_handle", CHANNEL);
        List<Tensor> in = new ArrayList<>();
        for (int d = 0; d < n; d++) in.add(Ir.ints(IntegerType.I32, shape(1), 100 + d));
        var out = runOn(ir.func("main", r), 1, n, in);
        assertThat(result(out, 0)).containsExactly(0);
        for (int d = 1; d < n; d++) assertThat(result(out, d)).containsExactly(100 + d - 1);
    }

    /** One permute on 8 devices with the given pairs; each device sends 100 + its id. */
    static List<List<RtValue>> permuteOn8(long[][] pairs) {
        TensorType ty = t(IntegerType.I32, 1);
        Ir ir = new Ir();
        Value x = ir.arg(ty);
        Value r = ir.op("stablehlo.collective_permute", List.of(x), ty, "source_target_pairs", groups(pairs), "channel_handle", CHANNEL);
        List<Tensor> in = new ArrayList<>();
        for (int d = 0; d < 8; d++) in.add(Ir.ints(IntegerType.I32, shape(1), 100 + d));
        return runOn(ir.func("main", r), 1, 8, in);
    }

    /**
     * Self pairs (i -> i) are allowed by the spec and move nothing: devices that keep their block mixed with swaps,
     * the pairs the cross-mesh partitioner emits for meshes @a = x=8 and @b = z=8 with device_ids [0,1,3,2,4,5,7,6]
     * (reported to hang; it must complete, well within the preemptive limit).
     */
    @Test
    void collectivePermuteWithSelfPairsCompletes() {
        long[][] pairs = {{0, 0}, {1, 1}, {3, 2}, {2, 3}, {4, 4}, {5, 5}, {7, 6}, {6, 7}};
        var out = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> permuteOn8(pairs));
        long[] expect = {100, 101, 103, 102, 104, 105, 107, 106};
        for (int d = 0; d < 8; d++) assertThat(result(out, d)).as("device " + d).containsExactly(expect[d]);
    }

    /** Self pairs, a swap and devices named in no pair: those still meet the others and receive zeros. */
    @Test
    void collectivePermuteWithSelfPairsAndDevicesInNoPairCompletes() {
        long[][] pairs = {{0, 0}, {1, 2}, {2, 1}, {5, 5}, {7, 3}};
        var out = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> permuteOn8(pairs));
        long[] expect = {100, 102, 101, 107, 0, 105, 0, 0};
        for (int d = 0; d < 8; d++) assertThat(result(out, d)).as("device " + d).containsExactly(expect[d]);
    }

    /** Pairs that are not a partial permutation are refused by name on every device, never waited on. */
    @Test
    void collectivePermutePairsThatRepeatOrLeaveTheGridAreRefused() {
        assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> permuteOn8(new long[][] {{0, 1}, {2, 1}})))
                .hasMessageContaining("stablehlo.collective_permute").hasMessageContaining("target 1 appears twice");
        assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> permuteOn8(new long[][] {{3, 3}, {3, 4}})))
                .hasMessageContaining("stablehlo.collective_permute").hasMessageContaining("source 3 appears twice");
        assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> permuteOn8(new long[][] {{0, 8}})))
                .hasMessageContaining("stablehlo.collective_permute").hasMessageContaining("id 8 (pair {0, 8}) is outside [0, 8)");
    }

    @Test
    void reduceScatterOnFourDevicesInTwoGroups() {
        TensorType ty = t(IntegerType.I32, 4);
        Ir ir = new Ir();
        Value x = ir.arg(ty);
        Value r = ir.ops("stablehlo.reduce_scatter", List.of(x), List.of(t(IntegerType.I32, 2)),
                List.of(Ir.combiner("stablehlo.add", IntegerType.I32)), "scatter_dimension", Ir.i64(0),
                "replica_groups", groups(new long[][] {{0, 2}, {1, 3}}), "channel_handle", CHANNEL, "use_global_device_ids", UnitAttr.INSTANCE).get(0);
        List<Tensor> in = new ArrayList<>();
        for (int d = 0; d < 4; d++) in.add(Ir.ints(IntegerType.I32, shape(4), d, d, d, d + 1));
        var out = runOn(ir.func("main", r), 1, 4, in);
        assertThat(result(out, 0)).containsExactly(2, 2);  // 0 + 2
        assertThat(result(out, 2)).containsExactly(2, 4);
        assertThat(result(out, 1)).containsExactly(4, 4);  // 1 + 3
        assertThat(result(out, 3)).containsExactly(4, 6);
    }

    @Test
    void collectiveThatADeviceNeverReachesFailsWithinSeconds() {
        // Device 1 takes the other branch of an `if` and never reaches the all_reduce.
        TensorType ty = t(IntegerType.I32, 1), p = t(IntegerType.I1);
        Ir ir = new Ir();
        Value x = ir.arg(ty), pred = ir.arg(p);
        var then = Ir.region(List.of(), r -> List.of(r.ops("stablehlo.all_reduce", List.of(x), List.of(ty),
                List.of(Ir.combiner("stablehlo.add", IntegerType.I32)), "replica_groups", groups(allIn(2)),
                "channel_handle", CHANNEL, "use_global_device_ids", UnitAttr.INSTANCE).get(0)));
        var other = Ir.region(List.of(), r -> List.of(x));
        Value r = ir.ops("stablehlo.if", List.of(pred), List.of(ty), List.of(then, other)).get(0);
        Operation f = ir.func("main", r);
        List<List<RtValue>> in = List.of(List.of(Ir.ints(IntegerType.I32, shape(1), 1), Ir.ints(IntegerType.I1, shape(), 1)),
                List.of(Ir.ints(IntegerType.I32, shape(1), 2), Ir.ints(IntegerType.I1, shape(), 0)));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> new Interpreter(Ir.module(f)).runParallel("main", 1, 2, in))
                .hasMessageContaining("stablehlo.all_reduce")
                .hasMessageContaining("never arrived")
                .hasMessageContaining("partition 1")
                .hasMessageContaining("finished its program");
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
    }

    @Test
    void aSlowDeviceIsWaitedForButADeadlockIsNot() {
        // Device 1 counts to a large number in a while loop before the all_reduce; with a 100 ms timeout the
        // others must keep waiting because device 1 is still computing, not blocked.
        TensorType i = t(IntegerType.I32), ty = t(IntegerType.I32, 1);
        Ir ir = new Ir();
        Value x = ir.arg(ty), n = ir.arg(i);
        var cond = Ir.region(List.of(i), r -> List.of(r.op("stablehlo.compare", List.of(r.blockArg(0), n), t(IntegerType.I1),
                "comparison_direction", Ir.text("#stablehlo<comparison_direction LT>"))));
        var body = Ir.region(List.of(i), r -> {
            Value one = r.op("stablehlo.constant", List.of(), i, "value", DenseElementsAttr.of(i, new byte[] {1, 0, 0, 0}));
            return List.of(r.op("stablehlo.add", List.of(r.blockArg(0), one), i));
        });
        Value zero = ir.op("stablehlo.constant", List.of(), i, "value", DenseElementsAttr.of(i, new byte[] {0, 0, 0, 0}));
        ir.ops("stablehlo.while", List.of(zero), List.of(i), List.of(cond, body));
        Value r = ir.ops("stablehlo.all_reduce", List.of(x), List.of(ty), List.of(Ir.combiner("stablehlo.add", IntegerType.I32)),
                "replica_groups", groups(allIn(2)), "channel_handle", CHANNEL, "use_global_device_ids", UnitAttr.INSTANCE).get(0);
        Operation f = ir.func("main", r);
        String old = System.getProperty("hlo4j.interp.collectiveTimeoutMs");
        System.setProperty("hlo4j.interp.collectiveTimeoutMs", "100");
        try {
            long t0 = System.nanoTime();
            var out = new Interpreter(Ir.module(f)).runParallel("main", 1, 2, List.of(
                    List.of(Ir.ints(IntegerType.I32, shape(1), 1), Tensor.scalarInt(IntegerType.I32, 0)),
                    List.of(Ir.ints(IntegerType.I32, shape(1), 2), Tensor.scalarInt(IntegerType.I32, 60_000))));
            assertThat(result(out, 0)).containsExactly(3);
            assertThat((System.nanoTime() - t0) / 1e6).as("device 1's loop outlasts the timeout").isGreaterThan(100);
        } finally {
            if (old == null) System.clearProperty("hlo4j.interp.collectiveTimeoutMs");
            else System.setProperty("hlo4j.interp.collectiveTimeoutMs", old);
        }
    }

    @Test
    void devicesBlockedInDifferentCollectivesFailAfterTheTimeout() {
        // Device 0 enters an all_reduce, device 1 an all_gather: each waits for the other forever.
        TensorType ty = t(IntegerType.I32, 1), p = t(IntegerType.I1);
        Ir ir = new Ir();
        Value x = ir.arg(ty), pred = ir.arg(p);
        var reduce = Ir.region(List.of(), r -> List.of(r.ops("stablehlo.all_reduce", List.of(x), List.of(ty),
                List.of(Ir.combiner("stablehlo.add", IntegerType.I32)), "replica_groups", groups(allIn(2)),
                "channel_handle", CHANNEL, "use_global_device_ids", UnitAttr.INSTANCE).get(0)));
        var gather = Ir.region(List.of(), r -> List.of(r.op("stablehlo.slice", List.of(r.op("stablehlo.all_gather", List.of(x),
                t(IntegerType.I32, 2), "all_gather_dim", Ir.i64(0), "replica_groups", groups(allIn(2)), "channel_handle", CHANNEL,
                "use_global_device_ids", UnitAttr.INSTANCE)), ty, "start_indices", Ir.i64s(0), "limit_indices", Ir.i64s(1), "strides", Ir.i64s(1))));
        Value r = ir.ops("stablehlo.if", List.of(pred), List.of(ty), List.of(reduce, gather)).get(0);
        Operation f = ir.func("main", r);
        List<List<RtValue>> in = List.of(List.of(Ir.ints(IntegerType.I32, shape(1), 1), Ir.ints(IntegerType.I1, shape(), 1)),
                List.of(Ir.ints(IntegerType.I32, shape(1), 2), Ir.ints(IntegerType.I1, shape(), 0)));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> new Interpreter(Ir.module(f)).runParallel("main", 1, 2, in))
                .hasMessageContaining("could not complete").hasMessageContaining("every device blocked");
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
    }

    @Test
    void groupsThatAreNotAPartitionAreRefused() {
        TensorType ty = t(IntegerType.I32, 1);
        Ir ir = new Ir();
        Value x = ir.arg(ty);
        Value r = ir.ops("stablehlo.all_reduce", List.of(x), List.of(ty), List.of(Ir.combiner("stablehlo.add", IntegerType.I32)),
                "replica_groups", groups(new long[][] {{0, 1}}), "channel_handle", CHANNEL, "use_global_device_ids", UnitAttr.INSTANCE).get(0);
        List<Tensor> in = new ArrayList<>();
        for (int d = 0; d < 4; d++) in.add(Ir.ints(IntegerType.I32, shape(1), d));
        assertThatThrownBy(() -> runOn(ir.func("main", r), 1, 4, in))
                .hasMessageContaining("not a partition of the devices").hasMessageContaining("id 2 is missing");
    }

    @Test
    void shapesThatDisagreeAcrossDevicesAreRefused() {
        TensorType dyn = TensorType.of(IntegerType.I32, TensorType.DYNAMIC);
        Ir ir = new Ir();
        Value x = ir.arg(dyn);
        Value r = ir.op("stablehlo.all_gather", List.of(x), dyn, "all_gather_dim", Ir.i64(0),
                "replica_groups", groups(allIn(2)), "channel_handle", CHANNEL, "use_global_device_ids", UnitAttr.INSTANCE);
        Operation f = ir.func("main", r);
        List<List<RtValue>> in = List.of(List.of(Ir.ints(IntegerType.I32, shape(1), 1)), List.of(Ir.ints(IntegerType.I32, shape(2), 2, 3)));
        assertThatThrownBy(() -> new Interpreter(Ir.module(f)).runParallel("main", 1, 2, in))
                .hasMessageContaining("stablehlo.all_gather").hasMessageContaining("disagree across devices");
    }

    /**
     * collective_reduce with a channel and use_global_device_ids on 2 replicas x 2 partitions: the groups are flattened
     * ids r*2+p, {0,3} = (0,0),(1,1) and {1,2} = (0,1),(1,0); each row's first id is its root. Inputs 1, 2, 5, 10 by
     * flattened id: root 0 gets 1+10 = 11, root 1 gets 2+5 = 7, the others zeros.
     */
    @Test
    void collectiveReduceWithGlobalDeviceIdsGroupsFlattenedIds() {
        TensorType ty = t(IntegerType.I32, 1);
        Ir ir = new Ir();
        Value x = ir.arg(ty);
        Value r = ir.ops("stablehlo.collective_reduce", List.of(x), List.of(ty), List.of(Ir.combiner("stablehlo.add", IntegerType.I32)),
                "replica_groups", groups(new long[][] {{0, 3}, {1, 2}}), "channel_handle", CHANNEL, "use_global_device_ids", UnitAttr.INSTANCE).get(0);
        List<Tensor> in = new ArrayList<>();
        for (long v : new long[] {1, 2, 5, 10}) in.add(Ir.ints(IntegerType.I32, shape(1), v));
        var out = runOn(ir.func("main", r), 2, 2, in);
        assertThat(result(out, 0)).containsExactly(11);
        assertThat(result(out, 1)).containsExactly(7);
        assertThat(result(out, 2)).containsExactly(0);
        assertThat(result(out, 3)).containsExactly(0);
    }

    /** The mode's refusal names the op once, with its location (it used to read "stablehlo.all_reduce: stablehlo.all_reduce: ..."). */
    @Test
    void globalDeviceIdsWithoutAChannelNameTheOpOnce() {
        TensorType ty = t(IntegerType.I32, 1);
        Ir ir = new Ir();
        Value x = ir.arg(ty);
        Value r = ir.ops("stablehlo.all_reduce", List.of(x), List.of(ty), List.of(Ir.combiner("stablehlo.add", IntegerType.I32)),
                "replica_groups", groups(allIn(2)), "use_global_device_ids", UnitAttr.INSTANCE).get(0);
        List<Tensor> in = List.of(Ir.ints(IntegerType.I32, shape(1), 1), Ir.ints(IntegerType.I32, shape(1), 2));
        assertThatThrownBy(() -> runOn(ir.func("main", r), 1, 2, in))
                .hasMessageContaining("stablehlo.all_reduce: use_global_device_ids needs a channel_id > 0, got 0")
                .satisfies(e -> assertThat(e.getMessage().split("stablehlo\\.all_reduce", -1)).as(e.getMessage()).hasSize(2));
    }
}
