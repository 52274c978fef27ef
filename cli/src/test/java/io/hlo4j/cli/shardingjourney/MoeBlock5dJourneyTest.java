package io.hlo4j.cli.shardingjourney;

import static io.hlo4j.cli.shardingjourney.MoeBlock.*;
import static io.hlo4j.runtime.testing.RelativeError.relErr;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The MaxText user's week-one program: the MoE block ({@link MoeBlock}: RMSNorm, causal attention, RMSNorm, the DSL's
 * MoE layer, mean(y^2)) and its gradient with respect to every parameter, sharded on the 5D mesh (dp, fsdp, ep, tp, sp)
 * with {@code ShardedJit} (in_shardings: MaxText's logical rules; out_shardings: the loss replicated and each gradient
 * like its parameter, as a train step asks), lowered, partitioned by hlo4j and run on 8 simulated devices. Oracle: the
 * same function jit'd on one device. The collectives are counted in the partitioned program's text and checked against
 * what XLA's SPMD partitioner gives a JAX user for these shardings (FSDP all_gathers of the attention weights once each,
 * their weight gradients reduce-scattered over fsdp, Megatron's all_reduce over tp, nothing gathered over tp or ep). The expert
 * weights keep their fsdp split (their grouped matmuls all-reduce the contraction instead of gathering them, as Shardy's
 * explicit-reshard pass also does; see expertWeightsKeepTheirFsdpSplitAndAllReduceTheContraction for why).
 */
class MoeBlock5dJourneyTest {
    static final Set<String> COLLECTIVES = Set.of("stablehlo.all_gather", "stablehlo.all_reduce", "stablehlo.reduce_scatter",
            "stablehlo.all_to_all", "stablehlo.collective_permute", "stablehlo.collective_broadcast");
    /** Argument order of (params map, x): keys sorted, then x. */
    static final List<String> ARGS = List.of("gate", "norm1", "norm2", "wd", "wi", "wk", "wo", "wq", "wu", "wv", "x");

    static ShardedJit gradJit(Mesh m) {
        List<NamedSharding> in = ShardedJit.flat(paramShardings(m), batchSharding(m));
        List<NamedSharding> out = ShardedJit.flat(List.of(NamedSharding.of(m), paramShardings(m)));
        return ShardedJit.jit("block", Grad.valueAndGrad(LOSS, 0), in, out);
    }

    /** The line of MoeBlock.java holding {@code needle} (the user's line a location must name). */
    static int line(String needle) {
        try {
            List<String> lines = Files.readAllLines(Path.of("src/test/java/io/hlo4j/cli/shardingjourney/MoeBlock.java"));
            for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(needle)) return i + 1;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("MoeBlock.java has no line holding " + needle);
    }

    static final int WQ = line("p.get(\"wq\")"), WK = line("p.get(\"wk\")"), WV = line("p.get(\"wv\")"), ATTN = line("Nn.dotProductAttention(q"),
            WO = line("p.get(\"wo\")"), MOE = line("new BaseMoeModule"), RESIDUAL = line("return x1.add(moe)");

    static String at(int line) { return "MoeBlock.java:" + line + ":0"; }

    /** One collective of the partitioned text with its source line and, from the run's log, the mesh axes its groups span. */
    record Coll(String op, String loc, List<String> axes, long bytes, Operation ir) {
        String kind() { return op.substring("stablehlo.".length()); }
    }

    /**
     * The collectives of the per-device program, in program order, read from its IR (which is what its text prints); each
     * paired with the run log's record of the same op and line (the program has no loops, so each ran once).
     */
    static List<Coll> collectives(SimulatedRun run) {
        List<Operation> ops = new ArrayList<>();
        Walker.walk(run.program().module().op(), op -> { if (COLLECTIVES.contains(op.name())) ops.add(op); });
        List<CollectiveRecord> log = run.run().log();
        // the text agrees with the log: the same (op, line) multiset
        assertThat(log.stream().map(r -> r.op() + " " + r.location()).sorted().toList())
                .as("the run executed exactly the collectives of the partitioned text")
                .isEqualTo(ops.stream().map(o -> o.name() + " " + o.location().describe()).sorted().toList());
        List<CollectiveRecord> left = new ArrayList<>(log);
        List<Coll> out = new ArrayList<>();
        for (Operation o : ops) {
            CollectiveRecord r = left.stream().filter(c -> c.op().equals(o.name()) && c.location().equals(o.location().describe())).findFirst().orElseThrow();
            left.remove(r);
            out.add(new Coll(o.name(), o.location().describe(), r.axes(), r.maxBytesReceived(), o));
        }
        return out;
    }

