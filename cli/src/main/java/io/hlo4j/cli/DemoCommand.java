package io.hlo4j.cli;

import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.ep.EpCostModel;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.EpShapes;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code hlo4j demo}: the whole path on one small model. Traces the DSL's Mixtral-style MoE layer (top-2 of a
 * softmax router, renormalised; SwiGLU experts; seeded weights from {@link MoeReference#inputs}), summarises its
 * StableHLO, runs it unpartitioned on the interpreter (the oracle), partitions it with expert parallelism for a 5D
 * mesh of 8 simulated devices through hlo4j's own partitioner ({@link MeshMoeRun}) and runs that, compares both
 * with the plain-Java {@link MoeReference}, and prints the agreement, timings and the collectives report. With a
 * PJRT plugin it also runs the unpartitioned program there; a plugin that refuses it is reported in one line and
 * does not fail the demo. Exit 1 when a comparison that ran disagrees.
 */
@Command(name = "demo",
        description = {"Trace, partition and run a Mixtral-style MoE block (the whole hlo4j path, on simulated devices).",
                "Traces the DSL's MoE layer (8 tokens, hidden 16, 4 experts, FFN 32, top-2, seeded weights), prints a",
                "summary of its StableHLO, runs it on the interpreter, partitions it with expert parallelism for a 5D",
                "mesh of 8 simulated devices with hlo4j's partitioner, runs that, and checks both against the",
                "unpartitioned result and a plain-Java reference (exit 1 if they differ). With a PJRT plugin",
                "(--pjrt-plugin or HLO4J_PJRT_PLUGIN) the unpartitioned program also runs there; a refusal is reported.",
                "--print and --no-run run nothing: they refuse --pjrt-plugin and leave HLO4J_PJRT_PLUGIN unused."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j demo", "  hlo4j demo --mesh dp=2,ep=2,tp=2 --ep-mode ring", "  hlo4j demo --print > moe_layer.mlir"})
final class DemoCommand extends CliCommand {
    /** The demo's default mesh: every model axis but dp and sp used, 8 devices. */
    static final String MESH = "dp=1,fsdp=2,ep=2,tp=2,sp=1";

    @Option(names = "--print", description = "Print the traced program's whole StableHLO text instead of running the demo.")
    boolean print;

    @Option(names = "--no-run", description = "Only trace and summarise; run nothing.")
    boolean noRun;

    @Option(names = "--mesh", paramLabel = "AXIS=SIZE,...", defaultValue = MESH,
            description = "The 5D model mesh of simulated devices (default " + MESH + ").")
    String mesh;

    @Option(names = "--ep-mode", paramLabel = "MODE", defaultValue = "auto",
            description = "auto, replicated, token-sharded or ring (default auto: the fewest bytes moved).")
    String epMode;

    @picocli.CommandLine.Mixin PjrtFlags pjrt;

    /** The plugin this run also uses (checked), or null. */
    private java.nio.file.Path pjrtPlugin;

    /** Seed of the demo's inputs; fixed so every machine prints the same numbers. */
    static final long SEED = 42;
    /** Largest |a - b| accepted between two runs or against the reference: f32 arithmetic, values of order 1. */
    static final double TOLERANCE = 1e-4;

    /** The block as an hlo4j MoE config: Mixtral's routing (softmax, top-2, renormalised) and SwiGLU experts. */
    static MoeConfig config() {
        return MoeConfig.of(MoeReference.EXPERTS, MoeReference.TOP_K, MoeReference.HIDDEN, MoeReference.FFN);
    }

    /** The layer's arguments by name: x [1, 8, 16], gate [16, 4], wi (w1), wu (w3) [4, 16, 32], wd (w2) [4, 32, 16]. */
    static Map<String, HostArray> arrays(MoeReference.Inputs in) {
        Map<String, HostArray> a = new LinkedHashMap<>();
        a.put("x", f32(in.x(), 1, MoeReference.TOKENS, MoeReference.HIDDEN));
        a.put("gate", f32(in.router(), MoeReference.HIDDEN, MoeReference.EXPERTS));
        a.put("wi", f32(in.w1(), MoeReference.EXPERTS, MoeReference.HIDDEN, MoeReference.FFN));
        a.put("wu", f32(in.w3(), MoeReference.EXPERTS, MoeReference.HIDDEN, MoeReference.FFN));
        a.put("wd", f32(in.w2(), MoeReference.EXPERTS, MoeReference.FFN, MoeReference.HIDDEN));
        return a;
    }

    @Override public Integer call() throws java.io.IOException {
        EpMode mode;
        try {
            mode = EpMode.parse(epMode);
        } catch (IllegalArgumentException e) {
            throw usage("--ep-mode: " + e.getMessage());
        }
        Mesh meshObj = DumpCommand.parseMesh(mesh, null);
        // a missing or non-library plugin is refused before the demo's work (one that loads but cannot compile is reported)
        if (print || noRun) pjrt.unused((print ? "--print" : "--no-run") + " runs nothing");
        else pjrtPlugin = pjrt.use();
        MoeConfig cfg = config();
        MeshMoeRun.FusedPlan plan = print ? null : plan(cfg, meshObj, mode);
        MoeReference.Inputs in = MoeReference.inputs(SEED);
        Map<String, HostArray> a = arrays(in);
        List<String> names = new ArrayList<>(a.keySet()), outNames = new ArrayList<>();
        HostArray[] argv = a.values().toArray(HostArray[]::new);
        long t0 = System.nanoTime();
        Lowered lowered = SourceLoc.asBuiltin("demo", () -> Jit.jit(MoeRunCommand.layer(cfg, names, outNames)).lower((Object[]) argv));
        double traceMs = ms(t0);
        if (print) {
            out().print(lowered.asText());
            out().flush();
            return Main.OK;
        }
        out().println("hlo4j demo: Mixtral-style MoE block traced with the DSL (8 tokens, hidden 16, 4 experts, FFN 32, top-2, "
                + "SwiGLU, seed " + SEED + ") in " + fmt(traceMs) + " ms");
        out().print(ModuleSummary.of(lowered.module()).format());
        if (noRun) {
            out().println("see the program: hlo4j demo --print");
            out().flush();
            return Main.OK;
        }
        int code = run(cfg, meshObj, mode, plan, lowered, outNames, argv, a, in);
        out().println("see the program: hlo4j demo --print; run it sharded on your data: hlo4j moe run --mesh ...");
        out().flush();
        return code;
    }

    /**
     * Plans and traces the expert-parallel program for the mesh, once: a mesh or mode the run would refuse is refused
     * before any work, with the run's own message, and with --no-run too; the run partitions and runs this program.
     */
    private static MeshMoeRun.FusedPlan plan(MoeConfig cfg, Mesh meshObj, EpMode mode) {
        return SourceLoc.asBuiltin("demo", () -> MeshMoeRun.planFused(cfg, meshObj, mode, MoeReference.TOKENS, MoeReference.FFN, DType.F32, io.hlo4j.dsl.moe.ep.EpBiases.NONE));
    }

    private int run(MoeConfig cfg, Mesh meshObj, EpMode mode, MeshMoeRun.FusedPlan plan, Lowered lowered, List<String> outNames, HostArray[] argv,
                    Map<String, HostArray> a, MoeReference.Inputs in) {
        long t0 = System.nanoTime();
        List<HostArray> res = lowered.compile(io.hlo4j.runtime.backend.Backend.interpreter()).call(argv);
        double oracleMs = ms(t0);
        HostArray y = res.get(outNames.indexOf("output")), logits = res.get(outNames.indexOf("router_logits"));
        out().printf(Locale.ROOT, "unpartitioned, on the interpreter: %s ms%n", fmt(oracleMs));

        MeshMoeRun p = SourceLoc.asBuiltin("demo", () -> MeshMoeRun.fused(plan, a));
        out().printf(Locale.ROOT, "partitioned for mesh %s (%d simulated devices), EP mode %s%s%n", CollectivesReport.describe(meshObj),
                meshObj.size(), p.mode().cliName(), mode == EpMode.AUTO ? " (picked by auto: " + why(cfg, meshObj, p) + ")" : " (asked for)");
        out().printf(Locale.ROOT, "  trace %s ms, partition (Spmd.explicit) %s ms, run on %d devices %s ms; %s%n",
                fmt(p.traceMs()), fmt(p.partitionMs()), meshObj.size(), fmt(p.runMs()), CollectivesReport.count(p.run().log().size()));

        MoeReference.Outputs ref = MoeReference.compute(in);
        double[] pY = p.results().get("output").toDoubleArray(), pL = p.results().get("router_logits").toDoubleArray();
        double partVsOracleY = maxAbsDiff(pY, y.toDoubleArray()), partVsOracleL = maxAbsDiff(pL, logits.toDoubleArray());
        double oracleVsRefY = maxAbsDiff(y.toDoubleArray(), ref.y()), oracleVsRefL = maxAbsDiff(logits.toDoubleArray(), ref.logits());
        double partVsRefY = maxAbsDiff(pY, ref.y());
        boolean routing = sameRouting(p.results().get("selected_experts").toLongArray(), ref.experts());
        out().println("agreement (max |a - b|, limit " + fmt(TOLERANCE) + "):");
        out().printf(Locale.ROOT, "  partitioned vs unpartitioned: output %s, router logits %s%n", fmt(partVsOracleY), fmt(partVsOracleL));
        out().printf(Locale.ROOT, "  unpartitioned vs Java reference: output %s, router logits %s%n", fmt(oracleVsRefY), fmt(oracleVsRefL));
        out().printf(Locale.ROOT, "  partitioned vs Java reference: output %s; top-2 experts of every token %s%n", fmt(partVsRefY),
                routing ? "agree" : "DIFFER");
        out().println("collectives (bytes per device; bound: ring-algorithm lower bound; expected: uniform routing):");
        CollectivesReport.table(out(), p);

        boolean ok = routing;
        for (double e : new double[] {partVsOracleY, partVsOracleL, oracleVsRefY, oracleVsRefL, partVsRefY}) ok &= e <= TOLERANCE;
        if (pjrtPlugin != null) ok &= pjrt(lowered, argv, y);
        if (!ok) {
            out().flush();
            err().println("hlo4j: demo: a comparison failed (limit " + TOLERANCE + "; see the agreement lines above)");
            return Main.FAILED;
        }
        return Main.OK;
    }

    /** The estimates of the modes the shapes allow, cheapest first, as the reason AUTO picked its mode. */
    private static String why(MoeConfig cfg, Mesh meshObj, MeshMoeRun p) {
        ExpertParallelMoe ep = new ExpertParallelMoe(cfg, ExpertMeshView.of(meshObj, cfg.fsdpIsEpBound(), cfg.spIsEpBound()), EpMode.AUTO);
        EpShapes s = ep.shapes(MoeReference.TOKENS, MoeReference.FFN, DType.F32);
        List<String> parts = new ArrayList<>();
        for (EpMode m : ep.allowed(MoeReference.TOKENS)) parts.add(m.cliName() + " " + Math.round(EpCostModel.estimate(s, m).total()) + " B");
        return "the fewest bytes per device of " + String.join(", ", parts);
    }

    /** Runs the unpartitioned program on the plugin; a refusal is reported and is not a failed comparison. */
    private boolean pjrt(Lowered lowered, HostArray[] argv, HostArray oracleY) {
        List<HostArray> res;
        long t0 = System.nanoTime();
        try (io.hlo4j.runtime.backend.PjrtBackend backend = io.hlo4j.runtime.backend.PjrtBackend.open(pjrtPlugin, pjrt.createOptions())) {
            res = lowered.compile(backend).call(argv);
        } catch (RuntimeException e) {
            out().println("pjrt " + pjrtPlugin + ": did not run the program: " + Diagnostics.describe(null, e));
            return true;
        }
        double err = maxAbsDiff(res.get(0).toDoubleArray(), oracleY.toDoubleArray());
        out().printf(Locale.ROOT, "pjrt %s: ran in %s ms; output vs interpreter %s%n", pjrtPlugin, fmt(ms(t0)), fmt(err));
        return err <= TOLERANCE;
    }

    static boolean sameRouting(long[] selected, int[][] ref) {
        for (int t = 0; t < ref.length; t++) {
            java.util.Set<Long> mine = java.util.Set.of(selected[t * 2], selected[t * 2 + 1]);
            if (!mine.equals(java.util.Set.of((long) ref[t][0], (long) ref[t][1]))) return false;
        }
        return true;
    }

    private static double ms(long t0) { return (System.nanoTime() - t0) / 1e6; }

    static String fmt(double v) {
        return v == 0 ? "0" : Math.abs(v) >= 0.1 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.1e", v);
    }

    /** The two largest logits of token t, the lower index first on a tie, as the program's routing picks them. */
    static int[] top2(double[] logits, int t) {
        int e = MoeReference.EXPERTS;
        int first = 0;
        for (int i = 1; i < e; i++) if (logits[t * e + i] > logits[t * e + first]) first = i;
        int second = first == 0 ? 1 : 0;
        for (int i = 0; i < e; i++) if (i != first && logits[t * e + i] > logits[t * e + second]) second = i;
        return new int[] {first, second};
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalStateException("sizes differ: " + a.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    private static HostArray f32(float[] values, long... shape) {
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), values);
    }
}
