package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.compiler.spmd.partition.Partitioner.Local;
import io.hlo4j.compiler.spmd.partition.Partitioner.MeshCtx;
import io.hlo4j.compiler.spmd.rule.ShardingRules;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The op-by-op part of the {@link Partitioner}: an op with a sharding rule computed on local blocks as its factor plan
 * allows ({@link FactorPlan}), partial sums finished with all_reduce or reduce_scatter; an op without one computed on
 * gathered, replicated operands and sliced (listed in the report); and Shardy's unreduced conversions.
 */
final class RuleDrivenOps {
    private final Partitioner p;
    private final HaloOps halo;
    private final ConcatOps concat;
    private final SelectScatterOps selectScatter;

    RuleDrivenOps(Partitioner p) {
        this.p = p;
        this.halo = new HaloOps(p);
        this.concat = new ConcatOps(p, halo);
        this.selectScatter = new SelectScatterOps(p, halo);
    }

    /** The op's factor rule from the registry ({@link ShardingRules}), or null when it has none. */
    private static OpShardingRule ruleFor(Operation op) {
        return ShardingRules.hasRule(op) ? ShardingRules.of(op) : null;
    }

    /**
     * {@code sdy.replicated_to_unreduced {A}} / {@code sdy.sharded_to_unreduced [{A0}, ...]}: the operand is brought to
     * out_sharding without the new unreduced axes (for sharded, each dimension also split on its axes, minor end), then
     * turned into terms of a sum over them ({@link MakePartial}).
     */
    void toUnreduced(IrBuilder b, Operation op, Map<Value, Local> env) {
        TensorSharding out = p.checkMesh((TensorSharding) op.attr("out_sharding"), "'" + op.name() + "' out_sharding", op.location());
        MeshCtx c = p.ctx(out);
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
        Value x = p.reshard(b, env, op.operand(0), in, "'" + op.name() + "' operand", op.location());
        Value v = sharded ? MakePartial.shardedToUnreduced(b, c.emit(), c.grid(), x, perDim, op.location())
                : MakePartial.replicatedToUnreduced(b, c.emit(), c.grid(), x, axes, op.location());
        env.put(op.result(0), new Local(v, out));
    }

