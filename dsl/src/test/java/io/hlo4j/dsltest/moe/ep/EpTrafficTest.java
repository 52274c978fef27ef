package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.ep.CollectiveTraffic;
import io.hlo4j.dsl.moe.ep.DispatchBound;
import io.hlo4j.dsl.moe.ep.EpCostModel;
import io.hlo4j.dsl.moe.ep.EpLayout;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Communication: the collectives in each mode's traced body, their bytes computed from shapes and group sizes,
 * equal the cost model's entries; on every device, token-sharded dispatch and combine (the counts' all_to_all and
 * the ragged all-to-alls, from the runtime's log) move exactly the analytic lower bound computed on the host from
 * the oracle's routing ({@link DispatchBound}, checked in {@link #measured}). Writes the table of docs/moe-expert-parallelism.md to
 * {@code target/ep-bytes-k2.md} (and EpTrafficTopFourTest {@code target/ep-bytes-k4.md}).
 */
class EpTrafficTest {
    static final List<String> TABLE = header();

    static List<String> header() {
        return new ArrayList<>(List.of(
            "| k | mesh (dp, fsdp, ep, tp, sp) | D x X x Q | replicated | ring | token-sharded | token-sharded dispatch+combine: model (uniform) | runtime log, busiest device | lower bound, same device | of which routing and counts | log / bound, worst device | auto picks |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"));
    }

    static final int[][] MESHES = {{1, 1, 8, 1, 1}, {1, 1, 4, 2, 1}, {2, 1, 2, 2, 1}, {1, 2, 2, 1, 2}, {4, 1, 2, 1, 1}, {1, 1, 2, 4, 1}};

    /** E = 8, k = 2, H = 64, M = 32, N = 4 x 16 = 64 tokens, f32. */
    @Test
    void topTwo() throws IOException {
        table(EpCase.random(MoeConfig.of(8, 2, 64, 32), 4, 16, false, 21), TABLE);
        assertRowsInDoc(TABLE, "docs/moe-expert-parallelism.md");
    }