    static long count(List<Coll> cs, String kind, int line, List<String> axes) {
        return cs.stream().filter(c -> c.kind().equals(kind) && c.loc().equals(at(line)) && c.axes().equals(axes)).count();
    }

    static Map<String, HostArray> gradsOf(Object result) {
        @SuppressWarnings("unchecked") Map<String, HostArray> g = (Map<String, HostArray>) ((List<Object>) result).get(1);
        return g;
    }

    static HostArray lossOf(Object result) { return (HostArray) ((List<?>) result).get(0); }

    private static SimulatedRun fsdpTpEp;

    /**
     * The fsdp/ep/tp program's simulated run (dp=1, fsdp=2, ep=2, tp=2, sp=1 on params(11), input(12)), partitioned and run
     * once per JVM: this class's tests and MoeBlockCliJourneyTest share it.
     */
    static synchronized SimulatedRun fsdpTpEpRun() {
        if (fsdpTpEp == null) fsdpTpEp = gradJit(mesh(1, 2, 2, 2, 1)).callSimulated(params(11), input(12));
        return fsdpTpEp;
    }

    /** Loss and every gradient on the mesh's 8 simulated devices against one device. */
    static SimulatedRun runAndCompare(Mesh m) { return compare(m, gradJit(m).callSimulated(params(11), input(12))); }

    static SimulatedRun compare(Mesh m, SimulatedRun run) {
        Map<String, HostArray> p = params(11);
        HostArray x = input(12);
        Object want = Jit.jit("block", Grad.valueAndGrad(LOSS, 0)).call(p, x);
        assertThat(run.program().devices()).isEqualTo(8);
        assertThat(relErr(lossOf(run.results()), lossOf(want))).as("loss on %s vs one device", m).isLessThan(1e-5);
        Map<String, HostArray> got = gradsOf(run.results()), wantG = gradsOf(want);
        assertThat(got.keySet()).isEqualTo(wantG.keySet()).hasSize(10);
        for (String k : wantG.keySet()) {
            assertThat(relErr(got.get(k), wantG.get(k))).as("d loss / d %s on %s vs one device", k, m).isLessThan(2e-5);
        }
        return run;
    }

