package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.mesh;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.spec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exchange's round schedule: as many collective rounds as the most cells any one device sends to or receives
 * from other devices (Konig), each round a matching, each device receiving exactly the cells it lacks. The degrees
 * are counted here from the runtime's split of an index array (what each device holds and needs), not from the
 * planner's cell arithmetic.
 */
class ReshardExchangeRoundsTest {
    static final MeshAttr XYZ = ReshardMinimalTest.XYZ;
    static final TensorType T = ReshardMinimalTest.T;

    /**
     * {@code [{x,y,z}, {}] -> [{}, {x}]} on 2x2x2, f32[8,8]: device d holds row d (two 16-byte cells, one per column
     * half) and needs the 8 cells of column half x(d), one of which (row d's) it holds: it receives 7. Row d's cell in
     * half h is needed by the 4 devices with x = h, less d itself when x(d) = h: it sends 3 + 4 = 7. So 7 rounds,
     * where the greedy schedule took 14 (own cells included).
     */
    @Test
    void theDocsExampleTakesSevenRounds() {
        TensorSharding from = spec("x,y,z", ""), to = spec("", "x");
        ReshardStep.Exchange x = exchange(XYZ, T, from, to);
        assertThat(x.collectives()).isEqualTo(7);
        // every device sends and receives in all 7 rounds, so its own cell is copied in an 8th round of self-pairs
        assertThat(x.rounds()).hasSize(8);
        assertThat(x.rounds().get(7).moves()).isFalse();
        assertThat(x.bytesPerDevice()).containsOnly(112).containsExactly(ReshardMinimalTest.lacking(XYZ, T, from, to));
        assertThat(x.busiestBytesPerCollective()).isEqualTo(7 * 16);
        assertRoundsAreMatchingsAtTheDegree(XYZ, T, from, to, x);
        ReshardPlan p = ReshardPlanner.plan(XYZ, T, from, to, Location.UNKNOWN, ReshardCost.TIGHT);
        assertThat(p.steps()).singleElement().isInstanceOf(ReshardStep.Exchange.class);
        assertThat(p.collectives()).isEqualTo(7);
        ReshardHarness.run(XYZ, p); // values and measured bytes on 8 simulated devices; 7 collectives in the log
    }

    /**
     * Every pair of the 49 rank-2 shardings on 2x2x2 (all refine to equal cells): the exchange's collective rounds
     * equal the degree bound computed from the split; every 16th also runs on simulated devices (values, measured
     * bytes, and the number of collectives in the log).
     */
    @Test
    void everyPairOnTwoByTwoByTwoMeetsTheDegreeBound() {
        List<TensorSharding> all = ReshardMinimalTest.shardings(List.of("x", "y", "z"));
        int k = 0, ran = 0;
        for (TensorSharding from : all) {
            for (TensorSharding to : all) {
                ReshardStep.Exchange x = exchange(XYZ, T, from, to);
                assertRoundsAreMatchingsAtTheDegree(XYZ, T, from, to, x);
                if (k++ % 16 == 0) {
                    ReshardHarness.run(XYZ, plan(XYZ, T, from, to, x));
                    ran++;
                }
            }
        }
        assertThat(ran).isEqualTo((2401 + 15) / 16);
    }

    /** Random pairs on 16 devices (x=4, y=4 and 2x2x2x2, whole axes and halves), rank 2 and 3. */
    @Test
    void randomPairsOnSixteenDevicesMeetTheDegreeBound() {
        Random r = new Random(7);
        List<MeshAttr> meshes = List.of(mesh("x", 4, "y", 4), mesh("a", 2, "b", 2, "c", 2, "d", 2));
        int ran = 0;
        for (int i = 0; i < 60; i++) {
            MeshAttr m = meshes.get(i % 2);
            int rank = 2 + r.nextInt(2);
            TensorType t = rank == 2 ? f32(16, 16) : f32(16, 16, 16);
            TensorSharding from = random(m, rank, r), to = random(m, rank, r);
            ReshardStep.Exchange x = exchange(m, t, from, to);
            assertRoundsAreMatchingsAtTheDegree(m, t, from, to, x);
            if (i % 6 == 0) {
                ReshardHarness.run(m, plan(m, t, from, to, x));
                ran++;
            }
        }
        assertThat(ran).isEqualTo(10);
    }