    static void table(EpCase c, List<String> table) {
        MoeConfig cfg = c.cfg();
        long n = c.b() * c.s(), h = cfg.hiddenSize();
        for (int[] f : MESHES) {
            ExpertMeshView view = ExpertMeshView.of(ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4]));
            EpLayout layout = new EpLayout(view);
            double[] model = new double[3];
            double measuredTs = 0, lowerBound = 0, modelRagged = 0, routing = 0, ratio = 0;
            int i = 0;
            for (EpMode mode : List.of(EpMode.REPLICATED, EpMode.RING, EpMode.TOKEN_SHARDED)) {
                ExpertParallelMoe ep = new ExpertParallelMoe(c.cfg(), view, mode);
                ExpertParallelMoe.Program p = ep.trace(n, cfg.moeIntermediateSize(), DType.F32, false);
                List<CollectiveTraffic.Collective> cs = CollectiveTraffic.of(p.run().module());
                List<String> got = new ArrayList<>(), want = new ArrayList<>();
                for (CollectiveTraffic.Collective col : cs) if (!col.ragged()) got.add(key(col.op(), col.groupSize(), col.bytes()));
                for (EpCostModel.Entry e : p.estimate().bodyEntries()) if (!e.op().equals("ragged_all_to_all")) want.add(key(e.op(), e.groupSize(), e.bytes()));
                got.sort(null);
                want.sort(null);
                assertThat(got).as(Arrays.toString(f) + " " + mode + " body collectives").isEqualTo(want);
                model[i++] = p.estimate().total();
                // executed: the runtime's collective log (SpmdRunner) against the bytes computed from the module
                SpmdRun executed = executed(c, layout, p);
                List<String> logged = new ArrayList<>(), fromModule = new ArrayList<>();
                for (CollectiveRecord rec : executed.log()) {
                    if (!rec.op().equals("ragged_all_to_all") && rec.groupSize() > 1) logged.add(rec.op().replace("stablehlo.", "") + "/" + rec.groupSize() + "/" + rec.maxBytesSent());
                }
                for (CollectiveTraffic.Collective col : cs) {
                    if (!col.ragged() && col.groupSize() > 1) fromModule.add(col.op() + "/" + col.groupSize() + "/" + (long) Math.ceil(col.bytes()));
                }
                logged.sort(null);
                fromModule.sort(null);
                assertThat(logged).as(Arrays.toString(f) + " " + mode + " executed collectives").isEqualTo(fromModule);
                if (mode == EpMode.TOKEN_SHARDED) {
                    int x = layout.expertSize();
                    boolean codes = cfg.nRoutedExperts() / x > 1;
                    List<CollectiveTraffic.Collective> ragged = cs.stream().filter(CollectiveTraffic.Collective::ragged).toList();
                    assertThat(ragged).as("codes (L > 1), rows, weights, combine").hasSize(x > 1 ? codes ? 4 : 3 : 0);
                    assertThat(cs.stream().filter(col -> col.op().equals("all_to_all")).count()).as("the counts' all_to_all").isEqualTo(x > 1 ? 1 : 0);
                    for (CollectiveTraffic.Collective col : ragged) assertThat(col.groupSize()).isEqualTo(x);
                    ExpertParallelMoe.Result r = c.runEp(view, mode);
                    c.check(Arrays.toString(f) + " " + mode, r);
                    for (int j = 0; j < 3; j++) assertThat(executed.results().get(j)).isEqualTo(j == 0 ? r.output() : j == 1 ? r.routerLogits() : r.expertLoads());
                    double[] mb = measured(c, layout, r.sentRows(), executed.log(), h);
                    measuredTs = mb[0];
                    lowerBound = mb[1];
                    routing = mb[2];
                    ratio = mb[3];
                    modelRagged = p.estimate().entries().stream().filter(e -> e.op().equals("ragged_all_to_all") || e.op().equals("all_to_all"))
                            .mapToDouble(EpCostModel.Entry::bytes).sum();
                }
            }
            EpMode auto = new ExpertParallelMoe(c.cfg(), view, EpMode.AUTO).plan(n, cfg.moeIntermediateSize(), DType.F32).mode();
            table.add(String.format(Locale.ROOT, "| %d | %s | %d x %d x %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.3f | %s |", cfg.numExpertsPerTok(), Arrays.toString(f),
                    layout.dpSize(), layout.expertSize(), layout.tpSize(), model[0], model[1], model[2], modelRagged, measuredTs, lowerBound, routing,
                    ratio, auto.cliName()));
        }
    }

    /**
     * Per device, the analytic lower bound of dispatch and combine from the oracle's routing ({@link DispatchBound}:
     * one H-vector per (token, other shard) pair out and per pair another shard sent in, per remote assignment its
     * weight and, when L > 1, a one-byte code, one i32 count per peer). The pairs must be the rows the body reports
     * sending, and the runtime's log must show exactly the bound for every device and every step. Returns, for the
     * busiest device: the logged bytes, the bound, the bound's routing and count part; then the largest log / bound.
     */
    static double[] measured(EpCase c, EpLayout layout, HostArray sent, List<CollectiveRecord> log, long h) {
        MoeConfig cfg = c.cfg();
        assertThat(cfg.nRoutedExperts() / layout.expertSize()).as("one-byte codes").isLessThanOrEqualTo(127);
        DispatchBound bound = DispatchBound.of(layout, cfg.nRoutedExperts(), h, c.oracle().get(3).toLongArray(), cfg.numExpertsPerTok(), 4, 4, 4);
        bound.checkSent(sent);
        // step by step: the counts' all_to_all, then the ragged all-to-alls in the body's order
        List<CollectiveRecord> steps = log.stream().filter(r -> r.op().equals("stablehlo.all_to_all") || r.op().equals("ragged_all_to_all")).toList();
        assertThat(steps).as("dispatch and combine collectives").hasSameSizeAs(bound.steps());
        int devices = layout.mesh().size();
        long[] logged = new long[devices];
        for (int i = 0; i < steps.size(); i++) {
            DispatchBound.Step st = bound.steps().get(i);
            assertThat(steps.get(i).op()).as(st.what()).endsWith(st.op());
            assertThat(steps.get(i).bytesSent()).as(st.what() + " bytes sent per device").containsExactly(st.bytesPerDevice());
            for (int d = 0; d < devices; d++) logged[d] += steps.get(i).bytesSent()[d];
        }
        long[] total = bound.bytesPerDevice();
        double worst = -1, worstBound = 0, worstRouting = 0, ratio = 0;
        for (int d = 0; d < devices; d++) {
            assertThat(logged[d]).as("device " + d + " dispatch and combine bytes sent").isEqualTo(total[d]);
            ratio = Math.max(ratio, logged[d] / (double) total[d]);
            if (logged[d] > worst) {
                worst = logged[d];
                worstBound = total[d];
                long routing = 0;
                for (DispatchBound.Step st : bound.steps()) if (!st.what().endsWith("rows")) routing += st.bytesPerDevice()[d];
                worstRouting = routing;
            }
        }
        return new double[] {worst, worstBound, worstRouting, ratio};
    }

    /** The direct module run by the runtime's SpmdRunner, which logs every collective executed. */
    static SpmdRun executed(EpCase c, EpLayout layout, ExpertParallelMoe.Program p) {
        long n = c.b() * c.s(), h = c.cfg().hiddenSize();
        long[] pos = new long[(int) n];
        for (int t = 0; t < n; t++) pos[t] = t % c.s();
        List<HostArray> args = List.of(c.x().reshape(n, h), HostArray.fromLongs(TensorType.of(IntegerType.I32, n), pos), c.gate(), c.wi(), c.wu(), c.wd());
        List<TensorSharding> in = new ArrayList<>(), out = new ArrayList<>();
        for (int a = 0; a < args.size(); a++) in.add(p.run().inShardings().get(a).toSdy(args.get(a).rank()));
        List<TensorType> types = p.run().resultTypes();
        for (int o = 0; o < types.size(); o++) out.add(p.run().outShardings().get(o).toSdy(types.get(o).rank()));
        return SpmdRunner.run(p.run().module(), layout.mesh().toSdy(), args, in, out, types);
    }

    static String key(String op, int g, double bytes) { return String.format(Locale.ROOT, "%s/%d/%.3f", op, g, bytes); }

    @AfterAll
    static void writeTable() throws Exception { write(TABLE, "ep-bytes-k2.md"); }

    static void write(List<String> table, String file) throws Exception {
        Path out = Path.of("target", file);
        Files.createDirectories(out.getParent());
        Files.writeString(out, String.join("\n", table) + "\n");
        table.forEach(System.out::println);
    }

    /**
     * Every row of the computed table (header included) must appear in the doc that shows it, compared cell by
     * cell with the cells' padding ignored: the doc's numbers are the ones the code gives.
     */
    static void assertRowsInDoc(List<String> table, String doc) throws IOException {
        Path path = Path.of("").toAbsolutePath().getParent().resolve(doc);
        java.util.Set<String> docRows = Files.readAllLines(path).stream().map(EpTrafficTest::cells).collect(java.util.stream.Collectors.toSet());
        List<String> missing = table.stream().filter(l -> !docRows.contains(cells(l))).toList();
        org.assertj.core.api.Assertions.assertThat(missing).as("rows of the computed table missing from " + path).isEmpty();
    }

    private static String cells(String row) {
        return Arrays.stream(row.strip().split("\\|", -1)).map(String::strip).collect(java.util.stream.Collectors.joining("|"));
    }
}
