package io.hlo4j.cli;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLosses;
import io.hlo4j.dsl.moe.MoeRouter;
import io.hlo4j.dsl.moe.MoeRouting;
import io.hlo4j.dsl.moe.ep.DispatchBound;
import io.hlo4j.dsl.moe.ep.EpCostModel;
import io.hlo4j.dsl.moe.ep.EpBiases;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The MoE layer of {@code moe run} on the simulated devices of a 5D model mesh, through hlo4j's own partitioner:
 * the global annotated module is traced, {@link Spmd#explicit} turns it into the per-device module, and
 * {@link SpmdRunner} runs that on every device and gathers the results, logging each collective.
 * FUSED runs with expert parallelism ({@link ExpertParallelMoe}, a shard_map over the whole mesh, in the EP mode
 * asked for or the one AUTO picks); STANDARD and DENSE are partitioned from their sharding annotations (data over
 * (dp, fsdp), experts over ep, the intermediate dimension over tp), or refused with the partitioner's reason.
 * The results carry the same names as the unpartitioned run's; for FUSED, the routing outputs and metrics the EP
 * program does not return are recomputed, unpartitioned, from the router logits it does return.
 *
 * @param results by output name, as {@code moe run} without a mesh returns them
 * @param mode the EP mode that ran (FUSED), else null
 * @param estimate the cost model's entries for that mode (FUSED), else null
 * @param bound token-sharded dispatch and combine with more than one expert shard: the analytic lower bound per device
 *              for the routing this run made, else null
 * @param run the partitioned run: results and the log of collectives
 * @param annotated the global module with Shardy annotations
 * @param program the explicit per-device program
 * @param traceMs, partitionMs, runMs wall times of the three stages
 */
record MeshMoeRun(Map<String, HostArray> results, EpMode mode, EpCostModel.Estimate estimate, DispatchBound bound, SpmdRun run, Module annotated,
                  PartitionedProgram program, double traceMs, double partitionMs, double runMs) {

    String annotatedText() { return MlirPrinter.print(annotated); }

    String explicitText() { return MlirPrinter.print(program.module()); }

    /** Runs {@code cfg}'s method on {@code mesh}; arrays as {@link MoeRunInputs} loads them (x is [B, S, H]). */
    static MeshMoeRun run(MoeConfig cfg, Mesh mesh, EpMode mode, Map<String, HostArray> arrays) {
        if (cfg.moeMethod() != MoEMethods.FUSED_MOE) return annotatedOnly(cfg, mesh, mode, arrays);
        HostArray x = arrays.get("x");
        long[] xs = x.shape();
        return fused(planFused(cfg, mesh, mode, xs[0] * xs[1], arrays.get("wi").shape()[2], DType.of(x.elementType()),
                biases(arrays)), arrays);
    }

    /**
     * The expert-parallel FUSED program for N tokens, intermediate size M, x's dtype and biases, planned and traced once:
     * a caller that checks a mesh before running ({@code hlo4j demo}) keeps this and runs it with {@link #fused}.
     *
     * @param traceMs wall time of planning and tracing
     */
    record FusedPlan(MoeConfig cfg, ExpertMeshView view, EpCostModel.Estimate estimate, Module annotated, long tokens,
                     EpBiases biases, double traceMs) {}

    /** Plans and traces the EP program; a mesh, mode or shape that does not fit is refused with the planner's message. */
    static FusedPlan planFused(MoeConfig cfg, Mesh mesh, EpMode mode, long n, long m, DType xType, EpBiases biases) {
        long t0 = System.nanoTime();
        try {
            ExpertMeshView view = ExpertMeshView.of(mesh, cfg.fsdpIsEpBound(), cfg.spIsEpBound());
            ExpertParallelMoe ep = new ExpertParallelMoe(cfg, view, mode);
            EpCostModel.Estimate est = ep.plan(n, m, xType);
            Module annotated = ep.lowerAnnotated(n, m, xType, biases);
            return new FusedPlan(cfg, view, est, annotated, n, biases, ms(t0, System.nanoTime()));
        } catch (io.hlo4j.dsl.moe.MoeException e) {
            // the shapes or the mode do not fit the mesh: the message names them; the location would be this file
            throw new IllegalArgumentException(Diagnostics.firstLine(e.detail()));
        }
    }

    /** Which of the three biases the weights carry: any subset, as the one-device layer takes. */
    private static EpBiases biases(Map<String, HostArray> a) {
        return EpBiases.given(a.get("wi_bias"), a.get("wu_bias"), a.get("wd_bias"));
    }

    /** Partitions and runs a planned EP program on {@code a}, which must have the shapes it was planned for. */
    static MeshMoeRun fused(FusedPlan plan, Map<String, HostArray> a) {
        MoeConfig cfg = plan.cfg();
        HostArray x = a.get("x");
        long[] xs = x.shape();
        long n = xs[0] * xs[1], h = xs[2];
        if (n != plan.tokens() || !biases(a).equals(plan.biases())) {
            throw new IllegalStateException("MeshMoeRun: planned for " + plan.tokens() + " tokens with " + plan.biases()
                    + ", given " + n + " tokens with " + biases(a));
        }
        EpBiases biases = plan.biases();
        HostArray ids = a.containsKey("token_ids") ? a.get("token_ids").reshape(n).convert(IntegerType.I32) : positions(n, xs[1]);
        ExpertMeshView view = plan.view();
        EpCostModel.Estimate est = plan.estimate();
        Module annotated = plan.annotated();
        long t1 = System.nanoTime();
        PartitionedProgram pp = partition(annotated, "expert-parallel FUSED (" + est.mode().cliName() + ")");
        long t2 = System.nanoTime();
        List<HostArray> args = new ArrayList<>(List.of(x.reshape(n, h), ids, a.get("gate"), a.get("wi"), a.get("wu"), a.get("wd")));
        args.addAll(biases.pick(a.get("wi_bias"), a.get("wu_bias"), a.get("wd_bias")));
        SpmdRun run = SpmdRunner.run(pp.module(), pp.mesh(), args, pp.argShardings(), pp.resultShardings(), pp.resultTypes());
        List<HostArray> out = run.results();
        if (out.size() > 4) {
            long[] dropped = out.get(4).toLongArray();
            for (int d = 0; d < dropped.length; d++) {
                if (dropped[d] != 0) throw new IllegalArgumentException("moe run --mesh: token-sharded dispatch dropped " + dropped[d] + " rows on device " + d);
            }
        }
        HostArray logits = out.get(1);
        Map<String, HostArray> routing = routeFromLogits(cfg, logits, ids, xs[1]);
        long t3 = System.nanoTime();
        if (!Arrays.equals(routing.get("expert_loads").toLongArray(), out.get(2).toLongArray())) {
            // both count the same routing of the same logits: a difference is a bug, never a result
            throw new IllegalArgumentException("moe run --mesh: the partitioned program's expert loads " + Arrays.toString(out.get(2).toLongArray())
                    + " differ from the loads of its own router logits " + Arrays.toString(routing.get("expert_loads").toLongArray()));
        }
        DispatchBound bound = null;
        if (est.mode() == EpMode.TOKEN_SHARDED && out.size() > 3) {
            // the bound for the routing that ran; the program's own count of the pairs it sent must agree with it
            try {
                bound = DispatchBound.of(cfg, view, routing.get("selected_experts"));
                bound.checkSent(out.get(3));
            } catch (io.hlo4j.dsl.moe.MoeException e) {
                throw new IllegalArgumentException("moe run --mesh: " + Diagnostics.firstLine(e.detail()));
            }
        }
        Map<String, HostArray> r = new LinkedHashMap<>();
        r.put("output", out.get(0).reshape(xs[0], xs[1], h));
        r.put("router_logits", logits);
        r.put("expert_loads", out.get(2));
        routing.forEach((k, v) -> { if (!r.containsKey(k)) r.put(k, v); });
        return new MeshMoeRun(r, est.mode(), est, bound, run, annotated, pp, plan.traceMs(), ms(t1, t2), ms(t2, t3));
    }

    /**
     * Selected experts and weights and the metrics, from the router logits alone (the router is per token, so the
     * partitioned program's logits route exactly as the unpartitioned program's): an unpartitioned program routes
     * them with the config's strategy and computes {@link MoeLosses#metrics}.
     */
    static Map<String, HostArray> routeFromLogits(MoeConfig cfg, HostArray logits, HostArray ids, long seqLen) {
        List<String> names = new ArrayList<>();
        List<HostArray> res = Jit.jit("route", v -> {
            Tensor l = (Tensor) v[0];
            MoeRouting r = MoeRouter.route(cfg, MoeFusedHooks.none(), l, ignored -> l, null, (Tensor) v[1], seqLen);
            Map<String, Tensor> m = MoeLosses.metrics(cfg, r).asMap();
            m.remove("router_probs"); // moe run does not write them
            names.clear();
            names.addAll(m.keySet());
            return new ArrayList<>(m.values());
        }).lower(logits, ids).compile(io.hlo4j.runtime.backend.Backend.interpreter()).call(logits, ids);
        Map<String, HostArray> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) out.put(names.get(i), res.get(i));
        return out;
    }

    /** STANDARD and DENSE: the whole layer with sharding annotations on its arguments, partitioned by Spmd.explicit. */
    private static MeshMoeRun annotatedOnly(MoeConfig cfg, Mesh mesh, EpMode mode, Map<String, HostArray> a) {
        String method = cfg.moeMethod().value();
        if (mode != EpMode.AUTO) {
            throw new Main.UsageError("--ep-mode " + mode.cliName() + " applies to the fused method only, the method is " + method);
        }
        List<String> names = new ArrayList<>(a.keySet());
        List<NamedSharding> in = new ArrayList<>();
        for (String nm : names) {
            in.add(switch (nm) {
                case "x" -> NamedSharding.of(mesh, new String[] {"dp", "fsdp"}, "sp", null);
                case "token_ids" -> NamedSharding.of(mesh, new String[] {"dp", "fsdp"}, "sp");
                case "wi", "wu" -> NamedSharding.of(mesh, "ep", null, "tp");
                case "wd" -> NamedSharding.of(mesh, "ep", "tp", null);
                default -> null;
            });
        }
        HostArray[] argv = a.values().toArray(HostArray[]::new);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, NamedSharding> byName = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            shapes.put(names.get(i), argv[i].type().shape());
            byName.put(names.get(i), in.get(i));
        }
        MoeMeshFit.require("moe run --mesh: the " + method + " method on mesh " + mesh.describe(), mesh, shapes, byName);
        List<String> outNames = new ArrayList<>();
        long t0 = System.nanoTime();
        Module annotated;
        try {
            // outputs: as many unconstrained shardings as the layer has results (traced once to count them)
            Jit.jit(MoeRunCommand.layer(cfg, names, outNames)).lower((Object[]) argv);
            annotated = ShardedJit.jit("main", MoeRunCommand.layer(cfg, names, new ArrayList<>()), in,
                    Collections.nCopies(outNames.size(), null)).lower((Object[]) argv).module();
        } catch (Hlo4jException e) {
            throw new IllegalArgumentException("moe run --mesh: the " + method + " method on mesh " + mesh.describe() + ": " + Diagnostics.describe(null, e));
        }
        long t1 = System.nanoTime();
        PartitionedProgram pp = partition(annotated, "the " + method + " method");
        long t2 = System.nanoTime();
        SpmdRun run = SpmdRunner.run(pp.module(), pp.mesh(), List.of(argv), pp.argShardings(), pp.resultShardings(), pp.resultTypes());
        long t3 = System.nanoTime();
        Map<String, HostArray> r = new LinkedHashMap<>();
        for (int i = 0; i < outNames.size(); i++) r.put(outNames.get(i), run.results().get(i));
        return new MeshMoeRun(r, null, null, null, run, annotated, pp, ms(t0, t1), ms(t1, t2), ms(t2, t3));
    }

    private static PartitionedProgram partition(Module annotated, String what) {
        try {
            return Spmd.explicit(annotated);
        } catch (Hlo4jException e) {
            throw new IllegalArgumentException("moe run --mesh: hlo4j's partitioner cannot partition " + what + ": " + Diagnostics.describe(null, e));
        }
    }

    static HostArray positions(long n, long seqLen) {
        long[] v = new long[(int) n];
        for (int i = 0; i < n; i++) v[i] = i % seqLen;
        return HostArray.fromLongs(TensorType.of(IntegerType.I32, n), v);
    }

    private static double ms(long from, long to) { return (to - from) / 1e6; }
}