    /**
     * The colouring alone on random bipartite multigraphs (up to 12 devices a side, up to 80 cells, any multiplicity):
     * exactly max-degree colours, each colour class a matching.
     */
    @Test
    void colouringUsesExactlyTheMaximumDegree() {
        Random r = new Random(11);
        for (int g = 0; g < 300; g++) {
            int n = 2 + r.nextInt(11), edges = r.nextInt(81);
            List<CellExchange.Transfer> moves = new ArrayList<>();
            for (int e = 0; e < edges; e++) {
                int src = r.nextInt(n), dst = r.nextInt(n - 1);
                if (dst >= src) dst++;
                moves.add(new CellExchange.Transfer(src, dst, new long[] {e}));
            }
            int[] sendDeg = new int[n], recvDeg = new int[n];
            int delta = 0;
            for (CellExchange.Transfer x : moves) delta = Math.max(delta, Math.max(++sendDeg[x.src()], ++recvDeg[x.dst()]));
            int[] c = CellExchange.colour(n, moves);
            int colours = 0;
            for (int v : c) colours = Math.max(colours, v + 1);
            assertThat(colours).as("graph " + g).isEqualTo(delta);
            boolean[][] sends = new boolean[delta][n], recvs = new boolean[delta][n];
            for (int e = 0; e < moves.size(); e++) {
                assertThat(sends[c[e]][moves.get(e).src()]).as("graph %d colour %d sender %d twice", g, c[e], moves.get(e).src()).isFalse();
                assertThat(recvs[c[e]][moves.get(e).dst()]).as("graph %d colour %d receiver %d twice", g, c[e], moves.get(e).dst()).isFalse();
                sends[c[e]][moves.get(e).src()] = true;
                recvs[c[e]][moves.get(e).dst()] = true;
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    static ReshardStep.Exchange exchange(MeshAttr m, TensorType t, TensorSharding from, TensorSharding to) {
        Layouts lay = new Layouts(MeshAtoms.of(m, t.shape(), List.of(from, to), "t", Location.UNKNOWN), t);
        Layouts.State s = lay.stateOf(from), g = lay.stateOf(to);
        assertThat(CellExchange.applies(lay, s, g)).as(from + " -> " + to).isTrue();
        return CellExchange.plan(lay, s, g);
    }

    static ReshardPlan plan(MeshAttr m, TensorType t, TensorSharding from, TensorSharding to, ReshardStep.Exchange x) {
        return new ReshardPlan(m, t, from, to, List.of(x), ReshardMinimalTest.lacking(m, t, from, to));
    }

    /**
     * Each round: distinct senders, distinct receivers. Over the moving pairs: each device receives exactly the cells
     * it lacks (bytes from the split). The collective rounds equal the larger of the most cells a device lacks and,
     * per group of devices holding the same source block (equal blocks of the split), the cells the group sends
     * spread over its members, rounded up: no schedule has fewer rounds (a device receives one cell per round, and
     * a group's cells leave through its members, one each per round), and a round count of that bound also means the
     * max degree of the schedule's own graph is met.
     */
    static void assertRoundsAreMatchingsAtTheDegree(MeshAttr m, TensorType t, TensorSharding from, TensorSharding to, ReshardStep.Exchange x) {
        String what = from + " -> " + to + " on " + m + ": " + x;
        int n = (int) m.totalSize();
        long cellBytes = 4;
        for (long c : x.cell()) cellBytes *= c;
        int[] recv = new int[n], sent = new int[n];
        for (ReshardStep.Exchange.Round r : x.rounds()) {
            boolean[] s = new boolean[n], d = new boolean[n];
            for (long[] p : r.pairs()) {
                assertThat(s[(int) p[0]]).as("sender %d twice in a round of %s", p[0], what).isFalse();
                assertThat(d[(int) p[1]]).as("receiver %d twice in a round of %s", p[1], what).isFalse();
                s[(int) p[0]] = d[(int) p[1]] = true;
                if (p[0] != p[1]) {
                    sent[(int) p[0]]++;
                    recv[(int) p[1]]++;
                }
            }
        }
        long[] lack = ReshardMinimalTest.lacking(m, t, from, to);
        long bound = 0;
        for (int dev = 0; dev < n; dev++) {
            assertThat(recv[dev] * cellBytes).as("device %d of %s", dev, what).isEqualTo(lack[dev]);
            bound = Math.max(bound, lack[dev] / cellBytes);
        }
        long[] ids = new long[(int) t.numElements()];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        List<HostArray> src = SpmdRunner.split(HostArray.fromLongs(TensorType.of(IntegerType.I64, t.shape()), ids), m, from);
        Map<HostArray, List<Integer>> groups = new HashMap<>();
        for (int dev = 0; dev < n; dev++) groups.computeIfAbsent(src.get(dev), k -> new ArrayList<>()).add(dev);
        for (List<Integer> g : groups.values()) {
            long out = 0;
            for (int dev : g) out += sent[dev];
            bound = Math.max(bound, (out + g.size() - 1) / g.size());
        }
        assertThat((long) x.collectives()).as(what).isEqualTo(bound);
        long own = 0;
        for (ReshardStep.Exchange.Round r : x.rounds()) for (long[] p : r.pairs()) if (p[0] == p[1]) own++;
        long cells = 1;
        for (int d = 0; d < t.rank(); d++) cells *= ReshardPlanner.localType(m, t, to).shape()[d] / x.cell()[d];
        long moved = 0;
        for (int v : recv) moved += v;
        assertThat(own + moved).as("cells placed in " + what).isEqualTo(cells * n);
    }

    /** Each axis (whole, or for size 4 split in halves) on a random dimension or none, in random order. */
    private static TensorSharding random(MeshAttr m, int rank, Random r) {
        List<List<io.hlo4j.mlir.dialect.sdy.AxisRef>> dims = new ArrayList<>();
        for (int d = 0; d < rank; d++) dims.add(new ArrayList<>());
        for (MeshAttr.Axis a : m.axes()) {
            List<io.hlo4j.mlir.dialect.sdy.AxisRef> parts = a.size() == 4 && r.nextBoolean()
                    ? List.of(io.hlo4j.mlir.dialect.sdy.AxisRef.sub(a.name(), 1, 2), io.hlo4j.mlir.dialect.sdy.AxisRef.sub(a.name(), 2, 2))
                    : List.of(io.hlo4j.mlir.dialect.sdy.AxisRef.of(a.name()));
            for (var p : parts) {
                int d = r.nextInt(rank + 1);
                if (d < rank) dims.get(d).add(r.nextInt(dims.get(d).size() + 1), p);
            }
        }
        return ReshardHarness.of(dims, List.of());
    }
}
