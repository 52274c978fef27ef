package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.rule.ShardingRules;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.sdy.SdyManualComputation;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.compiler.ad.Regions;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a propagated global module into one per-device module. Every value of {@code @main} becomes a
 * local block plus the sharding it is held in. Each op is computed as its sharding rule allows
 * ({@link FactorPlan}): operands are resharded to what the op needs, the op is emitted on local types
 * ({@link LocalOps}), partial sums over sharded reduction factors are finished with the op's own reducer
 * (all_reduce, or reduce_scatter where the result wants that dimension split on those axes), and the result
 * is resharded to the sharding propagation chose. Ops the partitioner cannot split are computed on gathered,
 * replicated operands and then sliced, and are listed in the {@link PartitionReport}.
 */
public final class Partitioner {
    static final String SHARDING = "sdy.sharding";

    private final Module module;
    /** One mesh of the module: its devices, collective emitter and resharder. */
    private record MeshCtx(String name, MeshAttr mesh, DeviceGrid grid, CollectiveEmitter emit, Resharder resharder) {}

    private final Map<String, MeshCtx> meshes = new LinkedHashMap<>();
    private final long[] channels = {1};
    /** The first mesh: where replicated values are said to live (replication looks the same on every mesh). */
    private String meshName;
    private final List<PartitionReport.Entry> report = new ArrayList<>();

    /** A local block and the sharding it holds of its global value. */
    record Local(Value value, TensorSharding sharding) {}

    /**
     * Inside the body of a partially manual computation: its mesh, the axes manual there (this computation's and the
     * enclosing ones', in mesh order) and the product of their sizes. Body values are sharded on the free axes only.
     */
    private record Scope(MeshCtx c, List<AxisRef> manual, long size) {
        Set<String> names() {
            Set<String> out = new LinkedHashSet<>();
            for (AxisRef a : manual) out.add(a.name());
            return out;
        }
    }

    /** The manual computation whose body is being partitioned, or null at the top level. */
    private Scope scope;

    private Partitioner(Module module) { this.module = module; }

    public static PartitionedProgram partition(Module propagated) { return new Partitioner(propagated).run(); }

    private PartitionedProgram run() {
        for (Operation op : module.operations()) {
            if (!op.name().equals("sdy.mesh")) continue;
            String name = ((StringAttr) op.attr("sym_name")).value();
            MeshAttr m = (MeshAttr) op.attr("mesh");
            DeviceGrid g = new DeviceGrid(m);
            CollectiveEmitter e = new CollectiveEmitter(g, channels);
            if (!meshes.isEmpty() && meshes.values().iterator().next().grid().devices() != g.devices()) {
                throw new Hlo4jException("sdy.mesh @" + name + " " + m.body() + " has " + g.devices() + " devices but @" + meshName + " has "
                        + meshes.get(meshName).grid().devices() + "; every mesh of a module spans the same devices", op.location());
            }
            if (meshName == null) meshName = name;
            meshes.put(name, new MeshCtx(name, m, g, e, new Resharder(e, m)));
        }
        Operation main = module.symbols().lookup("main");
        if (main == null) throw new Hlo4jException("the partitioner needs a func.func @main", module.op().location());
        if (meshes.isEmpty()) seedInlineMesh(main);
        if (meshes.isEmpty()) throw new Hlo4jException("the partitioner needs an sdy.mesh in the module (or an inline mesh on @main's arguments or results)", module.op().location());
        MeshAttr mesh = meshes.get(meshName).mesh();
        int devices = meshes.get(meshName).grid().devices();
        for (Operation f : module.functions()) {
            if (f != main) throw new Hlo4jException("the partitioner handles a module with @main only; found @" + symbol(f), f.location());
        }
        FunctionType ft = (FunctionType) ((TypeAttr) main.attr("function_type")).value();
        List<TensorType> argTypes = tensors(ft.inputs(), "argument", main.location());
        List<TensorType> resTypes = tensors(ft.results(), "result", main.location());
        List<TensorSharding> argSh = declared(main, "arg_attrs", argTypes.size(), "argument");
        List<TensorSharding> resSh = declared(main, "res_attrs", resTypes.size(), "result");
        List<TensorType> localArgs = new ArrayList<>();
        for (int i = 0; i < argTypes.size(); i++) localArgs.add(localType(argTypes.get(i), argSh.get(i), "@main argument #" + i, main.location()));
        FunctionBuilder fb = IrBuilder.function("main", localArgs, main.location());
        Block body = main.region(0).entry();
        Map<Value, Local> env = new HashMap<>();
        for (int i = 0; i < argTypes.size(); i++) env.put(body.argument(i), new Local(fb.argument(i), argSh.get(i)));
        for (Operation op : body.operations()) {
            if (op == body.terminator()) break;
            partitionOp(fb, op, env);
        }
        Operation ret = body.terminator();
        List<Value> outs = new ArrayList<>();
        for (int i = 0; i < ret.numOperands(); i++) {
            outs.add(reshard(fb, env, ret.operand(i), resSh.get(i), "@main result #" + i, ret.location()));
        }
        Operation f = fb.finish(outs, ret.location());
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        for (Map.Entry<String, Attribute> e : module.attributes().asMap().entrySet()) {
            if (!e.getKey().startsWith("sdy.") && !e.getKey().startsWith("mhlo.num_")) attrs.put(e.getKey(), e.getValue());
        }
        attrs.put("mhlo.num_partitions", IntegerAttr.i32(devices));
        attrs.put("mhlo.num_replicas", IntegerAttr.i32(1));
        Module out = Module.of(module.name(), DictionaryAttr.of(attrs), List.of(f), module.op().location());
        Map<String, MeshAttr> all = new LinkedHashMap<>();
        for (MeshCtx c : meshes.values()) all.put(c.name(), c.mesh());
        return new PartitionedProgram(out, mesh, devices, argTypes, argSh, resTypes, resSh, new PartitionReport(report), all);
    }