    void ruleDriven(IrBuilder b, Operation op, Map<Value, Local> env) {
        if (p.scope != null && op.def() != null && op.def().has(io.hlo4j.mlir.registry.OpTrait.COLLECTIVE)) {
            p.manualBodies.bodyCollective(b, op, env);
            return;
        }
        List<TensorSharding> targets = p.resultShardings(op);
        if (op.def() != null && op.def().has(io.hlo4j.mlir.registry.OpTrait.COLLECTIVE)) {
            throw new Hlo4jException("'" + op.name() + "' is a collective outside a manual computation; a global program names "
                    + "collectives only inside sdy.manual_computation", op.location());
        }
        if (halo.handles(op)) { halo.partition(b, op, env); return; }
        if (concat.handles(op)) { concat.partition(b, op, env); return; }
        if (selectScatter.handles(op)) { selectScatter.partition(b, op, env); return; }
        OpShardingRule rule = ruleFor(op);
        if (rule == null) { replicatedCompute(b, op, env, targets, "no sharding rule for this op"); return; }
        rule = RaggedDotLocal.partitionRule(op, rule);
        if (!LocalOps.supports(op)) { replicatedCompute(b, op, env, targets, "the partitioner does not localise this op"); return; }
        boolean reducing = LocalOps.REDUCING.contains(op.name())
                && (!op.name().equals("stablehlo.reduce") || LocalOps.initIsIdentity(op));
        MeshCtx c = targets.isEmpty() ? p.meshes.get(p.meshName) : p.ctx(targets.get(0));
        for (TensorSharding t : targets) {
            if (!t.meshName().equals(c.name())) throw new Hlo4jException("'" + op.name() + "' has results on two meshes: " + targets, op.location());
        }
        List<TensorSharding> current = new ArrayList<>();
        for (Value v : op.operands()) {
            TensorSharding s = p.local(env, v, op).sharding();
            // an operand on another mesh counts as held where it is, when its axes can be written on this mesh
            TensorSharding here = s.meshName().equals(c.name()) ? s : MeshRewrite.rewrite(p.ctx(s).grid(), s, c.grid(), c.name());
            current.add(here != null ? here : p.replicated(s.rank(), c.name()));
        }
        FactorPlan plan = PlanChoice.choose(op, rule, c.mesh(), c.grid(), current, targets, reducing, io.hlo4j.compiler.spmd.rule.WholeFactors.of(op, rule), c.name(),
                p.options.planByBytes());
        // a linear element-wise op on terms unreduced like its result: computed on the terms, the sum taken later
        boolean linear = targets.size() == 1 && Unreduced.keepsThrough(op, targets.get(0), current);
        // a convolution's spatial dimensions the result wants split: the input held split there too, halos added
        List<String> gatheredWhy = new ArrayList<>();
        List<HaloOps.Spatial> spatial = op.name().equals("stablehlo.convolution")
                ? halo.convolutionHalos(op, targets.get(0), plan, current.get(0), c, gatheredWhy) : List.of();
        List<Value> operands = new ArrayList<>();
        List<TensorSharding> operandSh = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) {
            TensorSharding need = plan.operand(i, c.name());
            if (i == 0) need = HaloOps.withSpatial(need, spatial, true);
            if (linear) need = Unreduced.with(need, targets.get(0).unreducedAxes(), "sum");
            operandSh.add(need);
            operands.add(p.reshard(b, env, op.operand(i), need, "'" + op.name() + "' operand #" + i, op.location()));
        }
        if (!spatial.isEmpty()) operands.set(0, halo.convolutionWindows(b, op, operands.get(0), spatial, c));
        List<TensorSharding> computed = new ArrayList<>();
        List<TensorType> localTypes = new ArrayList<>();
        for (int r = 0; r < op.numResults(); r++) {
            TensorSharding res = HaloOps.withSpatial(plan.result(r, c.name()), spatial, false);
            computed.add(linear ? Unreduced.with(res, targets.get(r).unreducedAxes(), "sum") : res);
            localTypes.add(p.localType((TensorType) op.result(r).type(), computed.get(r), "'" + op.name() + "' result #" + r, op.location()));
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
                p.report.add(new PartitionReport.Entry(PartitionReport.Kind.COMPUTED_LESS_SHARDED, op.name(), op.location().describe(),
                        "result #" + r + " computed as " + have + " (" + got + " blocks), then sliced to " + targets.get(r)
                                + (gatheredWhy.isEmpty() ? "" : "; " + String.join("; ", gatheredWhy))));
            }
            env.put(op.result(r), new Local(p.reshard(b, new Local(v, have), (TensorType) op.result(r).type(), targets.get(r),
                    "'" + op.name() + "' result #" + r, op.location()), targets.get(r)));
        }
    }

    private long shards(TensorSharding s) { return p.ctx(s).grid().size(s.shardingAxes()); }

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
            map.put(v, p.reshard(b, env, v, p.replicated(t.rank()), "'" + op.name() + "' (computed replicated)", op.location()));
        }
        Operation.Builder ob = RegionCopy.copy(op, map, () -> p.meshes.get(p.meshName).emit().channel());
        Operation c = b.append(ob, op.location());
        p.report.add(new PartitionReport.Entry(PartitionReport.Kind.COMPUTED_REPLICATED, op.name(), op.location().describe(), why));
        for (int r = 0; r < op.numResults(); r++) {
            TensorType t = (TensorType) op.result(r).type();
            env.put(op.result(r), new Local(p.reshard(b, new Local(c.result(r), p.replicated(t.rank())), t, targets.get(r),
                    "'" + op.name() + "' result #" + r, op.location()), targets.get(r)));
        }
    }

    /** Values used inside the op's regions but defined outside the op. */
    private static List<Value> captured(Operation op) { return Cloner.captured(op.regions()); }
}
