package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.dialect.sdy.AllToAllParams;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.AxisRefList;
import io.hlo4j.mlir.dialect.sdy.AxisRefListPerDim;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.SdyCollectiveOps;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shardy's explicit collectives on the global program. Each maps a tensor's logical value to itself and changes
 * only how it is laid out (see the interpreter's SdyKernels), so each VJP hands the cotangent on unchanged in
 * value; what the rules add is the layout: the cotangent of an operand is moved back to the operand's sharding by
 * the transposed collective, so the backward program keeps the forward program's sharding decisions.
 *
 * <p>Cotangent shardings are the forward shardings with their unreduced axes dropped: the cotangent of a value
 * whose per-device pieces still have to be summed is the same full cotangent on every device (replicated).
 * With that, the transposes follow from Shardy's definitions:
 * <ul>
 *   <li>all_gather(A) and all_slice(A) are each other's transposes;</li>
 *   <li>all_to_all moves the axes back: each parameter {@code A: s->t} becomes {@code A: t->s};</li>
 *   <li>collective_permute to S transposes to collective_permute back to the operand's sharding (read from the
 *   operand's producer: it must carry one);</li>
 *   <li>all_reduce(sum, A) transposes to no collective at all: each device's partial sum gets the whole,
 *   replicated, cotangent (JAX: psum transposes to a broadcast that needs no communication);</li>
 *   <li>reduce_scatter(sum, A) = all_slice(A) . all_reduce(A), so it transposes to all_gather(A);</li>
 *   <li>sharded_to_unreduced(A): Shardy's law all_gather(A) = all_reduce(A) . sharded_to_unreduced(A) with
 *   all_reduce's transpose the identity gives all_slice(A);</li>
 *   <li>replicated_to_unreduced(A): the law all_reduce(A) . replicated_to_unreduced(A) = id gives the identity.</li>
 * </ul>
 * Max and min reductions are refused: their transposes are not collectives on the same axes.
 */
final class SdyCollectiveRules {
    private SdyCollectiveRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("sdy.all_gather", (b, op, g) -> {
            AxisRefListPerDim axes = perDim(b, op, "gathering_axes");
            TensorSharding operand = appendAxes(out(b, op), axes);
            return List.of(emit(b, op, "sdy.all_slice", g.get(0), "slicing_axes", axes, operand));
        });
        in.rule("sdy.all_slice", (b, op, g) -> {
            AxisRefListPerDim axes = perDim(b, op, "slicing_axes");
            TensorSharding operand = removeSuffixes(b, op, out(b, op), axes, "slicing_axes");
            return List.of(emit(b, op, "sdy.all_gather", g.get(0), "gathering_axes", axes, operand));
        });
        in.rule("sdy.all_to_all", (b, op, g) -> {
            AllToAllParams params = Attrs.get(op, "params", AllToAllParams.class);
            TensorSharding s = out(b, op);
            List<AllToAllParams.Param> back = new ArrayList<>();
            for (AllToAllParams.Param p : params.params()) {
                AxisRefListPerDim one = single(s.rank(), (int) p.targetDim(), p.axes());
                s = removeSuffixes(b, op, s, one, "params " + p);
                s = appendAxes(s, single(s.rank(), (int) p.sourceDim(), p.axes()));
                back.add(new AllToAllParams.Param(p.axes(), p.targetDim(), p.sourceDim()));
            }
            back.sort(Comparator.comparingLong(AllToAllParams.Param::sourceDim));
            return List.of(emit(b, op, "sdy.all_to_all", g.get(0), "params", new AllToAllParams(back), s));
        });
        in.rule("sdy.collective_permute", (b, op, g) -> {
            TensorSharding operand = operandSharding(op.operand(0));
            if (operand == null) {
                throw b.refuse(op, "the sharding of its operand (" + describe(op.operand(0)) + ") is unknown: the transposed"
                        + " permute moves the cotangent back to it, so the operand's producer must carry a sharding"
                        + " (an sdy.sharding attribute, an sdy collective, or an sdy.sharding_constraint)");
            }
            return List.of(emit(b, op, "sdy.collective_permute", g.get(0), null, null, operand));
        });
        in.rule("sdy.all_reduce", (b, op, g) -> {
            requireSum(b, op);
            return g;
        });
        in.rule("sdy.reduce_scatter", (b, op, g) -> {
            requireSum(b, op);
            AxisRefListPerDim axes = perDim(b, op, "reduce_scatter_axes");
            TensorSharding operand = removeSuffixes(b, op, out(b, op), axes, "reduce_scatter_axes");
            return List.of(emit(b, op, "sdy.all_gather", g.get(0), "gathering_axes", axes, operand));
        });
        in.rule("sdy.sharded_to_unreduced", (b, op, g) -> {
            AxisRefListPerDim axes = perDim(b, op, "axes");
            TensorSharding operand = appendAxes(out(b, op), axes);
            return List.of(emit(b, op, "sdy.all_slice", g.get(0), "slicing_axes", axes, operand));
        });
        in.rule("sdy.replicated_to_unreduced", (b, op, g) -> {
            Attrs.get(op, "axes", AxisRefList.class);
            return g;
        });
    }

    private static Value emit(Backward b, Operation op, String name, Value g, String paramName, Attribute param, TensorSharding sharding) {
        Map<String, Attribute> p = new LinkedHashMap<>();
        if (paramName != null) p.put(paramName, param);
        p.put("out_sharding", cotangentSharding(sharding));
        return b.ir().emit(name, List.of(g), p, List.of(), List.of(op.operand(0).type()), b.loc()).get(0);
    }

    private static void requireSum(Backward b, Operation op) {
        String r = SdyCollectiveOps.reduction(op);
        if (!r.equals("sum")) throw b.refuse(op, "only sum reductions have a VJP rule, got " + r);
    }

    private static TensorSharding out(Backward b, Operation op) {
        if (op.attr("out_sharding") instanceof TensorSharding s) return s;
        throw b.refuse(op, "has no out_sharding");
    }

    private static AxisRefListPerDim perDim(Backward b, Operation op, String name) {
        AxisRefListPerDim a = Attrs.get(op, name, AxisRefListPerDim.class);
        if (a.dims().size() != out(b, op).rank()) {
            throw b.refuse(op, name + " has " + a.dims().size() + " entries but out_sharding " + out(b, op) + " has rank " + out(b, op).rank());
        }
        return a;
    }

    /** The cotangent's layout: the same dimension shardings and explicit replication, nothing unreduced. */
    static TensorSharding cotangentSharding(TensorSharding s) {
        return new TensorSharding(s.meshName(), s.inlineMesh(), s.dimShardings(), s.replicatedAxes(), List.of(), "sum");
    }

    /** {@code axes} for dimension {@code dim} only, nothing for the others. */
    private static AxisRefListPerDim single(int rank, int dim, List<AxisRef> axes) {
        List<AxisRefList> l = new ArrayList<>();
        for (int d = 0; d < rank; d++) l.add(new AxisRefList(d == dim ? axes : List.of()));
        return new AxisRefListPerDim(l);
    }

    /** The sharding with each dimension's axes extended by {@code axes} (minor-most); those axes stop being replicated. */
    static TensorSharding appendAxes(TensorSharding s, AxisRefListPerDim axes) {
        List<DimensionSharding> dims = new ArrayList<>();
        List<AxisRef> added = new ArrayList<>();
        for (int d = 0; d < s.rank(); d++) {
            DimensionSharding ds = s.dimShardings().get(d);
            List<AxisRef> a = new ArrayList<>(ds.axes());
            a.addAll(axes.axesOfDim(d));
            added.addAll(axes.axesOfDim(d));
            dims.add(new DimensionSharding(a, ds.closed(), ds.priority()));
        }
        List<AxisRef> replicated = new ArrayList<>(s.replicatedAxes());
        replicated.removeAll(added);
        return new TensorSharding(s.meshName(), s.inlineMesh(), dims, replicated, s.unreducedAxes(), s.reduction());
    }

    /** The sharding with {@code axes} removed from the minor end of each dimension; refuses when they are not there. */
    private static TensorSharding removeSuffixes(Backward b, Operation op, TensorSharding s, AxisRefListPerDim axes, String what) {
        List<DimensionSharding> dims = new ArrayList<>();
        for (int d = 0; d < s.rank(); d++) {
            DimensionSharding ds = s.dimShardings().get(d);
            List<AxisRef> tail = axes.axesOfDim(d), have = ds.axes();
            int keep = have.size() - tail.size();
            if (keep < 0 || !have.subList(keep, have.size()).equals(tail)) {
                throw b.refuse(op, what + " puts " + tail + " on dimension " + d + ", but out_sharding " + s
                        + " does not shard that dimension over them last (its axes are " + have + ")");
            }
            dims.add(new DimensionSharding(have.subList(0, keep), ds.closed(), ds.priority()));
        }
        return new TensorSharding(s.meshName(), s.inlineMesh(), dims, s.replicatedAxes(), s.unreducedAxes(), s.reduction());
    }

    /**
     * The sharding a value was produced with: an sdy collective's out_sharding, a constraint's or reshard's
     * sharding, an op's {@code sdy.sharding} entry, null if none. A function
     * argument's {@code sdy.sharding} is not seen (the rule reads the re-emitted forward, whose arguments are
     * the VJP function's and carry no attributes): constrain the argument with {@code sdy.sharding_constraint} first.
     */
    static TensorSharding operandSharding(Value v) {
        if (v instanceof OpResult r) {
            Operation p = r.owner();
            if (p.attr("out_sharding") instanceof TensorSharding s) return s;
            if ((p.name().equals("sdy.sharding_constraint") || p.name().equals("sdy.reshard")) && p.attr("sharding") instanceof TensorSharding s) return s;
            if (p.attr("sdy.sharding") instanceof TensorShardingPerValue pv && r.index() < pv.size()) return pv.get(r.index());
            return null;
        }
        return null;
    }

    private static String describe(Value v) {
        if (v instanceof OpResult r) return "result #" + r.index() + " of " + r.owner().name();
        if (v instanceof BlockArgument a) return "block argument #" + a.index();
        return String.valueOf(v);
    }
}