    @Test
    void everyOpCarriesTheUsersLineAndTheAnnotationsNameTheUsersAxes() {
        Mesh m = mesh(1, 2, 2, 2, 1);
        Lowered l = gradJit(m).lower(params(11), input(12));
        String text = l.asTextWithLocations();
        assertThat(text).contains("sdy.mesh @mesh = <[\"dp\"=1, \"fsdp\"=2, \"ep\"=2, \"tp\"=2, \"sp\"=1]>");
        // each parameter's annotation is the spec the user gave, on the mesh the user built
        Map<String, String> want = new TreeMap<>(Map.ofEntries(
                Map.entry("wq", "[{\"fsdp\"}, {\"tp\"}]"), Map.entry("wk", "[{\"fsdp\"}, {\"tp\"}]"), Map.entry("wv", "[{\"fsdp\"}, {\"tp\"}]"),
                Map.entry("wo", "[{\"tp\"}, {\"fsdp\"}]"), Map.entry("gate", "[{\"fsdp\"}, {}]"), Map.entry("norm1", "[{}]"),
                Map.entry("norm2", "[{}]"), Map.entry("wi", "[{\"ep\"}, {\"fsdp\"}, {\"tp\"}]"), Map.entry("wu", "[{\"ep\"}, {\"fsdp\"}, {\"tp\"}]"),
                Map.entry("wd", "[{\"ep\"}, {\"tp\"}, {\"fsdp\"}]"), Map.entry("x", "[{\"dp\", \"fsdp\"}, {\"sp\"}, {}]")));
        Matcher arg = Pattern.compile("%arg(\\d+): tensor<[0-9x]+f32> \\{sdy.sharding = #sdy.sharding<@mesh, (\\[[^>]*\\])>}").matcher(text);
        Map<String, String> got = new TreeMap<>();
        while (arg.find()) got.put(ARGS.get(Integer.parseInt(arg.group(1))), arg.group(2));
        assertThat(want).hasSize(11);
        assertThat(got).isEqualTo(want);
        // no axis in any annotation but the mesh's five
        Matcher axis = Pattern.compile("\\{(\"[a-z_]+\"(, \"[a-z_]+\")*)}").matcher(text.replaceAll("sdy.mesh[^\n]*", ""));
        while (axis.find()) assertThat(axis.group(1).replace("\"", "").split(", ")).allMatch(a -> List.of("dp", "fsdp", "ep", "tp", "sp").contains(a));

        // every op of the traced program (forward, MoE layer, gradient) names a line of the user's files
        List<String> bad = new ArrayList<>();
        Walker.walk(l.module().op(), op -> {
            if (!(op.location() instanceof Location.FileLineCol f) || !(f.file().equals("MoeBlock.java") || f.file().equals("MoeBlock5dJourneyTest.java"))) {
                bad.add(op.name() + " at " + op.location().describe());
            }
        });
        assertThat(bad).as("ops without the user's line").isEmpty();
        // the MoE layer's ops name the line that called it, the attention's the attention line
        assertThat(text).contains("loc(\"" + "MoeBlock.java\":" + MOE + ":0)", "loc(\"MoeBlock.java\":" + ATTN + ":0)");
    }