    /** A module that declares no sdy.mesh: the first inline mesh on @main's arguments or results becomes its mesh. */
    private void seedInlineMesh(Operation main) {
        for (String key : List.of("arg_attrs", "res_attrs")) {
            if (!(main.attr(key) instanceof ArrayAttr a)) continue;
            for (int i = 0; i < a.size(); i++) {
                if (a.get(i) instanceof DictionaryAttr d && d.get(SHARDING) instanceof TensorSharding ts && ts.inlineMesh() != null) {
                    named(ts, "@main", main.location());
                    return;
                }
            }
        }
    }

    private static String symbol(Operation f) { return f.attr("sym_name") instanceof StringAttr s ? s.value() : "?"; }

    private static List<TensorType> tensors(List<Type> ts, String what, Location loc) {
        List<TensorType> out = new ArrayList<>();
        for (int i = 0; i < ts.size(); i++) {
            if (!(ts.get(i) instanceof TensorType t) || !t.hasStaticShape()) {
                throw new Hlo4jException("@main " + what + " #" + i + " has type " + ts.get(i) + "; the partitioner handles static tensors only", loc);
            }
            out.add(t);
        }
        return out;
    }

    private List<TensorSharding> declared(Operation main, String key, int n, String what) {
        List<TensorSharding> out = new ArrayList<>();
        ArrayAttr attrs = main.attr(key) instanceof ArrayAttr a ? a : null;
        for (int i = 0; i < n; i++) {
            Attribute s = attrs == null ? null : ((DictionaryAttr) attrs.get(i)).get(SHARDING);
            if (!(s instanceof TensorSharding ts)) {
                throw new Hlo4jException("@main " + what + " #" + i + " has no sdy.sharding: the partitioner needs a propagated module "
                        + "(every argument, result and op annotated)", main.location());
            }
            out.add(checkMesh(ts, "@main " + what + " #" + i, main.location()));
        }
        return out;
    }

    private TensorSharding checkMesh(TensorSharding s, String what, Location loc) {
        if (s.inlineMesh() != null) s = named(s, what, loc);
        if (!meshes.containsKey(s.meshName())) {
            throw new Hlo4jException(what + " is sharded on a mesh the module does not declare (meshes " + meshes.keySet() + "): " + s, loc);
        }
        return s;
    }

    /**
     * An inline mesh ({@code mesh<["x"=2]>}) is the declared mesh with the same axes and device order when there is
     * one, else a mesh of its own (named {@code inline_mesh_N}) over the same devices as the module's meshes.
     */
    private TensorSharding named(TensorSharding s, String what, Location loc) {
        MeshAttr m = s.inlineMesh();
        String name = null;
        for (MeshCtx c : meshes.values()) {
            if (c.mesh().axes().equals(m.axes()) && c.mesh().deviceOrder().equals(m.deviceOrder())) { name = c.name(); break; }
        }
        if (name == null) {
            DeviceGrid g = new DeviceGrid(m);
            if (meshName != null && g.devices() != meshes.get(meshName).grid().devices()) {
                throw new Hlo4jException(what + " is sharded on inline mesh " + m.body() + " of " + g.devices() + " devices but @" + meshName
                        + " has " + meshes.get(meshName).grid().devices() + "; every mesh of a module spans the same devices: " + s, loc);
            }
            name = "inline_mesh_" + meshes.size();
            while (meshes.containsKey(name)) name = name + "_";
            if (meshName == null) meshName = name;
            CollectiveEmitter e = new CollectiveEmitter(g, channels);
            meshes.put(name, new MeshCtx(name, m, g, e, new Resharder(e, m)));
        }
        return new TensorSharding(name, null, s.dimShardings(), s.replicatedAxes(), s.unreducedAxes(), s.reduction());
    }

    TensorType localType(TensorType global, TensorSharding s, String what, Location loc) {
        if (s.rank() != global.rank()) throw new Hlo4jException(what + ": sharding " + s + " has rank " + s.rank() + " but the value is " + global, loc);
        long[] shape = global.shape();
        for (int d = 0; d < shape.length; d++) {
            long n = ctx(s).grid().size(s.axesOfDim(d));
            if (shape[d] % n != 0) {
                throw new Hlo4jException(what + " (" + global + "): dimension " + d + " of size " + shape[d] + " is not divisible by mesh axes "
                        + s.axesOfDim(d) + " with " + n + " shards (no padding is done)", loc);
            }
            shape[d] /= n;
        }
        return global.withShape(shape);
    }

    private MeshCtx ctx(TensorSharding s) { return meshes.get(s.meshName()); }

    private TensorSharding replicated(int rank) { return replicated(rank, meshName); }

    private TensorSharding replicated(int rank, String mesh) {
        List<DimensionSharding> dims = new ArrayList<>();
        for (int i = 0; i < rank; i++) dims.add(new DimensionSharding(List.of(), true, null));
        return new TensorSharding(mesh, null, dims, List.of(), List.of(), "sum");
    }

    private Local local(Map<Value, Local> env, Value v, Operation user) {
        Local l = env.get(v);
        if (l == null) throw new Hlo4jException("'" + user.name() + "' uses a value the partitioner has not seen (" + v.type() + ")", user.location());
        return l;
    }

