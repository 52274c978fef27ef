package io.hlo4j.compiler.cost;

import io.hlo4j.compiler.cost.CostAnalysis.ModuleCost;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.spmd.CollectiveLog;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The static "bytes received per device" of every collective kind equals what the run log measures when the same
 * per-device program runs on simulated devices (the oracle: {@link CollectiveLog} over {@link Interpreter#runParallel});
 * for ragged_all_to_all, whose traffic is data, the static figure is a bound that the measured bytes never exceed and
 * that a full exchange reaches. Each case's printed inspect line shows the same number.
 */
class ReceivedBytesMatchRunLogTest {
    /** {devices, group size}: one group of all, several groups, odd sizes (rounding). */
    static final int[][] LAYOUTS = {{2, 2}, {3, 3}, {4, 2}, {4, 4}};
    static final String[] TYPES = {"f32", "bf16", "i32"};
    static final String CHANNEL = "channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>";

    @Test void everyKindMatchesTheRunLog() {
        int cases = 0;
        for (int[] l : LAYOUTS) {
            for (String t : TYPES) {
                int n = l[0], g = l[1];
                String groups = groups(n, g);
                String gathering = "replica_groups = " + groups + ", " + CHANNEL + ", use_global_device_ids";
                String exchanging = "replica_groups = " + groups + ", " + CHANNEL;
                int r = 2, c = 3;
                check(n, t, "all_reduce", tensor(r, c, t), "\"stablehlo.all_reduce\"(%x) " + region(t) + " {" + gathering + "}"
                        + " : (" + tensor(r, c, t) + ") -> " + tensor(r, c, t));
                check(n, t, "all_gather", tensor(r, c, t), "\"stablehlo.all_gather\"(%x) {all_gather_dim = 0 : i64, " + gathering
                        + "} : (" + tensor(r, c, t) + ") -> " + tensor(r * g, c, t));
                check(n, t, "reduce_scatter", tensor(r * g, c, t), "\"stablehlo.reduce_scatter\"(%x) " + region(t)
                        + " {scatter_dimension = 0 : i64, " + gathering + "} : (" + tensor(r * g, c, t) + ") -> " + tensor(r, c, t));
                check(n, t, "all_to_all", tensor(r * g, c, t), "\"stablehlo.all_to_all\"(%x) {split_dimension = 0 : i64, "
                        + "concat_dimension = 1 : i64, split_count = " + g + " : i64, " + exchanging + "} : ("
                        + tensor(r * g, c, t) + ") -> " + tensor(r, c * g, t));
                check(n, t, "collective_reduce", tensor(r, c, t), "\"stablehlo.collective_reduce\"(%x) " + region(t) + " {"
                        + exchanging + "} : (" + tensor(r, c, t) + ") -> " + tensor(r, c, t));
                check(n, t, "collective_broadcast", tensor(r, c, t), "\"stablehlo.collective_broadcast\"(%x) {" + exchanging
                        + "} : (" + tensor(r, c, t) + ") -> " + tensor(r, c, t));
                // a ring, and a partial permutation with a self pair (device 0 keeps its block)
                String ring = IntStream.range(0, n).mapToObj(i -> "[" + i + ", " + (i + 1) % n + "]").collect(Collectors.joining(", ", "[", "]"));
                check(n, t, "collective_permute", tensor(r, c, t), "\"stablehlo.collective_permute\"(%x) {source_target_pairs = dense<"
                        + ring + "> : tensor<" + n + "x2xi64>, " + CHANNEL + "} : (" + tensor(r, c, t) + ") -> " + tensor(r, c, t));
                check(n, t, "collective_permute", tensor(r, c, t), "\"stablehlo.collective_permute\"(%x) {source_target_pairs = dense<"
                        + "[[0, 0], [1, " + (n - 1) + "]]> : tensor<2x2xi64>, " + CHANNEL + "} : (" + tensor(r, c, t) + ") -> " + tensor(r, c, t));
                cases += 8;
            }
        }
        assertThat(cases).isEqualTo(LAYOUTS.length * TYPES.length * 8);
    }

    /** A group of one moves nothing, whatever the kind. */
    @Test void singletonGroupsReceiveNothing() {
        String t = "f32";
        check(2, t, "all_reduce", tensor(2, 2, t), "\"stablehlo.all_reduce\"(%x) " + region(t) + " {replica_groups = dense<[[0], [1]]>"
                + " : tensor<2x1xi64>, " + CHANNEL + ", use_global_device_ids} : (" + tensor(2, 2, t) + ") -> " + tensor(2, 2, t));
    }

    /** Empty replica_groups mean every partition (with a channel): the module's mhlo.num_partitions sizes the group. */
    @Test void emptyGroupsUseTheModulesPartitionCount() {
        String t = "f32";
        CollectiveInfo ci = check(4, t, "all_to_all", tensor(8, 1, t), "\"stablehlo.all_to_all\"(%x) {split_dimension = 0 : i64, "
                + "concat_dimension = 0 : i64, split_count = 4 : i64, replica_groups = dense<> : tensor<0x0xi64>, " + CHANNEL + "} : ("
                + tensor(8, 1, t) + ") -> " + tensor(8, 1, t));
        assertThat(ci.groupSize()).isEqualTo(4);
        assertThat(ci.bytesPerDevice()).isEqualTo(3 * 32 / 4);
    }

    /**
     * ragged_all_to_all: the static figure bounds the measured rows; sending whole inputs to disjoint rows of a large
     * enough output reaches the bound. Each sender writes at row {@code 4 x its partition id} (computed on the device).
     */
    @Test void raggedAllToAllIsBoundedAndTheBoundIsReached() {
        for (int n : new int[] {2, 4}) {
            String groups = groups(n, n);
            // every sender sends its whole 4-row input to every member, into a 4n-row output: the bound exactly,
            // (n-1) x 4 rows x 3 x 4 B (by hand: 48 B for n = 2, 144 B for n = 4), under the 4n x 12 B buffer
            Measured full = ragged(n, groups, 4, 4 * n);
            assertThat(full.info().bytesBound()).isTrue();
            assertThat(full.info().bytesPerDevice()).isEqualTo((n - 1) * 4 * 3 * 4L);
            assertThat(full.measured()).isEqualTo(full.info().bytesPerDevice());
            // one row to each member: less than the bound
            Measured one = ragged(n, groups, 1, 4 * n);
            assertThat(one.measured()).isEqualTo((n - 1) * 3 * 4L).isLessThan(one.info().bytesPerDevice());
            assertThat(CostReport.text(one.cost(), Target.named("h100")))
                    .contains("ragged_all_to_all in @main at ", ": group size " + n + ", at most "
                            + CostReport.bytes(one.info().bytesPerDevice()) + " received per device (buffer " + 48 * n + " B)");
        }
    }

    /**
     * Everything a device receives lands in its output, and chunks may not overlap: the bound is at most the output
     * buffer. By hand, 4 devices, a 4 x 3 f32 input and output: (4-1) chunks of min(4, 4) rows would be 144 B, the
     * buffer is 48 B; one row from each sender (at row = its partition id) measures 3 x 12 = 36 B.
     */
    @Test void raggedAllToAllBoundIsCappedByTheOutputBuffer() {
        Measured one = ragged(4, groups(4, 4), 1, 4, 1);
        assertThat(one.info().bytesBound()).isTrue();
        assertThat(one.info().bytesPerDevice()).isEqualTo(48);
        assertThat(one.measured()).isEqualTo(36);
    }

    /** Two senders writing the same output rows: refused by name (the op, both chunks and both devices). */
    @Test void overlappingChunksAreRefused() {
        // every member sends 2 rows at output row 0 of every other: the chunks of partitions 0 and 1 overlap
        assertThatThrownBy(() -> ragged(2, groups(2, 2), 2, 4, 0))
                .hasMessageContaining("stablehlo.custom_call: @ragged_all_to_all: output chunks overlap on (replica 0, partition ")
                .hasMessageContaining("output chunks overlap on ")
                .hasMessageContaining("rows [0, +2) from ")
                .hasMessageContaining("overlapping chunks have no defined result");
    }

    /** Each member sends {@code size} rows from row 0 to every member, into an {@code outRows}-row output at row 4 x its id. */
    private static Measured ragged(int n, String groups, long size, int outRows) { return ragged(n, groups, size, outRows, 4); }

    /**
     * The constants and values the custom call reads (prelude) and the call: each member sends {@code size} rows from
     * row 0, written at row {@code stride x its partition id} of an {@code outRows}-row output.
     */
    private static Measured ragged(int n, String groups, long size, int outRows, int stride) {
        String idx = "tensor<" + n + "xi64>", sizes = "dense<" + size + "> : " + idx, out = "tensor<" + outRows + "x3xf32>";
        String prelude = "    %o = stablehlo.constant dense<0.0> : " + out + "\n"
                + "    %io = stablehlo.constant dense<0> : " + idx + "\n    %ss = stablehlo.constant " + sizes + "\n"
                + "    %pid = stablehlo.partition_id : tensor<ui32>\n"
                + "    %pid64 = stablehlo.convert %pid : (tensor<ui32>) -> tensor<i64>\n"
                + "    %stride = stablehlo.constant dense<" + stride + "> : tensor<i64>\n"
                + "    %row = stablehlo.multiply %pid64, %stride : tensor<i64>\n"
                + "    %oo = stablehlo.broadcast_in_dim %row, dims = [] : (tensor<i64>) -> " + idx + "\n"
                + "    %rs = stablehlo.constant " + sizes + "\n";
        String op = "stablehlo.custom_call @ragged_all_to_all(%x, %o, %io, %ss, %oo, %rs) {backend_config = {channel_id = 1 : i64, replica_groups = "
                + groups + "}} : (tensor<4x3xf32>, " + out + ", " + idx + ", " + idx + ", " + idx + ", " + idx + ") -> " + out;
        return measure(n, "tensor<4x3xf32>", prelude, op);
    }

    private record Measured(ModuleCost cost, CollectiveInfo info, long measured, List<List<Integer>> runGroups) {}

    /** Analyzes then runs a one-collective program on n partitions; its operand %x is a constant of {@code xType}. */
    private static Measured measure(int n, String xType, String prelude, String op) {
        String text = "module @m attributes {mhlo.num_partitions = " + n + " : i32, mhlo.num_replicas = 1 : i32} {\n"
                + "  func.func @main() -> " + resultType(op) + " {\n"
                + "    %x = stablehlo.constant dense<" + one(xType) + "> : " + xType + "\n" + prelude
                + "    %r = " + op + "\n"
                + "    return %r : " + resultType(op) + "\n  }\n}\n";
        Module m = MlirParser.parseModule(text, "case.mlir");
        ModuleCost cost = CostAnalysis.analyze(m);
        assertThat(cost.collectives()).as(text).hasSize(1);
        CollectiveLog log = new CollectiveLog(n, null);
        List<List<RtValue>> inputs = new ArrayList<>(Collections.nCopies(n, List.<RtValue>of()));
        new Interpreter(m).runParallel("main", 1, n, inputs, log);
        List<CollectiveRecord> records = log.records();
        assertThat(records).as(text).hasSize(1);
        return new Measured(cost, cost.collectives().get(0), records.get(0).maxBytesReceived(), records.get(0).groups());
    }

    /** Static equals measured, and the printed line says so. */
    private static CollectiveInfo check(int n, String t, String kind, String xType, String op) {
        Measured m = measure(n, xType, "", op);
        CollectiveInfo ci = m.info();
        String what = kind + " " + t + " on " + n + " devices, group size " + ci.groupSize() + ": " + op;
        assertThat(ci.bytesBound()).as(what).isFalse();
        assertThat(ci.bytesPerDevice()).as(what).isEqualTo(m.measured());
        if (!kind.equals("collective_permute") && ci.groupSize() > 1) assertThat(m.measured()).as(what).isPositive();
        String received = CostReport.bytes(m.measured()) + " received per device (buffer " + CostReport.bytes(ci.bufferBytes()) + ")";
        if (kind.equals("collective_permute")) {
            // pairs, not groups: those inspect says move data are the pairs the run logged (run --spmd --collectives)
            List<List<Long>> moving = ci.replicaGroups().stream().filter(p -> !p.get(0).equals(p.get(1))).toList();
            assertThat(new java.util.HashSet<>(moving)).as(what).isEqualTo(new java.util.HashSet<>(
                    m.runGroups().stream().map(g -> g.stream().map(Integer::longValue).toList()).toList()));
            assertThat(CostReport.text(m.cost(), Target.named("h100"))).as(what)
                    .contains("stablehlo." + kind + " in @main at case.mlir:", ": " + CostReport.permutePairs(ci.replicaGroups()) + ", " + received)
                    .doesNotContain("group size");
        } else {
            assertThat(CostReport.text(m.cost(), Target.named("h100"))).as(what)
                    .contains("stablehlo." + kind + " in @main at case.mlir:", ": group size " + ci.groupSize() + ", " + received);
        }
        return ci;
    }

    private static String groups(int n, int g) {
        List<String> rows = new ArrayList<>();
        for (int s = 0; s < n; s += g) {
            rows.add(IntStream.range(s, s + g).mapToObj(Integer::toString).collect(Collectors.joining(", ", "[", "]")));
        }
        return "dense<[" + String.join(", ", rows) + "]> : tensor<" + n / g + "x" + g + "xi64>";
    }

    private static String tensor(int r, int c, String t) { return "tensor<" + r + "x" + c + "x" + t + ">"; }

    private static String one(String type) { return type.contains("xi") ? "1" : "1.0"; }

    private static String region(String t) {
        return "({\n    ^bb0(%a: tensor<" + t + ">, %b: tensor<" + t + ">):\n      %s = stablehlo.add %a, %b : tensor<" + t
                + ">\n      stablehlo.return %s : tensor<" + t + ">\n    })";
    }

    /** The type after the last "-> " of the op text. */
    private static String resultType(String op) { return op.substring(op.lastIndexOf("-> ") + 3).trim(); }
}
