package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.reshard.CrossMeshExchange;
import io.hlo4j.compiler.spmd.reshard.ReshardCost;
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
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
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
 *
 * <p>This file is the driver: meshes, the values' local blocks and every reshard between shardings. The op families
 * are each in a file of their own: {@link RuleDrivenOps} (with {@link HaloOps} for ops that read neighbours' elements and
 * {@link ConcatOps}, {@link SelectScatterOps}), {@link ControlFlowOps}, {@link ManualBodies}.
 */
public final class Partitioner {
    static final String SHARDING = "sdy.sharding";

    private final Module module;
    /** One mesh of the module: its devices, collective emitter and resharder. */
    record MeshCtx(String name, MeshAttr mesh, DeviceGrid grid, CollectiveEmitter emit, Resharder resharder) {}

    final Map<String, MeshCtx> meshes = new LinkedHashMap<>();
    private final long[] channels = {1};
    /** The first mesh: where replicated values are said to live (replication looks the same on every mesh). */
    String meshName;
    final List<PartitionReport.Entry> report = new ArrayList<>();

    /** A local block and the sharding it holds of its global value. */
    record Local(Value value, TensorSharding sharding) {}

    /**
     * Inside the body of a partially manual computation: its mesh, the axes manual there (this computation's and the
     * enclosing ones', in mesh order) and the product of their sizes. Body values are sharded on the free axes only.
     */
    record Scope(MeshCtx c, List<AxisRef> manual, long size) {
        Set<String> names() {
            Set<String> out = new LinkedHashSet<>();
            for (AxisRef a : manual) out.add(a.name());
            return out;
        }
    }

    /** The manual computation whose body is being partitioned, or null at the top level. */
    Scope scope;

    /** The op families, each in its own file: rule-driven ops, control flow, manual computations. */
    private final RuleDrivenOps ops = new RuleDrivenOps(this);
    private final ControlFlowOps controlFlow = new ControlFlowOps(this);
    final ManualBodies manualBodies = new ManualBodies(this);

    /** The choices the caller made (e.g. whether plans are chosen by bytes); read by the op families. */
    final PartitionOptions options;

    private Partitioner(Module module, PartitionOptions options) {
        this.module = module;
        this.options = java.util.Objects.requireNonNull(options, "options");
    }

    public static PartitionedProgram partition(Module propagated) { return partition(propagated, PartitionOptions.DEFAULT); }

    public static PartitionedProgram partition(Module propagated, PartitionOptions options) { return new Partitioner(propagated, options).run(); }

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