    private Value reshard(IrBuilder b, Map<Value, Local> env, Value global, TensorSharding to, String what, Location loc) {
        Local l = env.get(global);
        if (l == null) throw new Hlo4jException(what + ": value not partitioned (" + global.type() + ")", loc);
        return reshard(b, l, (TensorType) global.type(), to, what, loc);
    }

    /** Reshards emitted so far, per block builder (a value made in one block is not reused in another). */
    private final Map<IrBuilder, Map<List<Object>, Value>> reshards = new java.util.IdentityHashMap<>();

    /** A splat constant is the same in every layout: a new block of it, instead of moving the old one. */
    private Value splatBlock(IrBuilder b, Value v, TensorType global, TensorSharding to, Location loc) {
        if (!(v instanceof io.hlo4j.mlir.ir.OpResult r) || !r.owner().name().equals("stablehlo.constant")
                || !(r.owner().attr("value") instanceof DenseElementsAttr d) || !d.isSplat()) return null;
        TensorType lt = localType(global, to, "constant", loc);
        return b.emit("stablehlo.constant", List.of(), Map.of("value", DenseElementsAttr.splat(lt, d.rawData())), List.of(), List.of(lt), loc).get(0);
    }

    private Value reshard(IrBuilder b, Local l, TensorType global, TensorSharding to, String what, Location loc) {
        TensorSharding from = l.sharding();
        boolean sameMesh = from.meshName().equals(to.meshName());
        if (sameLayout(from, to) && (sameMesh || from.isFullyReplicated() && from.unreducedAxes().isEmpty())) return l.value();
        if (sameMesh) {
            // one reshard per (value, layout) in each block: a value several ops need in the same layout moves once
            List<Object> key = new ArrayList<>(List.of(l.value(), to.meshName()));
            for (int d = 0; d < to.rank(); d++) key.add(to.axesOfDim(d));
            key.add(Set.copyOf(to.unreducedAxes()));
            Map<List<Object>, Value> done = reshards.computeIfAbsent(b, k -> new HashMap<>());
            Value v = done.get(key);
            if (v == null) {
                v = splatBlock(b, l.value(), global, to, loc);
                if (v == null && scope != null) v = scopedReshard(b, l.value(), global, from, to, what, loc);
                if (v == null) v = ctx(to).resharder().reshard(b, l.value(), global, from, to, what, loc);
                done.put(key, v);
            }
            return v;
        }
        if (sameBlocks(from, to, global)) return l.value();
        // across meshes over the same devices: written on one mesh when the axes correspond, then planned there
        TensorSharding fromOnTo = MeshRewrite.rewrite(ctx(from).grid(), from, ctx(to).grid(), to.meshName());
        if (fromOnTo != null) return reshard(b, new Local(l.value(), fromOnTo), global, to, what, loc);
        TensorSharding toOnFrom = MeshRewrite.rewrite(ctx(to).grid(), to, ctx(from).grid(), from.meshName());
        if (toOnFrom != null) return reshard(b, l, global, toOnFrom, what, loc);
        long[][] pairs = BlockPermutation.pairs(ctx(from).grid(), from, ctx(to).grid(), to);
        if (pairs != null) {
            return ctx(to).emit().collectivePermute(b, l.value(), pairs, loc);
        }
        report.add(new PartitionReport.Entry(PartitionReport.Kind.CROSS_MESH_GATHERED, what, loc.describe(), global + " " + from + " -> " + to
                + ": neither sharding can be written in the other mesh's axes (their device groups differ), so the value is gathered "
                + "whole on @" + from.meshName() + " and sliced on @" + to.meshName()));
        Value whole = reshard(b, l, global, replicated(global.rank(), from.meshName()), what, loc);
        return reshard(b, new Local(whole, replicated(global.rank(), to.meshName())), global, to, what, loc);
    }

    /** Whether two shardings on different meshes give every device the same block (a mesh that is a view of another). */
    private boolean sameBlocks(TensorSharding a, TensorSharding b, TensorType global) {
        if (!a.unreducedAxes().isEmpty() || !b.unreducedAxes().isEmpty()) return false;
        DeviceGrid ga = ctx(a).grid(), gb = ctx(b).grid();
        for (int d = 0; d < global.rank(); d++) {
            if (ga.size(a.axesOfDim(d)) != gb.size(b.axesOfDim(d))) return false;
            for (int p = 0; p < ga.devices(); p++) if (ga.index(p, a.axesOfDim(d)) != gb.index(p, b.axesOfDim(d))) return false;
        }
        return true;
    }

    /** Equal dimension axes (open/closed, priorities and replicated lists do not change the data layout). */
    private static boolean sameLayout(TensorSharding a, TensorSharding b) {
        if (a.rank() != b.rank() || !Unreduced.sameAxes(a, b)) return false;
        for (int d = 0; d < a.rank(); d++) if (!a.axesOfDim(d).equals(b.axesOfDim(d))) return false;
        return true;
    }

    private List<TensorSharding> resultShardings(Operation op) {
        if (op.numResults() == 0) return List.of();
        if (!(op.attributes().get(SHARDING) instanceof TensorShardingPerValue pv) || pv.size() != op.numResults()) {
            throw new Hlo4jException("'" + op.name() + "' has no sdy.sharding for its " + op.numResults() + " results: the partitioner "
                    + "needs a propagated module (every op annotated)", op.location());
        }
        List<TensorSharding> out = new ArrayList<>();
        for (int i = 0; i < pv.size(); i++) out.add(checkMesh(pv.get(i), "'" + op.name() + "' result #" + i, op.location()));
        return out;
    }

