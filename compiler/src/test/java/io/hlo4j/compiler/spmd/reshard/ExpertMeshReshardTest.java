package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.spmd.ShardLayout;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.check;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.model;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The 5D model mesh (dp, fsdp, ep, tp, sp) to the 3D expert mesh (dp, expert, tp) and back, for every factorisation
 * of 8 devices and a sample of 16: activations P((fsdp, dp), sp, tp) to the expert layout P(dp, None, None) written
 * on the model mesh (view axis dp = the model axes folded into it) move at most the analytic lower bound, on the
 * busiest device, both ways; expert weights laid out for the view need no movement. The view's folding rule is
 * restated here (as {@code ExpertMeshView} documents it) so the test does not depend on the DSL.
 */
class ExpertMeshReshardTest {
    static final List<String> MODEL = List.of("dp", "fsdp", "ep", "tp", "sp");

    /** Model axes folded into the view's dp and expert axes, in model order. */
    record View(boolean fsdpIsEpBound, boolean spIsEpBound) {
        List<String> dpAxes() {
            List<String> out = new ArrayList<>();
            for (String a : MODEL) if (a.equals("dp") || a.equals("fsdp") && !fsdpIsEpBound || a.equals("sp") && !spIsEpBound) out.add(a);
            return out;
        }

        List<String> expertAxes() {
            List<String> out = new ArrayList<>();
            for (String a : MODEL) if (a.equals("ep") || a.equals("fsdp") && fsdpIsEpBound || a.equals("sp") && spIsEpBound) out.add(a);
            return out;
        }

        /** The 3D mesh (dp, expert, tp) over the model's devices: position (d, x, t) is the model device whose folded coordinates linearise to d and x. */
        MeshAttr mesh(MeshAttr model) {
            long dp = size(model, dpAxes()), ex = size(model, expertAxes()), tp = model.axisSize("tp");
            List<Long> ids = new ArrayList<>();
            long[] c = new long[MODEL.size()];
            for (long d = 0; d < dp; d++) {
                fill(model, dpAxes(), d, c);
                for (long x = 0; x < ex; x++) {
                    fill(model, expertAxes(), x, c);
                    for (long t = 0; t < tp; t++) {
                        c[3] = t;
                        long pos = 0;
                        for (int i = 0; i < c.length; i++) pos = pos * model.axes().get(i).size() + c[i];
                        ids.add(pos);
                    }
                }
            }
            return new MeshAttr(List.of(new MeshAttr.Axis("dp", dp), new MeshAttr.Axis("expert", ex), new MeshAttr.Axis("tp", tp)), ids);
        }

        private static void fill(MeshAttr m, List<String> axes, long index, long[] c) {
            for (int k = axes.size() - 1; k >= 0; k--) {
                int ai = MODEL.indexOf(axes.get(k));
                long s = m.axes().get(ai).size();
                c[ai] = index % s;
                index /= s;
            }
        }

        private static long size(MeshAttr m, List<String> axes) {
            long n = 1;
            for (String a : axes) n *= m.axisSize(a);
            return n;
        }

        @Override public String toString() { return (fsdpIsEpBound ? "" : "fsdp->dp ") + (spIsEpBound ? "" : "sp->dp"); }
    }

    static List<int[]> factorisations(int n) {
        List<int[]> out = new ArrayList<>();
        for (int dp = 1; dp <= n; dp *= 2) for (int f = 1; dp * f <= n; f *= 2) for (int e = 1; dp * f * e <= n; e *= 2)
            for (int t = 1; dp * f * e * t <= n; t *= 2) {
                int s = n / (dp * f * e * t);
                out.add(new int[] {dp, f, e, t, s});
            }
        return out;
    }

    static final TensorSharding ACT = ReshardHarness.spec("fsdp,dp", "sp", "tp");

    static TensorSharding expertAct(View v) { return ReshardHarness.spec(String.join(",", v.dpAxes()), "", ""); }