    @Test
    void fsdpTpEpMeshGivesTheLossAndGradientsOfOneDeviceWithTheCollectivesAJaxUserExpects() {
        Mesh m = mesh(1, 2, 2, 2, 1);
        SimulatedRun run = compare(m, fsdpTpEpRun());
        List<Coll> cs = collectives(run);
        // every collective of the partitioned program comes from a line of the user's model
        assertThat(cs).allMatch(c -> c.loc().startsWith("MoeBlock.java:"));
        // size-1 axes never communicate
        assertThat(cs).noneMatch(c -> c.axes().contains("dp") || c.axes().contains("sp"));
        // no dead collective: lowering removed the input gradient dx that nothing returns (DeadCode), so every
        // all_reduce's result is used (before, dead scalar all_reduces ran)
        Set<Value> used = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Walker.walk(run.program().module().op(), op -> used.addAll(op.operands()));
        for (Coll c : cs) {
            if (c.kind().equals("all_reduce")) assertThat(used.contains(c.ir().result(0))).as("%s at %s is used", c.op(), c.loc()).isTrue();
        }

        // weights split over tp or ep are never gathered over them (Megatron and expert parallelism keep them split);
        // every all_gather is FSDP's, over fsdp alone
        List<Coll> gathers = cs.stream().filter(c -> c.kind().equals("all_gather")).toList();
        assertThat(gathers).isNotEmpty().allMatch(c -> c.axes().equals(List.of("fsdp")));
        // nothing is gathered twice: every all_gather has its own operand
        Set<Value> operands = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Coll g : gathers) assertThat(operands.add(g.ir().operand(0))).as("%s at %s gathers a value already gathered", g.op(), g.loc()).isTrue();
        // each FSDP-sharded attention weight is all-gathered once, straight from its argument, 256 B ([8, 8] f32 -> [16, 8])
        List<? extends Value> args = run.program().module().entryFunction().region(0).entry().arguments();
        for (String w : List.of("wq", "wk", "wv", "wo")) {
            Value a = args.get(ARGS.indexOf(w));
            List<Coll> g = gathers.stream().filter(c -> c.ir().operand(0) == a).toList();
            assertThat(g).as("all_gathers of %s", w).hasSize(1);
            assertThat(g.get(0).bytes()).isEqualTo(256);
        }
        // Megatron: the row-parallel output projection sums over tp (forward), the column-parallel q/k/v projections
        // sum their input gradient over tp (backward)
        assertThat(count(cs, "all_reduce", WO, List.of("tp"))).as("all_reduce[tp] at wo").isEqualTo(1);
        for (int l : new int[] {WQ, WK, WV}) assertThat(count(cs, "all_reduce", l, List.of("tp"))).as("all_reduce[tp] at line %d", l).isEqualTo(1);
        // FSDP: the weight gradients of q, k, v are reduce-scattered over fsdp into each device's block (256 B), not
        // all-reduced and sliced; every reduce_scatter at these lines is over fsdp alone (the 512 B ones are the forward
        // products', see forwardQkvProjectionsGatherTheirFsdpWeights)
        for (int l : new int[] {WQ, WK, WV}) {
            List<Coll> rs = cs.stream().filter(c -> c.kind().equals("reduce_scatter") && c.loc().equals(at(l))).toList();
            assertThat(rs).as("reduce_scatters at line %d", l).isNotEmpty().allMatch(c -> c.axes().equals(List.of("fsdp")));
            assertThat(rs.stream().filter(c -> c.bytes() == 256).count()).as("the weight-gradient reduce_scatter[fsdp] at line %d", l).isEqualTo(1);
        }
        assertThat(cs).noneMatch(c -> c.kind().equals("all_reduce") && c.axes().equals(List.of("fsdp")) && c.bytes() >= 256
                && (c.loc().equals(at(WQ)) || c.loc().equals(at(WK)) || c.loc().equals(at(WV)) || c.loc().equals(at(WO))));
        // expert parallelism: the experts' partial sums meet in all_reduces whose groups span ep, at the MoE line
        List<Coll> moe = cs.stream().filter(c -> c.loc().equals(at(MOE))).toList();
        assertThat(moe).anyMatch(c -> c.kind().equals("all_reduce") && c.axes().contains("ep"));
        assertThat(cs).noneMatch(c -> !c.kind().equals("all_reduce") && c.axes().contains("ep"));
        assertThat(run.program().report().replicated()).as("nothing computed replicated").isEmpty();
        // the experts' kernels and their gradients (ragged_dot in both forms) are computed split over ep, never whole
        assertThat(run.program().report().entries()).as("ragged_dot computed less sharded")
                .noneMatch(e -> e.op().equals("chlo.ragged_dot"));

