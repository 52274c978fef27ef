package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLosses;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeRouter;
import io.hlo4j.dsl.moe.MoeRouting;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.dsl.shard.Collectives;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardMapRun;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardMap;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * The FUSED MoE method with expert parallelism, written per shard inside a fully manual shard_map over the 5D
 * model mesh, the expert mesh being a view of it ({@link EpLayout}): experts split over the folded expert axes,
 * the expert intermediate dimension over tp (the down projection's partial sums reduce-scattered over tp, so the
 * output is split over tp on H), tokens over the folded dp axes and, in the token-sharded and ring modes, over the
 * expert axes too. Each shard routes its own tokens (the router is per token), so router logits and expert loads
 * come out of the same program. Run directly on simulated devices with {@link ShardMapRun} ({@link #run}), or traced
 * into the caller's own sharded program with {@link #apply}.
 *
 * <p>Global arguments: x [N, H], token ids [N] i32 (HASH routing; positions n mod S by default), the gate kernel
 * [H, E], wi, wu [E, H, M], wd [E, M, H] and any subset of the three biases ({@link EpBiases}). Results: output [N, H], router logits
 * [N, E], expert loads [E] i32 and, token-sharded only, the rows each device sent to each shard [devices, X] and the
 * rows each device dropped [devices].
 */
public final class ExpertParallelMoe {
    private final MoeConfig config;
    private final EpLayout layout;
    private final EpMode requested;
    private final long capacity;
    private final MoeFusedHooks<Tensor> hooks;

    public ExpertParallelMoe(MoeConfig config, ExpertMeshView view, EpMode mode) { this(config, new EpLayout(view), mode, -1, MoeFusedHooks.none()); }

    private ExpertParallelMoe(MoeConfig config, EpLayout layout, EpMode mode, long capacity, MoeFusedHooks<Tensor> hooks) {
        if (config == null || layout == null || mode == null) throw new MoeException("ExpertParallelMoe: config, mesh view and mode are required");
        this.config = config;
        this.layout = layout;
        this.requested = mode;
        this.capacity = capacity;
        this.hooks = hooks;
    }

    /**
     * The same layer with the user's hooks ({@link EpHooks} says where each runs). A hook that would need values no
     * device holds is refused here, by name: with tp > 1, after_wiwu and before_wo (a device holds M/Q columns of
     * h) and after_wo and before_combine (a device's y is a partial sum over tp).
     */
    public ExpertParallelMoe withHooks(MoeFusedHooks<Tensor> hooks) {
        if (hooks == null) throw new MoeException("ExpertParallelMoe.withHooks: hooks must not be null (MoeFusedHooks.none() for none)", SourceLoc.here());
        EpHooks.requireLocal(hooks, layout, SourceLoc.here());
        return new ExpertParallelMoe(config, layout, requested, capacity, hooks);
    }

    public MoeFusedHooks<Tensor> hooks() { return hooks; }

    /** The token-sharded receive buffer that never overflows: every shard of the group sending every token, T X rows. */
    public long worstCase(long tokens) { return tokens / layout.dpSize(); }

    /** Token-sharded only: a receive buffer of {@code rows} rows per device instead of the worst case. */
    public ExpertParallelMoe withCapacity(long rows) {
        if (rows < 1) throw new MoeException("ExpertParallelMoe: capacity must be at least 1 row, got " + rows);
        return new ExpertParallelMoe(config, layout, requested, rows, hooks);
    }

    public EpLayout layout() { return layout; }

    public EpShapes shapes(long tokens, long intermediate, DType xType) {
        return new EpShapes(tokens, config.hiddenSize(), intermediate, config.nRoutedExperts(), config.slotsPerToken(), bytes(xType),
                bytes(MoeRouter.computeDtype(config)), layout.dpSize(), layout.expertSize(), layout.tpSize());
    }

    /** The modes these shapes allow (token counts that divide, per-token routing where tokens are split). */
    public List<EpMode> allowed(long tokens) {
        List<EpMode> ok = new ArrayList<>();
        for (EpMode m : List.of(EpMode.REPLICATED, EpMode.RING, EpMode.TOKEN_SHARDED)) if (whyNot(m, tokens) == null) ok.add(m);
        return ok;
    }

    /** The mode that runs and its estimate: the requested one, or for AUTO the cheapest allowed. */
    public EpCostModel.Estimate plan(long tokens, long intermediate, DType xType) {
        EpShapes s = shapes(tokens, intermediate, xType);
        if (requested == EpMode.AUTO) {
            List<EpMode> ok = allowed(tokens);
            // replicated splits tokens the least, so its reason is why no mode fits
            if (ok.isEmpty()) throw new MoeException("expert-parallel FUSED, mode auto: no mode fits: " + whyNot(EpMode.REPLICATED, tokens), SourceLoc.here());
            return EpCostModel.choose(s, ok);
        }
        String why = whyNot(requested, tokens);
        if (why != null) throw new MoeException("expert-parallel FUSED, mode " + requested.cliName() + ": " + why, SourceLoc.here());
        return EpCostModel.estimate(s, requested);
    }

    private String whyNot(EpMode m, long n) {
        int d = layout.dpSize(), x = layout.expertSize();
        long split = m == EpMode.REPLICATED ? d : (long) d * x;
        String axes = m == EpMode.REPLICATED ? "dp axes " + layout.dpAxes() : "dp and expert axes " + layout.dpAndExpertAxes();
        if (n % split != 0) return "the " + n + " tokens do not divide over the " + split + " shards of the " + axes + " on mesh " + layout.mesh().describe();
        if (config.routingStrategy() == MoeRoutingStrategy.EXPERT_CHOICE && split > 1) {
            return "expert_choice routing ranks tokens across the batch, so it cannot route tokens split over the " + split + " shards of the " + axes;
        }
        return null;
    }

    /** A traced program and how it was planned: the direct per-device run, or (lowerAnnotated) the global module. */
    public record Program(EpMode mode, EpCostModel.Estimate estimate, ShardMapRun run, EpBiases biases, Module annotated) {}

    /** Traces the program for N tokens of dtype {@code xType}, intermediate size M, with all three biases or none. */
    public Program trace(long tokens, long intermediate, DType xType, boolean biases) { return trace(tokens, intermediate, xType, EpBiases.of(biases)); }

    /**
     * Traces the program for N tokens of dtype {@code xType}, intermediate size M, with the given biases. The program
     * is the per-device body, whose [N, H] output is before finalize_output (that hook sees the layer's [B, S, H]
     * output on one device, as {@link #run} applies it); so with finalize_output set this is refused by name instead
     * of returning a program whose output silently skips the hook.
     */
    public Program trace(long tokens, long intermediate, DType xType, EpBiases biases) {
        if (hooks.isSet(io.hlo4j.dsl.moe.HookPoint.FINALIZE_OUTPUT)) {
            throw new MoeException("ExpertParallelMoe.trace: finalize_output is set, and the traced program's output comes before it (the hook sees "
                    + "the layer's [B, S, H] output); use run or apply, which apply it, or trace without that hook and apply it to the result", SourceLoc.here());
        }
        return trace(tokens, intermediate, xType, biases, false, false, new long[] {tokens, config.hiddenSize()});
    }

    /** What the mode asks of the shard_map: its in/out specs (the global arguments' order) and the receive buffer. */
    private record Specs(EpMode mode, EpCostModel.Estimate estimate, List<PartitionSpec> in, List<PartitionSpec> out, long capacity) {}

    /** Checks the sizes against the mesh, plans the mode and writes the shard_map's specs. */
    private Specs specs(long tokens, long intermediate, DType xType, EpBiases biases) {
        long h = config.hiddenSize(), m = intermediate;
        int e = config.nRoutedExperts(), x = layout.expertSize(), q = layout.tpSize();
        String where = "expert-parallel FUSED on mesh " + layout.mesh().describe();
        if (e % x != 0) throw new MoeException(where + ": " + e + " experts do not divide over the " + x + " shards of the expert axes " + layout.expertAxes(), SourceLoc.here());
        if (m % q != 0 || h % q != 0) {
            throw new MoeException(where + ": intermediate size " + m + " and hidden size " + h + " must divide by tp = " + q, SourceLoc.here());
        }
        EpCostModel.Estimate est = plan(tokens, intermediate, xType);
        EpMode mode = est.mode();
        long cap = capacity > 0 ? capacity : worstCase(tokens);
        if (capacity > 0 && mode != EpMode.TOKEN_SHARDED) throw new MoeException(where + ": a capacity applies to token-sharded dispatch only, the mode is " + mode.cliName(), SourceLoc.here());

        List<String> tokAxes = mode == EpMode.REPLICATED ? layout.dpAxes() : layout.dpAndExpertAxes();
        List<String> ex = layout.expertAxes(), tp = List.of("tp"), none = List.of();
        List<PartitionSpec> in = new ArrayList<>(List.of(EpLayout.spec(tokAxes), EpLayout.spec(tokAxes), PartitionSpec.replicated(),
                EpLayout.spec(ex, none, tp), EpLayout.spec(ex, none, tp), EpLayout.spec(ex, tp, none)));
        in.addAll(biases.pick(EpLayout.spec(ex, tp), EpLayout.spec(ex, tp), EpLayout.spec(ex)));
        if (layout.needsPositions()) in.add(layout.positionsSpec());
        List<PartitionSpec> out = new ArrayList<>(List.of(EpLayout.spec(tokAxes, tp), EpLayout.spec(tokAxes), PartitionSpec.replicated()));
        if (mode == EpMode.TOKEN_SHARDED && x > 1) out.addAll(List.of(EpLayout.spec(layout.allAxes()), EpLayout.spec(layout.allAxes())));
        return new Specs(mode, est, in, out, cap);
    }

    private Program trace(long tokens, long intermediate, DType xType, EpBiases biases, boolean annotated, boolean gradient, long[] xShape) {
        if (annotated && hooks.isSet(io.hlo4j.dsl.moe.HookPoint.FINALIZE_OUTPUT)) {
            throw new MoeException("ExpertParallelMoe.lowerAnnotated" + (gradient ? "Gradient" : "") + ": finalize_output sees the layer's [B, S, H] output, which this [N, H] program "
                    + "does not know; use apply inside your own ShardedJit program, or apply the hook to the result", SourceLoc.here());
        }
        long h = config.hiddenSize(), m = intermediate;
        int e = config.nRoutedExperts();
        Specs plan = specs(tokens, intermediate, xType, biases);
        EpCostModel.Estimate est = plan.estimate();
        EpMode mode = plan.mode();
        long cap = plan.capacity();
        List<PartitionSpec> in = plan.in(), out = plan.out();
        DType compute = MoeRouter.computeDtype(config);
        List<Object> specs = new ArrayList<>(List.of(Spec.of(xType, tokens, h), Spec.of(DType.I32, tokens), Spec.of(xType, h, e),
                Spec.of(xType, e, h, m), Spec.of(xType, e, h, m), Spec.of(xType, e, m, h)));
        specs.addAll(biases.pick(Spec.of(xType, e, m), Spec.of(xType, e, m), Spec.of(xType, e, h)));
        // the annotated routes make the positions inside the global function; the direct run takes them as an argument
        List<PartitionSpec> outerIn = layout.needsPositions() ? in.subList(0, in.size() - 1) : in;
        if (annotated && gradient) {
            // d/d(x, gate, wi, wu, wd[, biases]) of sum(output * cotangent), the cotangent an extra last argument
            List<NamedSharding> inS = new ArrayList<>(), outS = new ArrayList<>();
            for (PartitionSpec sp : outerIn) inS.add(new NamedSharding(layout.mesh(), sp));
            inS.add(new NamedSharding(layout.mesh(), out.get(0)));
            List<Integer> wrt = new ArrayList<>(List.of(0, 2, 3, 4, 5));
            for (int i = 0; i < biases.count(); i++) wrt.add(6 + i);
            for (int i : wrt) outS.add(inS.get(i));
            List<Object> gspecs = new ArrayList<>(specs);
            gspecs.add(Spec.of(DType.F32, tokens, h));
            int nArgs = outerIn.size();
            Lowered l = ShardedJit.jit("moe_ep_grad_" + mode.cliName().replace('-', '_'), io.hlo4j.dsl.grad.Grad.grad(a -> {
                Tensor[] ts = withPositions(java.util.Arrays.copyOf(a, nArgs, Tensor[].class));
                Tensor y = ShardMap.shardMap(layout.mesh(), in, out, b -> body(b, mode, compute, biases, cap, xShape), ts).get(0);
                return io.hlo4j.dsl.Reductions.sum(Ops.mul(y.astype(DType.F32), (Tensor) a[nArgs]), 0, 1);
            }, wrt.stream().mapToInt(Integer::intValue).toArray()), inS, outS).lower(gspecs.toArray());
            return new Program(mode, est, null, biases, l.module());
        }
        if (annotated) {
            List<NamedSharding> inS = new ArrayList<>(), outS = new ArrayList<>();
            for (PartitionSpec sp : outerIn) inS.add(new NamedSharding(layout.mesh(), sp));
            for (PartitionSpec sp : out) outS.add(new NamedSharding(layout.mesh(), sp));
            Lowered l = ShardedJit.jit("moe_ep_" + mode.cliName().replace('-', '_'), a -> {
                Tensor[] ts = withPositions(java.util.Arrays.copyOf(a, a.length, Tensor[].class));
                return ShardMap.shardMap(layout.mesh(), in, out, b -> body(b, mode, compute, biases, cap, xShape), ts);
            }, inS, outS).lower(specs.toArray());
            return new Program(mode, est, null, biases, l.module());
        }
        List<Object> runSpecs = new ArrayList<>(specs);
        if (layout.needsPositions()) runSpecs.add(Spec.of(DType.I32, layout.mesh().size()));
        ShardMapRun run = ShardMapRun.trace("moe_ep_" + mode.cliName().replace('-', '_'), layout.mesh(), in, out,
                a -> body(a, mode, compute, biases, cap, xShape), runSpecs);
        return new Program(mode, est, run, biases, null);
    }

    /** The shard_map operands with, on a non-iota mesh, the devices' positions (an iota over the mesh) appended. */
    private Tensor[] withPositions(Tensor[] args) {
        if (!layout.needsPositions()) return args;
        Tensor[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = Ops.arange(layout.mesh().size(), DType.I32);
        return all;
    }

    /** The direct run's global arguments with, on a non-iota mesh, the devices' positions appended. */
    private List<HostArray> withPositions(List<HostArray> args) {
        if (layout.needsPositions()) args.add(positions(layout.mesh().size(), layout.mesh().size()));
        return args;
    }

    /**
     * The same program as the global module XLA's Shardy partitioner consumes (ShardedJit: one {@code sdy.mesh},
     * the 5D model mesh; the body in a {@code sdy.manual_computation} over every axis; in/out shardings on the
     * arguments and results), for the partitioner route and for XLA.
     */
    public Module lowerAnnotated(long tokens, long intermediate, DType xType, boolean biases) {
        return lowerAnnotated(tokens, intermediate, xType, EpBiases.of(biases));
    }

    /** {@link #lowerAnnotated(long, long, DType, boolean)} with the given subset of the biases. */
    public Module lowerAnnotated(long tokens, long intermediate, DType xType, EpBiases biases) {
        return trace(tokens, intermediate, xType, biases, true, false, new long[] {tokens, config.hiddenSize()}).annotated();
    }

    /**
     * The global annotated module of the gradients of {@code sum(output * cotangent)} (cotangent [N, H] f32, the
     * last argument) with respect to x, the gate, wi, wu, wd and the biases. Needs the autodiff's VJP of
     * {@code sdy.manual_computation}.
     */
    public Module lowerAnnotatedGradient(long tokens, long intermediate, DType xType, boolean biases) {
        return lowerAnnotatedGradient(tokens, intermediate, xType, EpBiases.of(biases));
    }

    /** {@link #lowerAnnotatedGradient(long, long, DType, boolean)} with the given subset of the biases (their gradients in the order wi, wu, wd). */
    public Module lowerAnnotatedGradient(long tokens, long intermediate, DType xType, EpBiases biases) {
        return trace(tokens, intermediate, xType, biases, true, true, new long[] {tokens, config.hiddenSize()}).annotated();
    }

    /**
     * The traced results of {@link #apply}: output shaped like x, router logits [N, E], expert loads [E] i32 (summed
     * over the mesh) and, token-sharded with more than one expert shard only, the rows each device sent to each shard
     * [devices, X] and the rows each device dropped [devices] (else null; with the default capacity none is ever dropped).
     * {@code tokenIds} is the ids tensor apply was given (null when it used positions) and {@code period} the S of
     * those positions: {@link #metrics(Applied)} reuses them, and the checked form refuses others (HASH routing would
     * redo another selection from the same logits).
     */
    public record Applied(EpMode mode, Tensor output, Tensor routerLogits, Tensor expertLoads, Tensor sentRows, Tensor droppedRows,
                          Tensor tokenIds, long period) {}

    /**
     * {@link #apply(Tensor, Tensor, long, Tensor, ExpertWeights)} without token ids or a sequence length, which only HASH
     * routing reads: a layer that routes by hash is refused by name here (it needs the ids or the positions' period).
     */
    public Applied apply(Tensor x, Tensor gate, ExpertWeights w) {
        requireNotHash("ExpertParallelMoe.apply", "apply(x, tokenIds, seqLen, gate, w)");
        return apply(x, null, 1, gate, w);
    }

    private void requireNotHash(String op, String instead) {
        if (config.routingStrategy() == MoeRoutingStrategy.HASH) {
            throw new MoeException(op + ": HASH routing needs the token ids or the sequence length (positions n mod S): call " + instead,
                    SourceLoc.here());
        }
    }

    /**
     * The expert-parallel layer as a traced op, inside the caller's {@link ShardedJit} trace (and under
     * {@link io.hlo4j.dsl.grad.Grad} there): emits this program's {@code sdy.manual_computation} over the layout's mesh.
     * The arguments may carry any sharding the caller's program gives them; the partitioner reshards them to what the
     * body needs (tokens over the mode's token axes, experts over the expert axes, M over tp) and back. The caller's
     * sharded jit must declare the layout's mesh and no other (an equal mesh, same name, axes, sizes and devices, is
     * the same mesh); anything else, and a plain {@code Jit} trace (no mesh), is refused by name.
     *
     * @param x        [B, S, H] or [N, H] hidden states
     * @param tokenIds integers laid out like x's tokens, [B, S] or [N] (HASH routing only), or null for positions n mod S
     * @param seqLen   S, for the positions when {@code tokenIds} is null under HASH routing (for x [B, S, H], x's S)
     * @param gate     the gate kernel [H, E]
     * @param w        wi, wu [E, H, M], wd [E, M, H] and any subset of the three biases, in x's dtype
     */
    public Applied apply(Tensor x, Tensor tokenIds, long seqLen, Tensor gate, ExpertWeights w) {
        io.hlo4j.mlir.ir.Location loc = SourceLoc.here();
        String op = "ExpertParallelMoe.apply";
        requireCallerMesh(op, loc);
        if (w == null) throw new MoeException(op + ": the expert weights are missing (ExpertWeights.of(wi, wu, wd))", loc);
        EpArguments.Checked c = EpArguments.check(config, op, EpArguments.Arg.of(x), EpArguments.Arg.of(tokenIds), seqLen, EpArguments.Arg.of(gate),
                EpArguments.Arg.of(w.wi()), EpArguments.Arg.of(w.wu()), EpArguments.Arg.of(w.wd()), EpArguments.Arg.of(w.wiBias()),
                EpArguments.Arg.of(w.wuBias()), EpArguments.Arg.of(w.wdBias()), loc);
        long n = c.tokens(), m = c.intermediate(), h = config.hiddenSize();
        DType xType = c.xType();
        EpBiases biases = c.biases();
        Tensor ids = tokenIds != null ? tokenIds.reshape(n).astype(DType.I32)
                : Ops.rem(Ops.arange(n, DType.I32), Ops.scalar(c.positionsPeriod(), DType.I32));
        Specs sp = specs(n, m, xType, biases);
        DType compute = MoeRouter.computeDtype(config);
        List<Tensor> args = c.assemble(x.reshape(n, h), ids, gate, w.wi(), w.wu(), w.wd(), w.wiBias(), w.wuBias(), w.wdBias());
        List<Tensor> r = ShardMap.shardMap(layout.mesh(), sp.in(), sp.out(), b -> body(b, sp.mode(), compute, biases, sp.capacity(), x.dims()),
                withPositions(args.toArray(Tensor[]::new)));
        return new Applied(sp.mode(), EpHooks.finalizeOutput(hooks, r.get(0), x.dims()).reshape(x.dims()), r.get(1), r.get(2),
                r.size() > 3 ? r.get(3) : null, r.size() > 3 ? r.get(4) : null, tokenIds, c.positionsPeriod());
    }

    /** The caller's sharded trace must declare this layout's mesh and only it: the body's collectives are written on it. */
    private void requireCallerMesh(String op, io.hlo4j.mlir.ir.Location loc) {
        Mesh mine = layout.mesh();
        List<io.hlo4j.mlir.ir.Operation> decls = ShardedJit.meshDeclarations(loc);
        if (decls.isEmpty()) {
            throw new MoeException(op + ": needs a sharded trace (ShardedJit.jit with shardings on mesh @" + mine.name() + " " + mine.describe()
                    + "); this trace declares no mesh (a plain Jit.jit), and the expert-parallel body is per-device code on that mesh", loc);
        }
        for (io.hlo4j.mlir.ir.Operation d : decls) {
            String name = ((io.hlo4j.mlir.attr.StringAttr) d.attr("sym_name")).value();
            io.hlo4j.mlir.dialect.sdy.MeshAttr mesh = (io.hlo4j.mlir.dialect.sdy.MeshAttr) d.attr("mesh");
            if (name.equals(mine.name()) && mine.toSdy().equals(mesh)) continue;
            String head = op + ": the caller's sharded jit uses mesh @" + name + " " + describe(mesh) + ", but the expert layout's mesh is @" + mine.name()
                    + " " + mine.describe() + "; ";
            boolean sameShape = mesh.axisNames().equals(mine.axisNames()) && mesh.totalSize() == mine.size() && sameSizes(mesh, mine);
            if (sameShape) {
                // the model axes and sizes match, only the name or device order differ: the layer can live on the caller's mesh
                // (a non-iota device order included: the body then reads each device's position, EpLayout)
                boolean fsdp = layout.expertAxes().contains("fsdp"), sp = layout.expertAxes().contains("sp");
                throw new MoeException(head + "build the layer on the caller's mesh instead: new ExpertParallelMoe(config, ExpertMeshView.of(callerMesh"
                        + (fsdp && sp ? "" : ", " + fsdp + ", " + sp) + "), mode)", loc);
            }
            throw new MoeException(head + "shard the whole program on the layout's model mesh (ExpertMeshView.modelMesh, axes "
                    + ExpertMeshView.MODEL_AXES + ") so the partitioner can reshard between the caller's values and the expert-parallel body", loc);
        }
    }

    private static String sizesOf(Mesh m) {
        StringBuilder sb = new StringBuilder("(");
        for (String a : ExpertMeshView.MODEL_AXES) sb.append(sb.length() > 1 ? ", " : "").append(m.axisSize(a));
        return sb.append(')').toString();
    }

    private static boolean sameSizes(io.hlo4j.mlir.dialect.sdy.MeshAttr a, Mesh m) {
        for (io.hlo4j.mlir.dialect.sdy.MeshAttr.Axis x : a.axes()) if (x.size() != m.axisSize(x.name())) return false;
        return true;
    }

    /** A Shardy mesh in {@link Mesh#describe}'s format, so one message prints both meshes alike. */
    private static String describe(io.hlo4j.mlir.dialect.sdy.MeshAttr mesh) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < mesh.axes().size(); i++) sb.append(i == 0 ? "" : ", ").append(mesh.axes().get(i));
        sb.append(']');
        if (!mesh.deviceIds().isEmpty()) sb.append(" device_ids=").append(mesh.deviceIds());
        return sb.toString();
    }

    /**
     * The shape refine_inputs_hook is told: a dp share of x ([B/D, S, H] for x [B, S, H], EasyDeL's shard_map block;
     * [N/D, H] for x [N, H]). A share that is not whole sequences (D does not divide B) has no such shape, so the hook
     * is refused there by name.
     */
    private long[] shareShape(long[] xShape) {
        int d = layout.dpSize();
        if (xShape.length == 3 && xShape[0] % d != 0) {
            if (hooks.refineInputsHook() == null) return new long[] {xShape[0] * xShape[1] / d, xShape[2]};
            throw new MoeException("ExpertParallelMoe: refine_inputs_hook sees each dp share of x as [B/D, S, H], but the batch of x "
                    + java.util.Arrays.toString(xShape) + " does not divide over the " + d + " shards of the dp axes " + layout.dpAxes()
                    + " on mesh " + layout.mesh().describe() + "; use a batch that divides (as EasyDeL requires), or a mesh with fewer dp shards", SourceLoc.here());
        }
        long[] s = xShape.clone();
        s[0] /= d;
        return s;
    }

    private List<Tensor> body(List<Tensor> a, EpMode mode, DType compute, EpBiases biases, long cap, long[] xShape) {
        Tensor xl = a.get(0), ids = a.get(1), gate = a.get(2);
        // the given biases follow wd in the order wi, wu, wd: each read from its own argument
        int next = 6;
        Tensor wiB = biases.wi() ? a.get(next++).astype(compute) : null;
        Tensor wuB = biases.wu() ? a.get(next++).astype(compute) : null;
        Tensor wdB = biases.wd() ? a.get(next++).astype(compute) : null;
        // on a non-iota mesh the device's position comes last (EpLayout.positionsSpec)
        EpLayout layout = this.layout.needsPositions() ? this.layout.at(a.get(next++)) : this.layout;
        if (a.size() != next) {
            throw new MoeException("ExpertParallelMoe: the body got " + a.size() + " arguments for " + biases, SourceLoc.here());
        }
        ExpertWeights w = new ExpertWeights(a.get(3).astype(compute), a.get(4).astype(compute), a.get(5).astype(compute), wiB, wuB, wdB);
        BinaryOperator<Tensor> act = BaseMoeModule.activation(config, null, null);
        int e = config.nRoutedExperts(), x = layout.expertSize(), q = layout.tpSize();
        List<String> tokenAxes = mode == EpMode.REPLICATED ? layout.dpAxes() : layout.dpAndExpertAxes();
        EpTokenViews views = new EpTokenViews(layout, tokenAxes, mode == EpMode.REPLICATED ? List.of() : layout.expertAxes());
        MoeRouting r = EpHooks.route(config, hooks, views, xl, xShape, BaseMoeModule.linearGate(gate), ids);
        Tensor lo = Ops.mul(layout.expertIndex(), Ops.scalar(e / x, DType.I32));
        Tensor tpIdx = layout.tpIndex();
        Tensor tokens = EpHooks.refineInputs(hooks, views, xl.astype(compute), r.weights(), shareShape(xShape));
        Tensor sel = r.weights(), comb = EpHooks.outputWeights(hooks, views, sel);
        DType acc = MoeRouter.accumDtype(config);
        // a narrow compute dtype (bf16) rounds each expert output once, after the whole sum over M, as one device does:
        // with tp > 1 each row's f32 partials are then reduce-scattered over tp before that rounding (LocalExperts.ffn)
        DType rowsOverTp = q > 1 && EpCostModel.narrow(compute, acc) ? acc : null;
        List<Tensor> extra = new ArrayList<>();
        Tensor y;
        List<String> loadAxes;
        switch (mode) {
            case REPLICATED -> {
                y = LocalExperts.partial(tokens, r.experts(), sel, comb, w, act, lo, tpIdx, compute, acc, rowsOverTp, hooks);
                if (q > 1 && rowsOverTp == null) y = Collectives.psumScatter(y, 1, "tp");
                if (x > 1) y = Collectives.psum(y, layout.expertArray());
                loadAxes = layout.dpAxes();
            }
            case RING -> {
                Tensor tg = tokens, eg = r.experts(), sg = sel, cg = comb;
                if (x > 1) {
                    // without refine_inputs_hook the tokens travel as given (x's dtype) and are cast on arrival, as one
                    // device casts them before any hook: scale_replicated_inputs then sees compute-dtype rows
                    tg = hooks.refineInputsHook() == null ? Collectives.allGather(xl, 0, layout.expertArray()).astype(compute)
                            : Collectives.allGather(tokens, 0, layout.expertArray());
                    eg = Collectives.allGather(r.experts(), 0, layout.expertArray());
                    sg = Collectives.allGather(sel, 0, layout.expertArray());
                    cg = comb == sel ? sg : Collectives.allGather(comb, 0, layout.expertArray());
                }
                y = LocalExperts.partial(tg, eg, sg, cg, w, act, lo, tpIdx, compute, acc, rowsOverTp, hooks);
                if (q > 1 && rowsOverTp == null) y = Collectives.psumScatter(y, 1, "tp");
                if (x > 1) y = Collectives.psumScatter(y, 0, layout.expertArray());
                loadAxes = layout.dpAndExpertAxes();
            }
            case TOKEN_SHARDED -> {
                if (x > 1 && hooks.scaleReplicatedInputs() != null) {
                    // scale_replicated_inputs sees its dp share's rows [T X k, H], token-major, as in EasyDeL; each
                    // device then dispatches its own scaled rows, one per slot (k rows per token), and sums them back
                    long t = xl.dim(0), k = r.slots();
                    Tensor rows = views.shareToDevice(BaseMoeModule.replicateRows(hooks, views.deviceToShare(tokens), views.deviceToShare(sel), compute));
                    TokenDispatch.Out o = TokenDispatch.run(layout, rows, r.experts().reshape(t * k, 1), comb.reshape(t * k, 1), w,
                            act, capacity > 0 ? cap : cap * k, compute, acc, rowsOverTp, hooks.without(io.hlo4j.dsl.moe.HookPoint.SCALE_REPLICATED_INPUTS));
                    y = io.hlo4j.dsl.Reductions.sum(o.output().reshape(t, k, o.output().dim(1)), 1);
                    extra.add(o.sent().reshape(1, x));
                    extra.add(o.overflow());
                } else if (x > 1) {
                    TokenDispatch.Out o = TokenDispatch.run(layout, tokens, r.experts(), comb, w, act, cap, compute, acc, rowsOverTp, hooks);
                    y = o.output();
                    extra.add(o.sent().reshape(1, x));
                    extra.add(o.overflow());
                } else {
                    y = LocalExperts.partial(tokens, r.experts(), sel, comb, w, act, lo, tpIdx, compute, acc, rowsOverTp, hooks);
                }
                if (q > 1 && rowsOverTp == null) y = Collectives.psumScatter(y, 1, "tp");
                loadAxes = layout.dpAndExpertAxes();
            }
            default -> throw new MoeException("ExpertParallelMoe: unresolved mode " + mode);
        }
        Tensor loads = MoeLosses.expertLoads(r, e);
        if (!loadAxes.isEmpty() && layout.mesh().axisSize(loadAxes) > 1) loads = Collectives.psum(loads, loadAxes.toArray(String[]::new));
        List<Tensor> res = new ArrayList<>(List.of(y.astype(compute), r.logits(), loads));
        res.addAll(extra);
        return res;
    }

    /**
     * The results of a run, global; {@code idShape} is the shape of the token ids the run was given, or null when it
     * used positions n mod {@code period} ({@link #metrics} checks its own arguments against both).
     */
    public record Result(HostArray output, HostArray routerLogits, HostArray expertLoads, HostArray sentRows, Program program,
                         long[] idShape, long period) {
        public EpMode mode() { return program.mode(); }
    }

    /**
     * Runs on the model mesh's devices (simulated). {@code x} [B, S, H] or [N, H]; {@code tokenIds} integers laid out
     * like x's tokens, [B, S] or [N] (HASH routing only; refused otherwise), or null for positions n mod S
     * ({@code seqLen} = S, which for x [B, S, H] must be x's S). Biases: any subset (null for a missing one). The arguments are checked
     * by {@link EpArguments}, as {@link #apply} and {@link #gradients} check them.
     */
    public Result run(HostArray x, HostArray tokenIds, long seqLen, HostArray gate, HostArray wi, HostArray wu, HostArray wd,
                      HostArray wiBias, HostArray wuBias, HostArray wdBias) {
        EpArguments.Checked c = checkHost("ExpertParallelMoe.run", x, tokenIds, seqLen, gate, wi, wu, wd, wiBias, wuBias, wdBias);
        long n = c.tokens();
        Program p = trace(n, c.intermediate(), c.xType(), c.biases(), false, false, x.shape());
        List<HostArray> args = withPositions(c.assemble(x.reshape(n, config.hiddenSize()), hostIds(c, tokenIds), gate, wi, wu, wd, wiBias, wuBias, wdBias));
        List<HostArray> out = p.run().run(args);
        HostArray sent = null;
        if (out.size() > 3) {
            sent = out.get(3);
            long[] dropped = out.get(4).toLongArray();
            // with scale_replicated_inputs set, token-sharded dispatch sends one row per (token, slot)
            boolean scaled = hooks.scaleReplicatedInputs() != null;
            for (int d = 0; d < dropped.length; d++) {
                if (dropped[d] > 0) {
                    throw new MoeException("expert-parallel FUSED, token-sharded: device " + d + " received " + dropped[d]
                            + (scaled ? " (token, slot)" : " (token, shard)") + " rows more than its capacity of " + capacity
                            + " rows; raise the capacity (worst case " + worstCase(n) * (scaled ? config.slotsPerToken() : 1) + ")", SourceLoc.here());
                }
            }
        }
        return new Result(EpHooks.finalizeOutput(hooks, out.get(0), x.shape()), out.get(1), out.get(2), sent, p,
                tokenIds == null ? null : tokenIds.shape(), c.positionsPeriod());
    }

    /**
     * The router's metrics and losses of a run ({@link MoeMetrics}: expert loads, router probabilities, selections,
     * load-balancing and z losses as the config asks, utilization, entropy), as the one-device layer reports them.
     * The router works per token and depends only on its logits (and, for HASH, the ids), and the run returns the
     * global router logits [N, E]; so the selection is redone from them on one device by the same
     * {@link MoeRouter} and {@link MoeLosses} code the layer traces: no hidden-size work, O(N E) (plus a sort per
     * token). The EP program itself stays free of the global loss reductions.
     *
     * @param tokenIds the ids given to {@link #run} (HASH only), or null for positions within the sequence
     */
    public MoeMetrics<HostArray> metrics(Result r, HostArray tokenIds, long seqLen) {
        BaseMoeModule.requireHashForTokenIds(config, "ExpertParallelMoe.metrics", tokenIds == null ? null : tokenIds.type().toString());
        HostArray logits = r.routerLogits();
        long n = logits.shape()[0];
        boolean hash = config.routingStrategy() == MoeRoutingStrategy.HASH;
        if (tokenIds != null && (r.idShape() == null || !java.util.Arrays.equals(tokenIds.shape(), r.idShape())
                || !DType.of(tokenIds.elementType()).isInteger())) {
            throw new MoeException("ExpertParallelMoe.metrics: token ids " + EpArguments.Arg.of(tokenIds).text()
                    + (r.idShape() == null ? " were not given to the run (it used positions n mod " + r.period() + "); pass null"
                    : " must be the integer ids given to run, shaped " + java.util.Arrays.toString(r.idShape())), SourceLoc.here());
        }
        if (tokenIds == null && hash && (r.idShape() != null || seqLen != r.period())) {
            throw new MoeException("ExpertParallelMoe.metrics: " + (r.idShape() != null
                    ? "the run was given token ids " + java.util.Arrays.toString(r.idShape()) + "; pass the same ids"
                    : "sequence length " + seqLen + " differs from the run's " + r.period() + " (hash routing uses positions n mod S)"), SourceLoc.here());
        }
        HostArray ids = tokenIds != null ? tokenIds.reshape(n).convert(IntegerType.I32) : positions(n, hash ? seqLen : 1);
        java.util.Map<String, HostArray> m = io.hlo4j.dsl.jit.Jit.jit("moe_ep_metrics", a -> fromLogits((Tensor) a[0], (Tensor) a[1]).asMap())
                .callMap(logits, ids);
        return new MoeMetrics<>(m.get("expert_loads"), m.get("router_probs"), m.get("selected_experts"), m.get("selected_weights"),
                java.util.Optional.ofNullable(m.get("load_balancing_loss")), java.util.Optional.ofNullable(m.get("router_z_loss")),
                m.get("expert_utilization"), m.get("routing_entropy"));
    }

    /**
     * {@link #metrics(Result, HostArray, long)} inside the caller's trace, on the logits {@link #apply} returned: the
     * losses (load balancing, z-loss, as the config asks) and metrics as traced tensors, so that a loss built on
     * {@code apply} can add them and be differentiated (their gradients reach the gate through the logits). The
     * selection is redone from the global logits [N, E] with the layer's own router and loss code, O(N E), outside
     * the expert-parallel body; the partitioner places it like any other op of the caller's program. The token ids
     * (or positions) are the ones {@code apply} used, kept in {@code applied}.
     */
    public MoeMetrics<Tensor> metrics(Applied applied) {
        io.hlo4j.mlir.ir.Location loc = SourceLoc.here();
        if (applied == null) throw new MoeException("ExpertParallelMoe.metrics: no Applied given (the result of apply)", loc);
        return tracedMetrics(applied);
    }

    /**
     * {@link #metrics(Applied)}, with the ids and sequence length given again: they must be those {@code apply} was
     * given (the same ids tensor, or null and, under HASH routing, the same S), else refused by name, as
     * {@link #metrics(Result, HostArray, long)} refuses a run's.
     *
     * @param tokenIds the ids tensor given to {@code apply} (HASH only), or null when it used positions n mod {@code seqLen}
     * @param seqLen   the sequence length given to {@code apply} (compared under HASH routing without ids only)
     */
    public MoeMetrics<Tensor> metrics(Applied applied, Tensor tokenIds, long seqLen) {
        io.hlo4j.mlir.ir.Location loc = SourceLoc.here();
        if (applied == null) throw new MoeException("ExpertParallelMoe.metrics: no Applied given (the result of apply)", loc);
        BaseMoeModule.requireHashForTokenIds(config, "ExpertParallelMoe.metrics", tokenIds == null ? null : tokenIds.type().toString());
        boolean hash = config.routingStrategy() == MoeRoutingStrategy.HASH;
        if (tokenIds != applied.tokenIds()) {
            throw new MoeException("ExpertParallelMoe.metrics: " + (applied.tokenIds() == null
                    ? "token ids " + tokenIds.type() + " were not given to apply (it used positions n mod " + applied.period() + "); pass null"
                    : tokenIds == null ? "apply was given token ids " + applied.tokenIds().type() + "; pass the same ids tensor"
                    : "token ids " + tokenIds.type() + " are not the ids tensor given to apply (" + applied.tokenIds().type() + "); pass that tensor")
                    + ", or call metrics(applied)", loc);
        }
        if (tokenIds == null && hash && seqLen != applied.period()) {
            throw new MoeException("ExpertParallelMoe.metrics: sequence length " + seqLen + " differs from apply's " + applied.period()
                    + " (hash routing uses positions n mod S); pass " + applied.period() + ", or call metrics(applied)", loc);
        }
        return tracedMetrics(applied);
    }

    private MoeMetrics<Tensor> tracedMetrics(Applied applied) {
        Tensor logits = applied.routerLogits();
        long n = logits.dim(0);
        Tensor ids = applied.tokenIds() != null ? applied.tokenIds().reshape(n).astype(DType.I32)
                : Ops.rem(Ops.arange(n, DType.I32), Ops.scalar(applied.period(), DType.I32));
        return fromLogits(logits, ids);
    }

    /** The metrics of the router's selection redone from the run's global logits [N, E] and ids [N] (traced). */
    private MoeMetrics<Tensor> fromLogits(Tensor logits, Tensor ids) {
        // the identity gate: the layer's logits are the router's input here
        // the run's logits are after_gate's result: the router hooks after it select again as the run did
        MoeFusedHooks<Tensor> after = hooks.without(io.hlo4j.dsl.moe.HookPoint.BEFORE_GATE).without(io.hlo4j.dsl.moe.HookPoint.AFTER_GATE);
        // the gate returns the logits as given: the router's cast of its input to the compute dtype would round
        // f32 logits an after_gate returned in a bf16 layer, which the run selected from unrounded
        MoeRouter.Front f = MoeRouter.front(config, after, logits, null);
        return MoeLosses.metrics(config, selectPerShare(f, ids));
    }

    /**
     * The selection as the run made it from the global front end {@code f}: select_hook and refine_weights_hook on
     * each dp share of N/D tokens (EpHooks.route), the strategy's per-token rules on all N at once.
     */
    private MoeRouting selectPerShare(MoeRouter.Front f, Tensor ids) {
        int d = layout.dpSize();
        long n = f.scores().dim(0), per = n / d;
        boolean share = d > 1 && (hooks.isSet(io.hlo4j.dsl.moe.HookPoint.SELECT_HOOK) || hooks.isSet(io.hlo4j.dsl.moe.HookPoint.REFINE_WEIGHTS_HOOK));
        if (!share) return MoeRouter.select(config, hooks, f, ids, 1);
        List<Tensor> experts = new ArrayList<>(), weights = new ArrayList<>();
        int slotsK = 0;
        for (int i = 0; i < d; i++) {
            MoeRouting s = MoeRouter.select(config, hooks, f.rows(i * per, per), Ops.slice(ids, new long[] {i * per}, new long[] {(i + 1) * per}), 1);
            experts.add(s.experts());
            weights.add(s.weights());
            slotsK = s.slotsK();
        }
        return new MoeRouting(f.logits(), f.probs(), Ops.concat(0, experts), Ops.concat(0, weights), slotsK);
    }

    /**
     * Gradients of {@code sum(output * cotangent)} with respect to x [N, H], the gate kernel, wi, wu, wd and (when
     * given) the biases, global, in that order. Each device differentiates its own body (the collectives transposed
     * over the same groups, the ragged all-to-alls by {@link RaggedExchange}); its per-device loss is its output
     * block against the cotangent's, divided by the number of devices holding that block. An argument replicated
     * over some axes gets one partial gradient per replica, and the global gradient is their sum.
     */
    public List<HostArray> gradients(HostArray x, HostArray tokenIds, long seqLen, HostArray gate, HostArray wi, HostArray wu, HostArray wd,
                                     HostArray wiBias, HostArray wuBias, HostArray wdBias, HostArray cotangent) {
        EpArguments.Checked c = checkHost("ExpertParallelMoe.gradients", x, tokenIds, seqLen, gate, wi, wu, wd, wiBias, wuBias, wdBias);
        long h = config.hiddenSize();
        long n = c.tokens();
        EpBiases biases = c.biases();
        if (cotangent == null || !java.util.Arrays.equals(cotangent.shape(), x.shape()) && !java.util.Arrays.equals(cotangent.shape(), new long[] {n, h})) {
            throw new MoeException("ExpertParallelMoe.gradients: cotangent " + (cotangent == null ? "is missing" : EpArguments.Arg.of(cotangent).text())
                    + " must be shaped like x " + EpArguments.Arg.of(x).text() + " (or [" + n + ", " + h + "]): one [" + h + "] row per token, in x's order", SourceLoc.here());
        }
        Program p = trace(n, c.intermediate(), c.xType(), biases, false, false, x.shape());
        ShardMapRun fwd = p.run();
        if (hooks.isSet(io.hlo4j.dsl.moe.HookPoint.FINALIZE_OUTPUT)) {
            // finalize_output sees the global output: its VJP, on one device at the run's output, gives the body's cotangent
            HostArray y = fwd.run(withPositions(c.assemble(x.reshape(n, h), hostIds(c, tokenIds), gate, wi, wu, wd, wiBias, wuBias, wdBias))).get(0);
            cotangent = EpHooks.cotangentBeforeFinalize(hooks, y, cotangent.reshape(n, h), x.shape(), MoeRouter.accumDtype(config));
        }
        List<PartitionSpec> in = new ArrayList<>();
        for (var s : fwd.inShardings()) in.add(s.spec());
        PartitionSpec outSpec = fwd.outShardings().get(0).spec();
        in.add(outSpec);
        int rep = 1;
        for (String a : fwd.outShardings().get(0).replicatedAxes()) rep *= layout.mesh().axisSize(a);
        int nArgs = in.size() - 1;
        List<Integer> wrt = new ArrayList<>(List.of(0, 2, 3, 4, 5));
        for (int i = 0; i < biases.count(); i++) wrt.add(6 + i);
        int[] argnums = wrt.stream().mapToInt(Integer::intValue).toArray();
        double scale = 1.0 / rep;
        DType compute = MoeRouter.computeDtype(config);
        long cap = capacity > 0 ? capacity : worstCase(n);
        List<PartitionSpec> out = new ArrayList<>();
        for (int i : argnums) out.add(in.get(i));
        List<Object> specs = new ArrayList<>();
        List<HostArray> args = withPositions(c.assemble(x.reshape(n, h), hostIds(c, tokenIds), gate, wi, wu, wd, wiBias, wuBias, wdBias));
        args.add(cotangent.reshape(n, h));
        specs.addAll(args);
        ShardMapRun run = ShardMapRun.trace("moe_ep_grad_" + p.mode().cliName().replace('-', '_'), layout.mesh(), in, out, a -> {
            io.hlo4j.dsl.grad.Grad.Result g = io.hlo4j.dsl.grad.Grad.apply(v -> {
                List<Tensor> t = new ArrayList<>();
                for (int i = 0; i < nArgs; i++) t.add((Tensor) v[i]);
                DType acc = MoeRouter.accumDtype(config);
                Tensor y = body(t, p.mode(), compute, biases, cap, x.shape()).get(0).astype(acc);
                Tensor ct = ((Tensor) v[nArgs]).astype(acc);
                return Ops.mul(io.hlo4j.dsl.Reductions.sum(Ops.mul(y, ct), 0, 1), scale);
            }, argnums, a.toArray());
            List<Tensor> gs = new ArrayList<>();
            for (Object o : g.grads()) gs.add((Tensor) o);
            return gs;
        }, specs);
        List<List<HostArray>> perDevice = run.runPerDevice(args);
        List<HostArray> global = new ArrayList<>();
        for (int i = 0; i < argnums.length; i++) {
            List<HostArray> blocks = new ArrayList<>();
            for (List<HostArray> d : perDevice) blocks.add(d.get(i));
            global.add(sumReplicas(blocks, run.inShardings().get(argnums[i]), args.get(argnums[i]).shape()));
        }
        return global;
    }

    private EpArguments.Checked checkHost(String op, HostArray x, HostArray tokenIds, long seqLen, HostArray gate, HostArray wi, HostArray wu,
                                          HostArray wd, HostArray wiBias, HostArray wuBias, HostArray wdBias) {
        return EpArguments.check(config, op, EpArguments.Arg.of(x), EpArguments.Arg.of(tokenIds), seqLen, EpArguments.Arg.of(gate), EpArguments.Arg.of(wi),
                EpArguments.Arg.of(wu), EpArguments.Arg.of(wd), EpArguments.Arg.of(wiBias), EpArguments.Arg.of(wuBias), EpArguments.Arg.of(wdBias), SourceLoc.here());
    }

    /** The checked token ids [N] i32, or the default ids (positions n mod S). */
    private static HostArray hostIds(EpArguments.Checked c, HostArray tokenIds) {
        return tokenIds != null ? tokenIds.reshape(c.tokens()).convert(IntegerType.I32) : positions(c.tokens(), c.positionsPeriod());
    }

    /** The global array whose every block is the sum of the blocks the devices holding it computed. */
    static HostArray sumReplicas(List<HostArray> blocks, io.hlo4j.dsl.shard.NamedSharding s, long[] shape) {
        int total = 1;
        for (long d : shape) total *= (int) d;
        double[] acc = new double[total];
        for (int dev = 0; dev < blocks.size(); dev++) {
            long[][] r = s.indexRanges(dev, shape);
            double[] b = blocks.get(dev).toDoubleArray();
            long[] local = blocks.get(dev).shape();
            long[] idx = new long[shape.length];
            for (int k = 0; k < b.length; k++) {
                long rem = k;
                for (int d = shape.length - 1; d >= 0; d--) {
                    idx[d] = r[d][0] + rem % local[d];
                    rem /= local[d];
                }
                long f = 0;
                for (int d = 0; d < shape.length; d++) f = f * shape[d] + idx[d];
                acc[(int) f] += b[k];
            }
        }
        return HostArray.fromDoubles(TensorType.of(blocks.get(0).elementType(), shape), acc);
    }

    static HostArray positions(long n, long seqLen) {
        long[] v = new long[(int) n];
        for (int i = 0; i < n; i++) v[i] = i % seqLen;
        return HostArray.fromLongs(TensorType.of(IntegerType.I32, n), v);
    }

    static int bytes(DType d) {
        return switch (d) {
            case F64, I64, U64 -> 8;
            case F32, I32, U32 -> 4;
            case BF16, F16, I16 -> 2;
            case I8, U8, BOOL -> 1;
        };
    }
}