    /** The op's factor rule from the registry ({@link ShardingRules}), or null when it has none. */
    private static OpShardingRule ruleFor(Operation op) {
        return ShardingRules.hasRule(op) ? ShardingRules.of(op) : null;
    }

    // ---- ops ------------------------------------------------------------------------------------

    private void partitionOp(IrBuilder b, Operation op, Map<Value, Local> env) {
        for (Type t : op.resultTypes()) {
            if (!(t instanceof TensorType tt) || !tt.hasStaticShape()) {
                throw new Hlo4jException("'" + op.name() + "' has a result of type " + t + "; the partitioner handles static tensors only", op.location());
            }
        }
        switch (op.name()) {
            case "sdy.sharding_constraint", "sdy.reshard" -> {
                TensorSharding to = checkMesh((TensorSharding) op.attr("sharding"), "'" + op.name() + "'", op.location());
                env.put(op.result(0), new Local(reshard(b, env, op.operand(0), to, "'" + op.name() + "'", op.location()), to));
            }
            // Shardy's explicit collectives (what its reshard-to-collectives passes emit) are, on the global program,
            // the identity with the result held in out_sharding: a reshard the planner re-derives
            case "sdy.all_gather", "sdy.all_slice", "sdy.all_to_all", "sdy.collective_permute" -> {
                TensorSharding to = checkMesh((TensorSharding) op.attr("out_sharding"), "'" + op.name() + "' out_sharding", op.location());
                env.put(op.result(0), new Local(reshard(b, env, op.operand(0), to, "'" + op.name() + "'", op.location()), to));
            }
            // the operand is partial over the reduction axes; the result holds the reduced value in out_sharding: the
            // planner's all_reduce, or reduce_scatter where out_sharding splits a dimension over those axes
            case "sdy.all_reduce", "sdy.reduce_scatter" -> {
                TensorSharding to = checkMesh((TensorSharding) op.attr("out_sharding"), "'" + op.name() + "' out_sharding", op.location());
                TensorSharding from = local(env, op.operand(0), op).sharding();
                String kind = io.hlo4j.mlir.dialect.sdy.SdyCollectiveOps.reduction(op);
                List<AxisRef> axes = new ArrayList<>();
                if (op.attr("reduction_axes") instanceof io.hlo4j.mlir.dialect.sdy.AxisRefList l) axes.addAll(l.axes());
                if (op.attr("reduce_scatter_axes") instanceof io.hlo4j.mlir.dialect.sdy.AxisRefListPerDim pd) {
                    for (io.hlo4j.mlir.dialect.sdy.AxisRefList l : pd.dims()) axes.addAll(l.axes());
                }
                if (!from.unreducedAxes().containsAll(axes) || !from.reduction().equals(kind)) {
                    throw new Hlo4jException("'" + op.name() + "' " + kind + " over " + axes + ": its operand is held as " + from
                            + ", not unreduced (" + kind + ") over those axes; only an unreduced value can be reduced", op.location());
                }
                for (AxisRef a : axes) {
                    if (to.unreducedAxes().contains(a)) {
                        throw new Hlo4jException("'" + op.name() + "' reduces over " + a + " but out_sharding " + to + " keeps it unreduced", op.location());
                    }
                }
                env.put(op.result(0), new Local(reshard(b, env, op.operand(0), to, "'" + op.name() + "'", op.location()), to));
            }
            case "sdy.sharded_to_unreduced", "sdy.replicated_to_unreduced" -> toUnreduced(b, op, env);
            // propagation markers: the value passes through as it is held; a sharding group only steered propagation
            case "sdy.propagation_barrier" -> env.put(op.result(0), local(env, op.operand(0), op));
            case "sdy.sharding_group" -> { }
            case "sdy.manual_computation" -> manual(b, op, env);
            case "stablehlo.while", "stablehlo.case", "stablehlo.if" -> controlFlow(b, op, env);
            case "stablehlo.constant" -> {
                TensorSharding to = resultShardings(op).get(0);
                TensorType t0 = (TensorType) op.result(0).type();
                if (op.attr("value") instanceof DenseElementsAttr d && d.isSplat()) {
                    // a splat is the same on every block: emit the block directly
                    TensorType lt = localType(t0, to, "constant", op.location());
                    Value c = b.emit("stablehlo.constant", List.of(), Map.of("value", DenseElementsAttr.splat(lt, d.rawData())),
                            List.of(), List.of(lt), op.location()).get(0);
                    env.put(op.result(0), new Local(c, to));
                    return;
                }
                Value c = b.append(RegionCopy.copy(op, Map.of(), null), op.location()).result(0);
                TensorType t = (TensorType) op.result(0).type();
                env.put(op.result(0), new Local(reshard(b, new Local(c, replicated(t.rank())), t, to, "constant", op.location()), to));
            }
            default -> ruleDriven(b, op, env);
        }
    }

