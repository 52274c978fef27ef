package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.ep.CollectiveTraffic;
import io.hlo4j.dsl.moe.ep.EpCostModel;
import io.hlo4j.dsl.moe.ep.EpLayout;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Communication: the collectives in each mode's traced body, their bytes computed from shapes and group sizes,
 * equal the cost model's entries; the token-sharded ragged all-to-alls move exactly the rows whose expert lives on
 * another shard (counted on the host from the oracle's routing), never fewer than the analytic lower bound of one
 * H-vector per distinct (token, remote shard) pair each way. Writes the table of docs/moe-expert-parallelism.md to
 * {@code target/ep-bytes.md}.
 */
class EpTrafficTest {
    static final List<String> TABLE = new ArrayList<>(List.of(
            "| k | mesh (dp, fsdp, ep, tp, sp) | D x X x Q | replicated | ring | token-sharded | token-sharded dispatch+combine: model (uniform) | measured (busiest device) | lower bound (same device) | auto picks |",
            "|---|---|---|---|---|---|---|---|---|---|"));

    static final int[][] MESHES = {{1, 1, 8, 1, 1}, {1, 1, 4, 2, 1}, {2, 1, 2, 2, 1}, {1, 2, 2, 1, 2}, {4, 1, 2, 1, 1}, {1, 1, 2, 4, 1}};

    /** E = 8, k = 2, H = 64, M = 32, N = 4 x 16 = 64 tokens, f32. */
    @Test
    void topTwo() { table(EpCase.random(MoeConfig.of(8, 2, 64, 32), 4, 16, false, 21)); }

    /** E = 8, k = 4: more rows per token, so dispatch costs more and the all-gathering modes gain. */
    @Test
    void topFour() { table(EpCase.random(MoeConfig.of(8, 4, 64, 32), 4, 16, false, 22)); }

    static void table(EpCase c) {
        MoeConfig cfg = c.cfg();
        long n = c.b() * c.s(), h = cfg.hiddenSize();
        for (int[] f : MESHES) {
            ExpertMeshView view = ExpertMeshView.of(ExpertMeshView.modelMesh(f[0], f[1], f[2], f[3], f[4]));
            EpLayout layout = new EpLayout(view);
            double[] model = new double[3];
            double measuredTs = 0, lowerBound = 0, modelRagged = 0;
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
                if (mode == EpMode.TOKEN_SHARDED) {
                    List<CollectiveTraffic.Collective> ragged = cs.stream().filter(CollectiveTraffic.Collective::ragged).toList();
                    assertThat(ragged).hasSize(layout.expertSize() > 1 ? 2 : 0);
                    for (CollectiveTraffic.Collective col : ragged) {
                        assertThat(col.groupSize()).isEqualTo(layout.expertSize());
                        assertThat(col.rowBytes()).isEqualTo(h * 4);
                    }
                    ExpertParallelMoe.Result r = c.runEp(view, mode);
                    c.check(Arrays.toString(f) + " " + mode, r);
                    double[] mb = measured(c, layout, r.sentRows(), h);
                    measuredTs = mb[0];
                    lowerBound = mb[1];
                    assertThat(measuredTs).as("measured >= lower bound").isGreaterThanOrEqualTo(lowerBound);
                    modelRagged = p.estimate().entries().stream().filter(e -> e.op().equals("ragged_all_to_all")).mapToDouble(EpCostModel.Entry::bytes).sum();
                }
            }
            EpMode auto = new ExpertParallelMoe(c.cfg(), view, EpMode.AUTO).plan(n, cfg.moeIntermediateSize(), DType.F32).mode();
            TABLE.add(String.format(Locale.ROOT, "| %d | %s | %d x %d x %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %s |", cfg.numExpertsPerTok(), Arrays.toString(f), layout.dpSize(),
                    layout.expertSize(), layout.tpSize(), model[0], model[1], model[2], modelRagged, measuredTs, lowerBound, auto.cliName()));
        }
    }

    /**
     * The busiest device's ragged bytes (rows it sends off-shard in dispatch and in combine, times H f32), checked
     * row by row against the routing; and that device's lower bound (distinct (token, remote shard) pairs, each way).
     */
    static double[] measured(EpCase c, EpLayout layout, HostArray sent, long h) {
        MoeConfig cfg = c.cfg();
        int devices = layout.mesh().size(), x = layout.expertSize();
        int le = cfg.nRoutedExperts() / x, k = cfg.numExpertsPerTok();
        long n = c.b() * c.s();
        long[] experts = c.oracle().get(3).toLongArray();
        long[] sentRows = sent.toLongArray();
        NamedSharding tokens = new NamedSharding(layout.mesh(), EpLayout.spec(layout.dpAndExpertAxes()));
        int[][] groups = layout.mesh().replicaGroups(layout.expertAxes());
        long[][] rowsTo = new long[devices][x];
        int[] me = new int[devices];
        double worst = 0, worstBound = 0;
        long[] pairs = new long[devices];
        for (int d = 0; d < devices; d++) {
            for (int[] g : groups) for (int m = 0; m < g.length; m++) if (g[m] == d) me[d] = m;
            long[] range = tokens.indexRanges(d, new long[] {n})[0];
            for (long t = range[0]; t < range[1]; t++) {
                Set<Integer> remote = new HashSet<>();
                for (int j = 0; j < k; j++) {
                    int shard = (int) experts[(int) (t * k + j)] / le;
                    rowsTo[d][shard]++;
                    if (shard != me[d]) remote.add(shard);
                }
                pairs[d] += remote.size();
            }
            for (int j = 0; j < x; j++) assertThat(sentRows[d * x + j]).as("device " + d + " rows to shard " + j).isEqualTo(rowsTo[d][j]);
        }
        for (int[] g : groups) {
            for (int m = 0; m < g.length; m++) {
                int d = g[m];
                long dispatch = 0, combine = 0;
                for (int j = 0; j < x; j++) if (j != m) dispatch += rowsTo[d][j];
                for (int i = 0; i < g.length; i++) if (i != m) combine += rowsTo[g[i]][m];
                double bytes = (dispatch + combine) * h * 4.0;
                double lb = 2.0 * pairs[d] * h * 4.0;
                if (bytes > worst) { worst = bytes; worstBound = lb; }
            }
        }
        return new double[] {worst, worstBound};
    }

    static String key(String op, int g, double bytes) { return String.format(Locale.ROOT, "%s/%d/%.3f", op, g, bytes); }

    @AfterAll
    static void writeTable() throws Exception {
        Path out = Path.of("target", "ep-bytes.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, String.join("\n", TABLE) + "\n");
        TABLE.forEach(System.out::println);
    }
}