    TensorSharding checkMesh(TensorSharding s, String what, Location loc) {
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

    MeshCtx ctx(TensorSharding s) { return meshes.get(s.meshName()); }

    TensorSharding replicated(int rank) { return replicated(rank, meshName); }

    TensorSharding replicated(int rank, String mesh) {
        List<DimensionSharding> dims = new ArrayList<>();
        for (int i = 0; i < rank; i++) dims.add(new DimensionSharding(List.of(), true, null));
        return new TensorSharding(mesh, null, dims, List.of(), List.of(), "sum");
    }

    Local local(Map<Value, Local> env, Value v, Operation user) {
        Local l = env.get(v);
        if (l == null) throw new Hlo4jException("'" + user.name() + "' uses a value the partitioner has not seen (" + v.type() + ")", user.location());
        return l;
    }

    Value reshard(IrBuilder b, Map<Value, Local> env, Value global, TensorSharding to, String what, Location loc) {
        Local l = env.get(global);
        if (l == null) throw new Hlo4jException(what + ": value not partitioned (" + global.type() + ")", loc);
        return reshard(b, l, (TensorType) global.type(), to, what, loc);
    }

    /** Reshards emitted so far, per block builder (a value made in one block is not reused in another). */
    private final Map<IrBuilder, Map<List<Object>, Value>> reshards = new java.util.IdentityHashMap<>();

    /**
     * A splat constant is the same in every layout: a new block of it, instead of moving the old one. So is a value
     * with no elements (an empty block; the reshard planner's costs divide by the bytes moved).
     */
    private Value splatBlock(IrBuilder b, Value v, TensorType global, TensorSharding to, Location loc) {
        if (global.numElements() == 0) {
            TensorType lt = localType(global, to, "empty value", loc);
            return b.emit("stablehlo.constant", List.of(), Map.of("value", io.hlo4j.mlir.build.Constants.splat(lt, 0)), List.of(), List.of(lt), loc).get(0);
        }
        if (!(v instanceof io.hlo4j.mlir.ir.OpResult r) || !r.owner().name().equals("stablehlo.constant")
                || !(r.owner().attr("value") instanceof DenseElementsAttr d) || !d.isSplat()) return null;
        TensorType lt = localType(global, to, "constant", loc);
        return b.emit("stablehlo.constant", List.of(), Map.of("value", DenseElementsAttr.splat(lt, d.rawData())), List.of(), List.of(lt), loc).get(0);
    }

    Value reshard(IrBuilder b, Local l, TensorType global, TensorSharding to, String what, Location loc) {
        TensorSharding from = l.sharding();
        boolean sameMesh = from.meshName().equals(to.meshName());
        if (sameLayout(from, to) && (sameMesh || from.isFullyReplicated() && from.unreducedAxes().isEmpty())) return l.value();
        // one reshard per (value, layout) in each block: a value several ops need in the same layout moves once. The
        // manual axes in scope are part of the layout: a manual computation's body is emitted into the enclosing block,
        // and its argument can be the very block @main holds, where the same target means the value whole over them
        List<Object> key = new ArrayList<>(List.of(l.value(), to.meshName(), scope == null ? List.of() : scope.manual()));
        for (int d = 0; d < to.rank(); d++) key.add(to.axesOfDim(d));
        key.add(Set.copyOf(to.unreducedAxes()));
        Map<List<Object>, Value> done = reshards.computeIfAbsent(b, k -> new HashMap<>());
        if (sameMesh) {
            Value v = done.get(key);
            if (v == null) {
                v = splatBlock(b, l.value(), global, to, loc);
                if (v == null && scope != null) v = manualBodies.scopedReshard(b, l.value(), global, from, to, what, loc);
                if (v == null) v = ctx(to).resharder().reshard(b, l.value(), global, from, to, what, loc);
                done.put(key, v);
            }
            return v;
        }
        if (sameBlocks(from, to, global)) return l.value();
        // an empty value moves nothing between meshes either: each device makes its empty block
        if (global.numElements() == 0) return splatBlock(b, l.value(), global, to, loc);
        // across meshes over the same devices: written on one mesh when the axes correspond, then planned there
        TensorSharding fromOnTo = MeshRewrite.rewrite(ctx(from).grid(), from, ctx(to).grid(), to.meshName());
        if (fromOnTo != null) return reshard(b, new Local(l.value(), fromOnTo), global, to, what, loc);
        TensorSharding toOnFrom = MeshRewrite.rewrite(ctx(to).grid(), to, ctx(from).grid(), from.meshName());
        if (toOnFrom != null) return reshard(b, l, global, toOnFrom, what, loc);
        // planned (and reported) once per (value, target sharding) in each block, like the same-mesh reshards
        Value v = done.get(key);
        if (v == null) {
            v = crossMesh(b, l, global, to, what, loc);
            done.put(key, v);
        }
        return v;
    }

    /** A move between meshes whose axes do not correspond: one permute of equal blocks, else the cheapest plan or a gather. */
    private Value crossMesh(IrBuilder b, Local l, TensorType global, TensorSharding to, String what, Location loc) {
        TensorSharding from = l.sharding();
        long[][] pairs = BlockPermutation.pairs(ctx(from).grid(), from, ctx(to).grid(), to);
        if (pairs != null) {
            return ctx(to).emit().collectivePermute(b, l.value(), pairs, loc);
        }
        // blocks cut differently: the cheapest cross-mesh plan under the resharder's cost model and cap (the exchange
        // of common cells, moves on the source mesh then one step across, or gathering whole and slicing), reported
        CrossMeshExchange.Choice choice = CrossMeshExchange.choose(ctx(from).mesh(), from, ctx(to).mesh(), to, global, ReshardCost.DEFAULT, loc);
        if (choice.plan() != null) {
            report.add(new PartitionReport.Entry(PartitionReport.Kind.CROSS_MESH_PLANNED, what, loc.describe(), choice.why()));
            return choice.plan().emit(b, l.value(), () -> ctx(to).emit().channel().handle(), loc);
        }
        report.add(new PartitionReport.Entry(PartitionReport.Kind.CROSS_MESH_GATHERED, what, loc.describe(), global + " " + from + " -> " + to
                + ": neither sharding can be written in the other mesh's axes (their device groups differ) and " + choice.why()
                + ", so the value is gathered whole on @" + from.meshName() + " and sliced on @" + to.meshName()));
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
    static boolean sameLayout(TensorSharding a, TensorSharding b) {
        if (a.rank() != b.rank() || !Unreduced.sameAxes(a, b)) return false;
        for (int d = 0; d < a.rank(); d++) if (!a.axesOfDim(d).equals(b.axesOfDim(d))) return false;
        return true;
    }

    List<TensorSharding> resultShardings(Operation op) {
        if (op.numResults() == 0) return List.of();
        if (!(op.attributes().get(SHARDING) instanceof TensorShardingPerValue pv) || pv.size() != op.numResults()) {
            throw new Hlo4jException("'" + op.name() + "' has no sdy.sharding for its " + op.numResults() + " results: the partitioner "
                    + "needs a propagated module (every op annotated)", op.location());
        }
        List<TensorSharding> out = new ArrayList<>();
        for (int i = 0; i < pv.size(); i++) out.add(checkMesh(pv.get(i), "'" + op.name() + "' result #" + i, op.location()));
        return out;
    }

    // ---- ops ------------------------------------------------------------------------------------

    void partitionOp(IrBuilder b, Operation op, Map<Value, Local> env) {
        PartitionDeadline.check(op);
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
            case "sdy.sharded_to_unreduced", "sdy.replicated_to_unreduced" -> ops.toUnreduced(b, op, env);
            // propagation markers: the value passes through as it is held; a sharding group only steered propagation
            case "sdy.propagation_barrier" -> env.put(op.result(0), local(env, op.operand(0), op));
            case "sdy.sharding_group" -> { }
            case "sdy.manual_computation" -> manualBodies.manual(b, op, env);
            case "stablehlo.while", "stablehlo.case", "stablehlo.if" -> controlFlow.partition(b, op, env);
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
            default -> ops.ruleDriven(b, op, env);
        }
    }
}