    /**
     * {@code sdy.replicated_to_unreduced {A}} / {@code sdy.sharded_to_unreduced [{A0}, ...]}: the operand is brought to
     * out_sharding without the new unreduced axes (for sharded, each dimension also split on its axes, minor end), then
     * turned into terms of a sum over them ({@link MakePartial}).
     */
    private void toUnreduced(IrBuilder b, Operation op, Map<Value, Local> env) {
        TensorSharding out = checkMesh((TensorSharding) op.attr("out_sharding"), "'" + op.name() + "' out_sharding", op.location());
        MeshCtx c = ctx(out);
        boolean sharded = op.name().equals("sdy.sharded_to_unreduced");
        List<List<AxisRef>> perDim = new ArrayList<>();
        List<AxisRef> axes = new ArrayList<>();
        if (sharded) {
            for (io.hlo4j.mlir.dialect.sdy.AxisRefList l : ((io.hlo4j.mlir.dialect.sdy.AxisRefListPerDim) op.attr("axes")).dims()) {
                perDim.add(l.axes());
                axes.addAll(l.axes());
            }
        } else {
            axes.addAll(((io.hlo4j.mlir.dialect.sdy.AxisRefList) op.attr("axes")).axes());
        }
        if (!out.reduction().equals("sum") || !out.unreducedAxes().containsAll(axes)) {
            throw new Hlo4jException("'" + op.name() + "' over " + axes + ": out_sharding " + out + " must hold those axes unreduced "
                    + "with a pending sum (the other members' terms are zeros)", op.location());
        }
        List<AxisRef> rest = new ArrayList<>(out.unreducedAxes());
        rest.removeAll(axes);
        List<DimensionSharding> dims = new ArrayList<>();
        for (int d = 0; d < out.rank(); d++) {
            List<AxisRef> as = new ArrayList<>(out.axesOfDim(d));
            if (sharded) as.addAll(perDim.get(d));
            dims.add(new DimensionSharding(as, true, null));
        }
        TensorSharding in = new TensorSharding(out.meshName(), null, dims, List.of(), rest, out.reduction());
        Value x = reshard(b, env, op.operand(0), in, "'" + op.name() + "' operand", op.location());
        Value v = sharded ? MakePartial.shardedToUnreduced(b, c.emit(), c.grid(), x, perDim, op.location())
                : MakePartial.replicatedToUnreduced(b, c.emit(), c.grid(), x, axes, op.location());
        env.put(op.result(0), new Local(v, out));
    }