        // upper bounds for the whole program, so that no regression adds traffic unseen. Measured on this program after
        // dead-code removal (a review counted 12 more before it: dead scalar all_reduces) and the byte-based dot plan
        // (FSDP weights gathered): 31 collectives (8 all_gather, 14 all_reduce, 5 reduce_scatter, 4 all_to_all; see
        // docs/sharding.md), 28,068 B received per device in all. XLA's plan for the same shardings would be lower still
        // (expertWeightsKeepTheirFsdpSplitAndAllReduceTheContraction says why not for the expert weights); a partitioner change that lowers them should lower these bounds too.
        assertThat(cs).as("collectives of the fsdp/ep/tp gradient program").hasSizeLessThanOrEqualTo(31);
        assertThat(cs.stream().mapToLong(Coll::bytes).sum()).as("bytes received per device, all collectives").isLessThanOrEqualTo(28_068);
    }

    @Test
    void dataSequenceExpertMeshGivesTheLossAndGradientsOfOneDeviceAndGathersKeysAndValuesOverSp() {
        Mesh m = mesh(2, 1, 2, 1, 2);
        SimulatedRun run = runAndCompare(m);
        List<Coll> cs = collectives(run);
        assertThat(cs).noneMatch(c -> c.axes().contains("fsdp") || c.axes().contains("tp"));
        // sequence parallelism: causal attention over an sp-split sequence gathers the keys and the values over sp
        // (each device receives the other's [2, 4, 4, 4] f32 block, 512 B), once each
        assertThat(cs.stream().filter(c -> c.kind().equals("all_gather") && c.loc().equals(at(ATTN)) && c.axes().equals(List.of("sp")))
                .map(Coll::bytes).toList()).containsExactly(512L, 512L);
        // data parallelism: replicated weights' gradients are summed over every axis that splits the batch or the
        // sequence, (dp, sp), once per projection
        for (int l : new int[] {WQ, WK, WV, WO}) assertThat(count(cs, "all_reduce", l, List.of("dp", "sp"))).as("all_reduce[dp, sp] at line %d", l).isEqualTo(1);
        // the experts stay split over ep: ep appears only in all_reduces
        assertThat(cs).anyMatch(c -> c.kind().equals("all_reduce") && c.axes().equals(List.of("ep")));
        assertThat(cs).noneMatch(c -> !c.kind().equals("all_reduce") && c.axes().contains("ep"));
    }

    /**
     * docs/sharding.md's advice, checked: with the out_shardings omitted, propagation leaves the q/k/v weight gradients
     * unsharded over fsdp, so they are all-reduced over fsdp rather than reduce-scattered into each device's block.
     */
    @Test
    void gradientsLeftUnspecifiedAreAllReducedOverFsdpInsteadOfReduceScattered() {
        Mesh m = mesh(1, 2, 2, 2, 1);
        ShardedJit unspecified = ShardedJit.jit("block", Grad.valueAndGrad(LOSS, 0), ShardedJit.flat(paramShardings(m), batchSharding(m)));
        List<Coll> cs = collectives(unspecified.callSimulated(params(11), input(12)));
        for (int l : new int[] {WQ, WK, WV}) {
            assertThat(cs.stream().filter(c -> c.kind().equals("reduce_scatter") && c.loc().equals(at(l)) && c.bytes() == 256).count())
                    .as("weight-gradient reduce_scatters at line %d", l).isZero();
            assertThat(cs).as("an all_reduce over fsdp at line %d", l)
                    .anyMatch(c -> c.kind().equals("all_reduce") && c.loc().equals(at(l)) && c.axes().contains("fsdp"));
        }
    }

    /**
     * XLA reuses the forward all_gather of wo over fsdp for the backward input gradient {@code da = dx1 . wo^T}, so the only
     * collectives at the wo line are that gather (256 B), Megatron's forward all_reduce over tp and the weight gradient's
     * reduce_scatter over fsdp (256 B). hlo4j moves the activation instead (an all_to_all of 512 B and a reduce_scatter of
     * 512 B at that line). This test is what the partitioner should pass.
     */
    @Test
    void backwardAtWoReusesTheGatheredWeight() {
        SimulatedRun run = fsdpTpEpRun();
        List<Coll> cs = collectives(run);
        assertThat(count(cs, "all_to_all", WO, List.of("fsdp"))).as("all_to_all[fsdp] at wo").isZero();
        assertThat(cs.stream().filter(c -> c.loc().equals(at(WO)) && c.kind().equals("reduce_scatter")).map(Coll::bytes).toList())
                .as("reduce_scatters at wo: the weight gradient's only").containsExactly(256L);
        assertThat(count(cs, "all_gather", WO, List.of("fsdp"))).as("wo gathered once, forward and backward").isEqualTo(1);
    }

    /**
     * The expert weights wi, wu, wd (P(ep, fsdp, tp) / P(ep, tp, fsdp)) keep their fsdp split: none is all-gathered over
     * fsdp from its argument (FSDP's weight gather), and the grouped matmuls with wi and wu all-reduce their shared
     * contracting split over fsdp instead. Why, by the partitioner's rule (a plan is replaced only by one moving fewer
     * bytes without more work per device): the MoE layer's token rows, gathered in expert order ([64, 16]), are whole on
     * every device (the ragged dimension cannot be split), and propagation gives their features fsdp from wi's and wu's
     * contracting dimension. Gathering wi or wu would have both fsdp devices compute every row's whole product (the only
     * candidate that gathers them, no split reduction factor, also gathers over ep: twice the work per device, 64 x 16 x 8
     * against 64 x 8 x 8 multiply-adds; 3,584 B against the all_reduce's 3,072 B;
     * DotPlanByBytesTest.raggedDotKeepsASharedContractingSplit); wd's fsdp is on its output columns, which the result keeps
     * split, so nothing asks for it whole. Shardy's explicit-reshard pass keeps such a shared contracting split and
     * all-reduces it too (its test dot_compatible_contracting_dim_sharded; XLA's ragged_dot_mode_non_contracting); what
     * XLA's partitioner gives for this program has not been run. Gathering the expert weights without duplicating the
     * grouped matmuls needs the token rows split within each fsdp shard: a change of the MoE layer or of propagation.
     */
    @Test
    void expertWeightsKeepTheirFsdpSplitAndAllReduceTheContraction() {
        SimulatedRun run = fsdpTpEpRun();
        List<Coll> cs = collectives(run);
        List<? extends Value> args = run.program().module().entryFunction().region(0).entry().arguments();
        for (String w : List.of("wi", "wu", "wd")) {
            Value a = args.get(ARGS.indexOf(w));
            assertThat(cs).as("all_gathers of %s straight from its argument", w).noneMatch(c -> c.kind().equals("all_gather") && c.ir().operand(0) == a);
        }
        assertThat(cs).as("the shared contracting split all-reduced over fsdp at the MoE line")
                .anyMatch(c -> c.kind().equals("all_reduce") && c.loc().equals(at(MOE)) && c.axes().contains("fsdp"));
        assertThat(run.program().report().entries()).noneMatch(e -> e.op().equals("chlo.ragged_dot"));
    }

    /**
     * The residual add {@code x1 + moe}: x1 arrives with its batch split on fsdp, the MoE output with its features split
     * on fsdp (the down projection's output columns, from wd's P(ep, tp, fsdp), through the scatter-add back to the
     * tokens). Each device then holds half the features of every token ([4, 8, 8]) and needs every feature of half the
     * tokens ([2, 8, 16]): half of that block, 512 B, is on the other device whatever moves it, so the one all_to_all of
     * 512 B is the least move. Not splitting the features earlier costs more: the scatter-add into batch-split rows
     * needs its [64, 16] updates whole (an all_gather of 2,048 B), the down projection with whole columns all-reduces
     * [64, 16] instead of [64, 8] (6,144 B instead of 3,072 B).
     */
    @Test
    void residualAddMovesTheLeastBytes() {
        List<Coll> cs = collectives(fsdpTpEpRun());
        List<Coll> here = cs.stream().filter(c -> c.loc().equals(at(RESIDUAL))).toList();
        assertThat(here).as("collectives at the residual add").hasSize(1);
        assertThat(here.get(0).kind()).isEqualTo("all_to_all");
        assertThat(here.get(0).axes()).containsExactly("fsdp");
        assertThat(here.get(0).bytes()).isEqualTo(512);
        assertThat(here.get(0).ir().operand(0).type().toString()).isEqualTo("tensor<4x8x8xf32>");
    }

    /**
     * XLA gives {@code x[b/fsdp, s, d] . w[d/fsdp, e/tp]} an all_gather of w over fsdp (FSDP), and so does hlo4j's
     * partitioner, which picks a dot's factor plan by the bytes it moves: no all_to_all of the activation to a d-split
     * and no reduce_scatter back, only the weight gradient's reduce_scatter at each projection line.
     */
    @Test
    void forwardQkvProjectionsGatherTheirFsdpWeights() {
        SimulatedRun run = fsdpTpEpRun();
        List<Coll> cs = collectives(run);
        for (int l : new int[] {WQ, WK, WV}) {
            assertThat(count(cs, "all_to_all", l, List.of("fsdp"))).as("all_to_all[fsdp] at line %d", l).isZero();
            assertThat(cs.stream().filter(c -> c.loc().equals(at(l)) && c.kind().equals("reduce_scatter")).count())
                    .as("reduce_scatters at line %d: the weight gradient's only", l).isEqualTo(1);
        }
    }
}
