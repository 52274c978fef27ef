package io.hlo4j.compiler.spmd.propagate;

import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.compiler.spmd.propagate.PropagationGraph.Edge;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.SdyVerifier;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sharding propagation: from an annotated module (meshes, argument/result shardings, constraints, manual
 * computations, reshards) to a propagated one in which every op result in every function carries a closed
 * {@code sdy.sharding} and every function argument and result carries one. Axes move along the factors of each
 * op's rule ({@link io.hlo4j.compiler.spmd.rule.ShardingRules}), forward and backward, pass after pass in
 * program order until nothing changes, first for the p0 (and unprioritised) annotations, then p1, and so on
 * (Shardy's user-priority propagation); user annotations are fixed points; whatever stays unconstrained ends
 * up replicated. Every conflict met on the way is resolved by the order documented in
 * {@link FactorPropagation} and returned in {@link Propagated#conflicts()}.
 *
 * <p>A sharded reduction factor (say dot_general contracting dims sharded on both operands) leaves the result
 * replicated over those axes, without {@code unreduced}: the partitioner finishes with an all-reduce.
 * A module without any mesh is returned unchanged.
 */
public final class Propagation {
    /** Far more passes than any real program needs; reaching it means the fixpoint logic is broken. */
    private static final int MAX_PASSES = 10_000;

    private Propagation() {}

    public static Propagated propagate(Module annotated) {
        Map<String, MeshAttr> meshes = SdyVerifier.meshesOf(annotated.op());
        MeshRef fallback = fallbackMesh(annotated, meshes);
        if (fallback == null) return new Propagated(annotated, List.of());
        PropagationGraph g = new PropagationGraph(annotated, meshes);
        FactorPropagation fp = new FactorPropagation();
        // Shardy's user-priority iterations: p0 (and unprioritised) shardings propagate first, then p1, ...
        java.util.TreeSet<Long> levels = new java.util.TreeSet<>();
        java.util.Set<TensorState> all = g.allStates();
        for (TensorState s : all) s.defer(levels);
        fixpoint(g, fp);
        for (long level : levels) {
            for (TensorState s : all) s.release(level);
            fixpoint(g, fp);
        }
        Module out = new Annotator(g, fallback).module(annotated);
        return new Propagated(out, fp.conflicts());
    }

    /** Forward and backward sweeps over every edge in program order until no state changes. */
    private static void fixpoint(PropagationGraph g, FactorPropagation fp) {
        int passes = 0;
        boolean changed = true;
        while (changed) {
            if (++passes > MAX_PASSES) throw new IllegalStateException("sharding propagation did not converge in " + MAX_PASSES + " passes");
            io.hlo4j.compiler.spmd.partition.PartitionDeadline.checkPropagation(passes);
            changed = false;
            for (Edge e : g.edges) changed |= fp.step(e);
            for (int i = g.edges.size() - 1; i >= 0; i--) changed |= fp.step(g.edges.get(i));
        }
    }

    /** The first {@code sdy.mesh} of the module (else the first inline mesh of a function's signature): where tensors that never met a sharding are replicated. */
    private static MeshRef fallbackMesh(Module m, Map<String, MeshAttr> meshes) {
        for (Operation op : m.operations()) {
            if (op.name().equals("sdy.mesh")) {
                String name = io.hlo4j.mlir.ir.SymbolTable.symbolName(op);
                return new MeshRef(name, null, meshes.get(name));
            }
        }
        // no declared mesh: the first inline mesh on a function's arguments or results
        for (Operation f : m.functions()) {
            for (String key : List.of("arg_attrs", "res_attrs")) {
                for (TensorSharding s : PropagationGraph.entryShardings(f.attr(key))) {
                    if (s != null && s.inlineMesh() != null) return new MeshRef(null, s.inlineMesh(), s.inlineMesh());
                }
            }
        }
        return null;
    }

    /** Rebuilds the module with the propagated shardings attached (the IR is immutable). */
    private static final class Annotator {
        private final PropagationGraph g;
        private final MeshRef fallback;
        private final Map<Value, Value> map = new IdentityHashMap<>();
        /** Attributes kept (the user's annotations are read back below); every operand must come from the module. */
        private static final Cloner.Options INSIDE_MODULE = Cloner.Options.KEEP.outside((v, user) -> {
            throw new Hlo4jException("'" + user.name() + "' uses a value defined outside the module", user.location());
        });

        Annotator(PropagationGraph g, MeshRef fallback) {
            this.g = g;
            this.fallback = fallback;
        }

        Module module(Module m) {
            Operation.Builder b = Operation.builder(m.op().name()).location(m.op().location())
                    .properties(m.op().properties()).attributes(m.op().attributes());
            for (Region r : m.op().regions()) b.region(region(r, true));
            return new Module(b.build());
        }

        private TensorSharding sharding(Value v) {
            TensorState s = g.states.get(v);
            if (s == null) throw new IllegalStateException("no propagation state for " + v);
            return s.closed(fallback);
        }

        private Region region(Region r, boolean annotate) {
            return Cloner.rebuild(r, map, inner -> op(inner, annotate));
        }

        private Operation op(Operation op, boolean annotate) {
            Operation.Builder b = Cloner.shell(op, map, INSIDE_MODULE);
            boolean inside = annotate && (op.name().equals("func.func") || PropagationGraph.CONTROL_FLOW.contains(op.name()));
            for (Region r : op.regions()) b.region(region(r, inside));
            if (op.name().equals("func.func")) functionAttrs(op, b);
            else if (annotate && op.numResults() > 0 && g.states.containsKey(op.result(0))) {
                List<TensorSharding> per = new ArrayList<>();
                TensorShardingPerValue user = op.attr("sdy.sharding") instanceof TensorShardingPerValue u && u.size() == op.numResults() ? u : null;
                for (int i = 0; i < op.numResults(); i++) per.add(withUnreduced(user == null ? null : user.get(i), sharding(op.result(i))));
                b.attribute("sdy.sharding", new TensorShardingPerValue(per));
            }
            return b.build();
        }

        /**
         * A user's closed, unprioritised annotation is kept verbatim; an open or prioritised one is closed on what
         * propagation made of it (keeping its replicated/unreduced axes); no annotation gives the propagated one.
         */
        /** An op result keeps the unreduced axes (and their pending reduction) the user wrote: propagation moves dimensions only. */
        private static TensorSharding withUnreduced(TensorSharding user, TensorSharding propagated) {
            if (user == null || user.unreducedAxes().isEmpty()) return propagated;
            return new TensorSharding(propagated.meshName(), propagated.inlineMesh(), propagated.dimShardings(), propagated.replicatedAxes(),
                    user.unreducedAxes(), user.reduction());
        }

        private static TensorSharding kept(TensorSharding user, TensorSharding propagated) {
            if (user == null) return propagated;
            boolean verbatim = user.dimShardings().stream().allMatch(d -> d.closed() && d.priority() == null);
            if (verbatim) return user;
            return new TensorSharding(user.meshName(), user.inlineMesh(), propagated.dimShardings(), user.replicatedAxes(),
                    user.unreducedAxes(), user.reduction());
        }

        /** Arguments and results keep the user's sharding (closed); the others get the propagated one. */
        private void functionAttrs(Operation f, Operation.Builder b) {
            if (f.regions().isEmpty() || f.region(0).isEmpty()) return;
            Block entry = f.region(0).entry();
            List<Attribute> args = new ArrayList<>();
            List<TensorSharding> userArgs = PropagationGraph.entryShardings(f.attr("arg_attrs"));
            for (int i = 0; i < entry.arguments().size(); i++) {
                DictionaryAttr d = entry(f.attr("arg_attrs"), i);
                TensorSharding s = kept(i < userArgs.size() ? userArgs.get(i) : null, sharding(entry.argument(i)));
                args.add(d.with("sdy.sharding", s));
            }
            b.property("arg_attrs", new ArrayAttr(args));
            Operation ret = entry.terminator();
            if (ret == null) return;
            List<Attribute> res = new ArrayList<>();
            List<TensorSharding> userRes = PropagationGraph.entryShardings(f.attr("res_attrs"));
            for (int i = 0; i < ret.numOperands(); i++) {
                DictionaryAttr d = entry(f.attr("res_attrs"), i);
                TensorState ann = g.funcResults.get(f) == null || i >= g.funcResults.get(f).size() ? null : g.funcResults.get(f).get(i);
                TensorSharding s = kept(i < userRes.size() ? userRes.get(i) : null, ann != null ? ann.closed(fallback) : sharding(ret.operand(i)));
                res.add(d.with("sdy.sharding", s));
            }
            b.property("res_attrs", new ArrayAttr(res));
        }

        private static DictionaryAttr entry(Attribute entries, int i) {
            if (entries instanceof ArrayAttr arr && i < arr.size() && arr.get(i) instanceof DictionaryAttr d) return d;
            return DictionaryAttr.EMPTY;
        }
    }
}