    /**
     * The table shows the default plans (what the partitioner emits); a second table lists the moves where they differ
     * in time or bytes from the {@link ReshardCost#TIGHT} plans. TIGHT plans move at most the lower bound per device; the default ones
     * are never slower under the model and never hold a block past the cap.
     */
    @Test
    void activationsToTheExpertLayoutAndBackOnEightDevices() {
        StringBuilder table = new StringBuilder();
        table.append("| mesh (dp,fsdp,ep,tp,sp) | view | 5D->3D B/device | lower bound | steps | 3D->5D B/device | lower bound | steps |\n");
        table.append("|---|---|---|---|---|---|---|---|\n");
        StringBuilder differ = new StringBuilder();
        differ.append("| mesh (dp,fsdp,ep,tp,sp) | view | move | default steps | B/device | time | TIGHT steps | B/device | time |\n");
        differ.append("|---|---|---|---|---|---|---|---|---|\n");
        List<View> views = List.of(new View(true, true), new View(false, true), new View(true, false), new View(false, false));
        TensorType act = f32(8, 8, 8);
        for (int[] f : factorisations(8)) {
            MeshAttr m = model(f[0], f[1], f[2], f[3], f[4]);
            for (View v : views) {
                boolean shown = v.fsdpIsEpBound() && v.spIsEpBound() || f[1] > 1 && f[4] > 1; // the default view everywhere, others where they differ most
                String mesh = f[0] + "," + f[1] + "," + f[2] + "," + f[3] + "," + f[4], view = v.toString().isBlank() ? "default" : v.toString().trim();
                ReshardPlan[] plans = new ReshardPlan[2];
                int i = 0;
                for (TensorSharding[] dir : List.of(new TensorSharding[] {ACT, expertAct(v)}, new TensorSharding[] {expertAct(v), ACT})) {
                    ReshardPlan def = shown ? check(m, act, dir[0], dir[1]) : ReshardPlanner.plan(m, act, dir[0], dir[1]);
                    ReshardPlan tight = ReshardPlanner.plan(m, act, dir[0], dir[1], ReshardHarness.LOC, ReshardCost.TIGHT);
                    assertThat(tight.maxBytes()).as(tight.toString()).isLessThanOrEqualTo(tight.lowerBoundBytes());
                    assertThat(ReshardCost.DEFAULT.seconds(def)).as(def + "\n  against " + tight).isLessThanOrEqualTo(ReshardCost.DEFAULT.seconds(tight));
                    long cap = 2 * Math.max(ReshardHarness.bytes(def.localInput()), ReshardHarness.bytes(def.localOutput()));
                    assertThat(def.peakBlockBytes()).as(def.toString()).isLessThanOrEqualTo(cap);
                    if (shown && (!micros(def).equals(micros(tight)) || def.maxBytes() != tight.maxBytes())) {
                        differ.append("| ").append(mesh).append(" | ").append(view).append(" | ").append(i == 0 ? "5D->3D" : "3D->5D")
                                .append(" | ").append(kinds(def)).append(" | ").append(def.maxBytes()).append(" | ").append(micros(def))
                                .append(" | ").append(kinds(tight)).append(" | ").append(tight.maxBytes()).append(" | ").append(micros(tight)).append(" |\n");
                    }
                    plans[i++] = def;
                }
                ReshardPlan there = plans[0], back = plans[1];
                if (shown) {
                    table.append("| ").append(mesh).append(" | ").append(view)
                            .append(" | ").append(there.maxBytes()).append(" | ").append(there.lowerBoundBytes()).append(" | ").append(kinds(there))
                            .append(" | ").append(back.maxBytes()).append(" | ").append(back.lowerBoundBytes()).append(" | ").append(kinds(back)).append(" |\n");
                }
            }
        }
        write("reshard-5d-3d-8.md", table);
        write("reshard-5d-3d-8-tight.md", differ);
        assertRowsInDoc(table, "docs/sharding-reshard.md");
        assertRowsInDoc(differ, "docs/sharding-reshard.md");
    }

    /** The plan's modeled time at the defaults, in microseconds with three decimals ("5.000 us"). */
    static String micros(ReshardPlan p) { return String.format(java.util.Locale.ROOT, "%.3f us", ReshardCost.DEFAULT.seconds(p) * 1e6); }

    @Test
    void expertWeightsLaidOutForTheViewNeedNoMovement() {
        TensorType w = f32(8, 4, 8); // [experts, d_model, d_ff]
        for (int[] f : factorisations(8)) {
            MeshAttr m = model(f[0], f[1], f[2], f[3], f[4]);
            for (View v : List.of(new View(true, true), new View(false, true), new View(true, false))) {
                MeshAttr view = v.mesh(m);
                TensorSharding onView = ReshardHarness.spec("expert", "", "tp");
                TensorSharding onModel = ReshardHarness.spec(String.join(",", v.expertAxes()), "", "tp");
                ShardLayout a = ShardLayout.of(view, onView, w.shape(), "w"), b = ShardLayout.of(m, onModel, w.shape(), "w");
                for (int d = 0; d < 8; d++) assertThat(a.blockIndex(d)).as("device " + d + " on " + view).containsExactly(b.blockIndex(d));
                ReshardPlan p = ReshardPlanner.plan(m, w, onModel, onModel);
                assertThat(p.steps()).isEmpty();
                assertThat(p.maxBytes()).isZero();
            }
        }
    }

    static String kinds(ReshardPlan p) {
        List<String> k = new ArrayList<>();
        for (ReshardStep s : p.steps()) {
            String name = switch (s) {
                case ReshardStep.LocalSlice x -> "slice";
                case ReshardStep.AllGather x -> "all_gather" + x.axes();
                case ReshardStep.AllToAll x -> "all_to_all" + x.axes();
                case ReshardStep.CollectivePermute x -> "permute";
                case ReshardStep.Exchange x -> "exchange(" + x.collectives() + " rounds)";
                case ReshardStep.AllReduce x -> "all_reduce" + x.axes();
                case ReshardStep.ReduceScatter x -> "reduce_scatter" + x.axes();
            };
            k.add(name.replace("\"", ""));
        }
        return k.isEmpty() ? "none" : String.join(" + ", k);
    }

    static void write(String name, CharSequence text) {
        try {
            Path out = Path.of("target", name);
            Files.createDirectories(out.getParent());
            Files.writeString(out, text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every row of a table a test computed (header included) must appear in the doc that shows it, compared cell by
     * cell with the cells' padding ignored: the doc's numbers are the ones the code gives.
     */
    static void assertRowsInDoc(CharSequence table, String doc) {
        Path path = Path.of("").toAbsolutePath().getParent().resolve(doc);
        java.util.Set<String> docRows;
        try {
            docRows = Files.readAllLines(path).stream().map(ExpertMeshReshardTest::cells).collect(java.util.stream.Collectors.toSet());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        List<String> missing = table.toString().lines().filter(l -> l.startsWith("|")).filter(l -> !docRows.contains(cells(l))).toList();
        org.assertj.core.api.Assertions.assertThat(missing).as("rows of the computed table missing from " + path).isEmpty();
    }

    private static String cells(String row) {
        return java.util.Arrays.stream(row.strip().split("\\|", -1)).map(String::strip).collect(java.util.stream.Collectors.joining("|"));
    }
}