    private void ruleDriven(IrBuilder b, Operation op, Map<Value, Local> env) {
        if (scope != null && op.def() != null && op.def().has(io.hlo4j.mlir.registry.OpTrait.COLLECTIVE)) {
            bodyCollective(b, op, env);
            return;
        }
        List<TensorSharding> targets = resultShardings(op);
        if (op.def() != null && op.def().has(io.hlo4j.mlir.registry.OpTrait.COLLECTIVE)) {
            throw new Hlo4jException("'" + op.name() + "' is a collective outside a manual computation; a global program names "
                    + "collectives only inside sdy.manual_computation", op.location());
        }
        OpShardingRule rule = ruleFor(op);
        if (rule == null) { replicatedCompute(b, op, env, targets, "no sharding rule for this op"); return; }
        if (!LocalOps.supports(op)) { replicatedCompute(b, op, env, targets, "the partitioner does not localise this op"); return; }
        boolean reducing = LocalOps.REDUCING.contains(op.name())
                && (!op.name().equals("stablehlo.reduce") || LocalOps.initIsIdentity(op));
        MeshCtx c = targets.isEmpty() ? meshes.get(meshName) : ctx(targets.get(0));
        for (TensorSharding t : targets) {
            if (!t.meshName().equals(c.name())) throw new Hlo4jException("'" + op.name() + "' has results on two meshes: " + targets, op.location());
        }
        List<TensorSharding> current = new ArrayList<>();
        for (Value v : op.operands()) {
            TensorSharding s = local(env, v, op).sharding();
            // an operand on another mesh counts as held where it is, when its axes can be written on this mesh
            TensorSharding here = s.meshName().equals(c.name()) ? s : MeshRewrite.rewrite(ctx(s).grid(), s, c.grid(), c.name());
            current.add(here != null ? here : replicated(s.rank(), c.name()));
        }
        FactorPlan plan = FactorPlan.plan(rule, c.grid(), current, targets, reducing, LocalOps.keptWhole(op, rule));
        // a linear element-wise op on terms unreduced like its result: computed on the terms, the sum taken later
        boolean linear = targets.size() == 1 && Unreduced.keepsThrough(op, targets.get(0), current);
        List<Value> operands = new ArrayList<>();
        List<TensorSharding> operandSh = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) {
            TensorSharding need = plan.operand(i, c.name());
            if (linear) need = Unreduced.with(need, targets.get(0).unreducedAxes(), "sum");
            operandSh.add(need);
            operands.add(reshard(b, env, op.operand(i), need, "'" + op.name() + "' operand #" + i, op.location()));
        }
        List<TensorSharding> computed = new ArrayList<>();
        List<TensorType> localTypes = new ArrayList<>();
        for (int r = 0; r < op.numResults(); r++) {
            TensorSharding res = plan.result(r, c.name());
            computed.add(linear ? Unreduced.with(res, targets.get(r).unreducedAxes(), "sum") : res);
            localTypes.add(localType((TensorType) op.result(r).type(), computed.get(r), "'" + op.name() + "' result #" + r, op.location()));
        }
        List<Value> locals = LocalOps.emit(b, op, operands, localTypes, operandSh, computed, c.emit());
        List<AxisRef> partial = plan.reductionAxes();
        for (int r = 0; r < op.numResults(); r++) {
            Value v = locals.get(r);
            TensorSharding have = computed.get(r);
            if (!partial.isEmpty()) {
                Region body = op.name().equals("stablehlo.reduce") ? op.region(0)
                        : new io.hlo4j.mlir.build.StablehloBuilder(b).combiner("add", ((TensorType) v.type()).elementType(), op.location());
                // axes the result is to stay unreduced on are not reduced here: each device keeps its term
                List<AxisRef> kept = Unreduced.kept(op, targets.get(r), partial);
                List<AxisRef> reduce = new ArrayList<>(partial);
                reduce.removeAll(kept);
                Finish fin = finish(have, targets.get(r), reduce);
                if (!fin.allReduce.isEmpty()) v = c.emit().allReduce(b, v, fin.allReduce, body, op.location());
                if (fin.dim >= 0) v = c.emit().reduceScatter(b, v, fin.dim, fin.scatter, body, op.location());
                have = kept.isEmpty() ? fin.result : Unreduced.with(fin.result, kept, targets.get(r).reduction());
            }
            long got = shards(have), want = shards(targets.get(r));
            if (got < want) {
                report.add(new PartitionReport.Entry(PartitionReport.Kind.COMPUTED_LESS_SHARDED, op.name(), op.location().describe(),
                        "result #" + r + " computed as " + have + " (" + got + " blocks), then sliced to " + targets.get(r)));
            }
            env.put(op.result(r), new Local(reshard(b, new Local(v, have), (TensorType) op.result(r).type(), targets.get(r),
                    "'" + op.name() + "' result #" + r, op.location()), targets.get(r)));
        }
    }

    private long shards(TensorSharding s) { return ctx(s).grid().size(s.shardingAxes()); }

    /** How partial sums over {@code partial} are finished: all_reduce over some axes, reduce_scatter over the rest. */
    private record Finish(List<AxisRef> allReduce, int dim, List<AxisRef> scatter, TensorSharding result) {}

    private Finish finish(TensorSharding have, TensorSharding target, List<AxisRef> partial) {
        for (int d = 0; d < have.rank(); d++) {
            List<AxisRef> h = have.axesOfDim(d), t = target.axesOfDim(d);
            if (t.size() <= h.size() || !t.subList(0, h.size()).equals(h)) continue;
            List<AxisRef> extra = t.subList(h.size(), t.size());
            if (!partial.containsAll(extra)) continue;
            List<AxisRef> rest = new ArrayList<>(partial);
            rest.removeAll(extra);
            List<DimensionSharding> dims = new ArrayList<>(have.dimShardings());
            dims.set(d, new DimensionSharding(t, true, null));
            return new Finish(rest, d, List.copyOf(extra), new TensorSharding(have.meshName(), null, dims, List.of(), List.of(), "sum"));
        }
        return new Finish(partial, -1, List.of(), have);
    }

    /** Operands (and values the op's regions capture) gathered whole, the op computed globally, the result sliced. */
    private void replicatedCompute(IrBuilder b, Operation op, Map<Value, Local> env, List<TensorSharding> targets, String why) {
        Map<Value, Value> map = new HashMap<>();
        Set<Value> needed = new LinkedHashSet<>(op.operands());
        needed.addAll(captured(op));
        for (Value v : needed) {
            if (!(v.type() instanceof TensorType t)) throw new Hlo4jException("'" + op.name() + "' uses a non-tensor value " + v.type(), op.location());
            map.put(v, reshard(b, env, v, replicated(t.rank()), "'" + op.name() + "' (computed replicated)", op.location()));
        }
        Operation.Builder ob = RegionCopy.copy(op, map, () -> meshes.get(meshName).emit().channel());
        Operation c = b.append(ob, op.location());
        report.add(new PartitionReport.Entry(PartitionReport.Kind.COMPUTED_REPLICATED, op.name(), op.location().describe(), why));
        for (int r = 0; r < op.numResults(); r++) {
            TensorType t = (TensorType) op.result(r).type();
            env.put(op.result(r), new Local(reshard(b, new Local(c.result(r), replicated(t.rank())), t, targets.get(r),
                    "'" + op.name() + "' result #" + r, op.location()), targets.get(r)));
        }
    }

    /** Values used inside the op's regions but defined outside the op. */
    private static List<Value> captured(Operation op) { return Cloner.captured(op.regions()); }

    /**
     * while, case and if keep their shape: each value carried through the op (loop state, branch results) is held
     * in the sharding propagation gave the op's result; the regions are partitioned like any block, with their
     * arguments and yielded values in those shardings. Values the regions capture are used as they are held.
     */
    private void controlFlow(IrBuilder b, Operation op, Map<Value, Local> env) {
        List<TensorSharding> carried = resultShardings(op);
        List<Value> operands = new ArrayList<>();
        boolean loop = op.name().equals("stablehlo.while");
        for (int i = 0; i < op.numOperands(); i++) {
            Value v = op.operand(i);
            TensorSharding need = loop ? carried.get(i) : replicated(((TensorType) v.type()).rank());
            operands.add(reshard(b, env, v, need, "'" + op.name() + "' operand #" + i, op.location()));
        }
        List<Region> regions = new ArrayList<>();
        for (int r = 0; r < op.regions().size(); r++) {
            boolean cond = loop && r == 0;
            List<TensorSharding> yields = cond ? List.of(replicated(0)) : carried;
            regions.add(partitionRegion(b, op.region(r), loop ? carried : List.of(), yields, env, op));
        }
        List<Type> localTypes = new ArrayList<>();
        for (int i = 0; i < op.numResults(); i++) {
            localTypes.add(localType((TensorType) op.result(i).type(), carried.get(i), "'" + op.name() + "' result #" + i, op.location()));
        }
        Operation.Builder ob = Operation.builder(op.name()).location(op.location()).operands(operands).resultTypes(localTypes)
                .properties(op.properties()).attributes(op.attributes().without(SHARDING)).regions(regions);
        Operation c = b.append(ob, op.location());
        for (int i = 0; i < op.numResults(); i++) env.put(op.result(i), new Local(c.result(i), carried.get(i)));
    }

    private Region partitionRegion(IrBuilder parent, Region region, List<TensorSharding> argShardings, List<TensorSharding> yields,
                                   Map<Value, Local> outer, Operation owner) {
        Block blk = region.entry();
        IrBuilder child = parent.nested();
        Map<Value, Local> env = new HashMap<>(outer);
        for (int i = 0; i < blk.arguments().size(); i++) {
            var a = blk.argument(i);
            TensorType lt = localType((TensorType) a.type(), argShardings.get(i), "'" + owner.name() + "' region argument #" + i, owner.location());
            env.put(a, new Local(child.addArgument(lt, a.location()), argShardings.get(i)));
        }
        Operation ret = blk.terminator();
        for (Operation inner : blk.operations()) {
            if (inner == ret) break;
            partitionOp(child, inner, env);
        }
        List<Value> outs = new ArrayList<>();
        for (int i = 0; i < ret.numOperands(); i++) {
            outs.add(reshard(child, env, ret.operand(i), yields.get(i), "'" + owner.name() + "' region result #" + i, ret.location()));
        }
        return child.sealRegion(outs, ret.name(), ret.location());
    }

    // ---- manual computations ---------------------------------------------------------------------

    /**
     * {@code sdy.manual_computation}: operands resharded to in_shardings. When no axis is left free (every mesh axis
     * manual here or in an enclosing computation), or no free axis is named anywhere in it (every body value is then
     * replicated over them and the body computes the same on every free coordinate), the body is inlined on the
     * local blocks (its collectives already name partition ids; each gets a fresh channel handle). Otherwise the body
     * is partitioned over the free axes like @main ({@link PartialManual}): its values propagated, each op computed
     * on blocks, its collectives (over manual axes) run on blocks whole along the dimensions they resize.
     * The results are held in out_shardings.
     */
    private void manual(IrBuilder b, Operation op, Map<Value, Local> env) {
        TensorShardingPerValue in = SdyManualComputation.inShardings(op), out = SdyManualComputation.outShardings(op);
        List<String> manualAxes = SdyManualComputation.manualAxes(op).axes();
        MeshCtx c = in.size() > 0 ? ctx(checkMesh(in.get(0), "manual_computation in_shardings #0", op.location()))
                : ctx(checkMesh(out.get(0), "manual_computation out_shardings #0", op.location()));
        Set<String> outer = scope == null ? Set.of() : scope.names();
        if (scope != null && !scope.c().name().equals(c.name())) {
            throw new Hlo4jException("sdy.manual_computation on mesh @" + c.name() + " inside one on mesh @" + scope.c().name()
                    + "; a nested manual computation must use its enclosing computation's mesh", op.location());
        }
        List<String> free = PartialManual.free(c.mesh(), outer, manualAxes);
        if (!free.isEmpty() || !outer.isEmpty()) PartialManual.check(op, c.grid(), c.name(), outer, manualAxes, free);
        Block body = op.region(0).entry();
        List<TensorSharding> inSh = new ArrayList<>(), outSh = new ArrayList<>();
        List<Value> operands = new ArrayList<>();
        boolean widened = false;
        for (int i = 0; i < op.numOperands(); i++) {
            TensorSharding written = checkMesh(in.get(i), "manual_computation in_shardings #" + i, op.location());
            // an open dimension takes the free axes the operand is already split on there (no gather on the way in)
            TensorSharding s = free.isEmpty() ? written : PartialManual.widen(written, local(env, op.operand(i), op).sharding(), free);
            widened |= !sameLayout(s, written);
            Value v = reshard(b, env, op.operand(i), s, "sdy.manual_computation operand #" + i, op.location());
            // the body's argument is the manual-local value; each device holds its block over the free axes
            TensorType arg = (TensorType) body.argument(i).type();
            TensorType block = localType(arg, PartialManual.freePart(s, manualAxes), "sdy.manual_computation body argument #" + i, op.location());
            if (!v.type().equals(block)) {
                throw new Hlo4jException("sdy.manual_computation operand #" + i + ": local block " + v.type() + " under " + s
                        + " does not match the body's argument " + arg + " split on the free axes (" + block + ")", op.location());
            }
            inSh.add(s);
            operands.add(v);
        }
        for (int i = 0; i < op.numResults(); i++) outSh.add(checkMesh(out.get(i), "manual_computation out_shardings #" + i, op.location()));
        List<Value> results = !widened && !PartialManual.mentions(op, free)
                ? inlineBody(b, op, operands, c)
                : partitionBody(b, op, operands, inSh, outSh, manualAxes, free, outer, c);
        for (int i = 0; i < op.numResults(); i++) {
            Value v = results.get(i);
            TensorType expect = localType((TensorType) op.result(i).type(), outSh.get(i), "sdy.manual_computation result #" + i, op.location());
            if (!v.type().equals(expect)) {
                throw new Hlo4jException("sdy.manual_computation result #" + i + ": the body returns " + v.type() + " but " + outSh.get(i)
                        + " of " + op.result(i).type() + " needs " + expect, op.location());
            }
            env.put(op.result(i), new Local(v, outSh.get(i)));
        }
    }

    /** The body copied onto the local blocks as it is written, each collective with a fresh channel. */
    private List<Value> inlineBody(IrBuilder b, Operation op, List<Value> operands, MeshCtx c) {
        return Regions.inline(b, op.region(0).entry(), operands, RegionCopy.LOCAL.renumbering(() -> c.emit().channel()));
    }

    /**
     * The body partitioned over the free axes: arguments and results in their shardings without the manual axes. An
     * open out_shardings dimension takes the free axes the body's result is split on there; {@code outSh} is updated.
     */
    private List<Value> partitionBody(IrBuilder b, Operation op, List<Value> operands, List<TensorSharding> inSh, List<TensorSharding> outSh,
                                      List<String> manualAxes, List<String> free, Set<String> outer, MeshCtx c) {
        List<TensorSharding> argFree = new ArrayList<>(), resFree = new ArrayList<>();
        for (TensorSharding s : inSh) argFree.add(PartialManual.freePart(s, manualAxes));
        for (TensorSharding s : outSh) resFree.add(PartialManual.freePart(s, manualAxes));
        Operation f = PartialManual.propagatedBody(op, c.name(), c.mesh(), argFree, resFree);
        Block blk = f.region(0).entry();
        Map<Value, Local> inner = new HashMap<>();
        for (int i = 0; i < operands.size(); i++) inner.put(blk.argument(i), new Local(operands.get(i), argFree.get(i)));
        List<AxisRef> manual = new ArrayList<>();
        for (MeshAttr.Axis a : c.mesh().axes()) if (outer.contains(a.name()) || manualAxes.contains(a.name())) manual.add(AxisRef.of(a.name()));
        Scope saved = scope;
        scope = new Scope(c, manual, c.grid().size(manual));
        try {
            Operation ret = blk.terminator();
            for (Operation o : blk.operations()) {
                if (o == ret) break;
                partitionOp(b, o, inner);
            }
            List<Value> out = new ArrayList<>();
            for (int i = 0; i < ret.numOperands(); i++) {
                TensorSharding to = PartialManual.widen(resFree.get(i), local(inner, ret.operand(i), ret).sharding(), free);
                out.add(reshard(b, inner, ret.operand(i), to, "sdy.manual_computation body result #" + i, op.location()));
                outSh.set(i, PartialManual.withPrefix(outSh.get(i), to, manualAxes));
            }
            return out;
        } finally {
            scope = saved;
        }
    }

    /**
     * A reshard of a body value. Devices on different manual coordinates hold different values, which the planner
     * must not take for copies of one block: the value is planned as a tensor with a leading dimension of size M
     * (the manual axes' product) split on the manual axes, so every move stays among devices of one manual coordinate.
     */
    private Value scopedReshard(IrBuilder b, Value v, TensorType global, TensorSharding from, TensorSharding to, String what, Location loc) {
        if (!to.meshName().equals(scope.c().name()) || !from.meshName().equals(scope.c().name())) return null;
        TensorType outLocal = localType(global, to, what, loc);
        Value x = reshape(b, v, PartialManual.lifted((TensorType) v.type(), 1), loc);
        Value y = scope.c().resharder().reshard(b, x, PartialManual.lifted(global, scope.size()), PartialManual.lifted(from, scope.manual()),
                PartialManual.lifted(to, scope.manual()), what, loc);
        return reshape(b, y, outLocal, loc);
    }

    private static Value reshape(IrBuilder b, Value v, TensorType to, Location loc) {
        return b.emit("stablehlo.reshape", List.of(v), Map.of(), List.of(), List.of(to), loc).get(0);
    }

    /**
     * A collective of a partially manual body (its groups span manual axes only, {@link PartialManual#check}): each
     * operand arrives in its sharding with the dimensions the op resizes whole over the free axes, the op runs on
     * those blocks with its groups as written, and result i is held like operand i.
     */
    private void bodyCollective(IrBuilder b, Operation op, Map<Value, Local> env) {
        if (op.numResults() != op.numOperands()) {
            throw new Hlo4jException("'" + op.name() + "' in a partially manual body has " + op.numOperands() + " operands and "
                    + op.numResults() + " results; the partitioner pairs each result with an operand", op.location());
        }
        Set<Integer> whole = PartialManual.wholeDims(op);
        MeshCtx c = scope.c();
        List<Value> operands = new ArrayList<>();
        List<TensorSharding> held = new ArrayList<>();
        List<Type> types = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) {
            if (!(op.operand(i).type() instanceof TensorType t)) {
                throw new Hlo4jException("'" + op.name() + "' operand #" + i + " has type " + op.operand(i).type() + "; the partitioner handles tensors only", op.location());
            }
            TensorSharding cur = local(env, op.operand(i), op).sharding();
            TensorSharding need = PartialManual.without(cur.meshName().equals(c.name()) ? cur : replicated(t.rank(), c.name()), whole);
            operands.add(reshard(b, env, op.operand(i), need, "'" + op.name() + "' operand #" + i, op.location()));
            held.add(need);
            types.add(localType((TensorType) op.result(i).type(), need, "'" + op.name() + "' result #" + i, op.location()));
        }
        Map<Value, Value> map = new java.util.IdentityHashMap<>();
        for (int i = 0; i < op.numOperands(); i++) map.put(op.operand(i), operands.get(i));
        Operation.Builder ob = Cloner.shell(op, map, RegionCopy.LOCAL.renumbering(() -> c.emit().channel()), types);
        for (Region r : op.regions()) ob.region(RegionCopy.copy(r));
        Operation copy = b.append(ob, op.location());
        for (int i = 0; i < op.numResults(); i++) env.put(op.result(i), new Local(copy.result(i), held.get(i)));
    }
}
