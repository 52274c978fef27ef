package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.compiler.ad.Regions;
import io.hlo4j.compiler.cost.TensorBytes;
import io.hlo4j.compiler.spmd.propagate.Propagation;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.SdyManualComputation;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A partially manual {@code sdy.manual_computation}: manual on some mesh axes, the others (not made manual here or by
 * an enclosing computation) are <em>free</em>, and on them the body is an ordinary global program on the
 * manual-local shapes that Shardy partitions automatically. The body's arguments hold in_shardings without their
 * manual prefix (the free axes that follow it), its results out_shardings likewise; propagation over the free axes
 * gives every body value a sharding ({@link #propagatedBody}), and the partitioner computes the body like @main.
 * A collective of the body is written over manual axes: it must join only devices that share their free-axis
 * coordinates ({@link #check}); each device then holds the same free-axis block as its group's others, and only the
 * dimensions a collective gathers, scatters or splits must be whole over the free axes ({@link #wholeDims}).
 */
final class PartialManual {
    private PartialManual() {}

    /**
     * Checks {@code op} (manual on {@code manual}, inside computations already manual on {@code outer}, on mesh
     * {@code meshName}, free axes {@code free}). Shardings may not name axes manual outside (an enclosing computation's),
     * in/out shardings put this op's manual axes first in each dimension, shardings in the body name free axes only,
     * and each collective group joins devices with equal free-axis coordinates.
     */
    static void check(Operation op, DeviceGrid grid, String meshName, Set<String> outer, List<String> manual, List<String> free) {
        String what = what(op, grid, meshName, outer, manual, free);
        List<String> again = new ArrayList<>(manual);
        again.retainAll(outer);
        if (!again.isEmpty()) {
            throw new Hlo4jException(what + ": manual_axes " + again + " are already manual in an enclosing sdy.manual_computation; "
                    + "a nested one makes manual only axes its enclosing ones left free", op.location());
        }
        TensorShardingPerValue in = SdyManualComputation.inShardings(op), out = SdyManualComputation.outShardings(op);
        for (int i = 0; i < in.size(); i++) signature(in.get(i), outer, manual, what, "in_shardings #" + i, op);
        for (int i = 0; i < out.size(); i++) signature(out.get(i), outer, manual, what, "out_shardings #" + i, op);
        Set<String> notFree = new LinkedHashSet<>(outer);
        notFree.addAll(manual);
        for (Block blk : op.region(0).blocks()) for (Operation inner : blk.operations()) body(inner, grid, free, notFree, what);
    }

    static List<String> free(MeshAttr mesh, Set<String> outer, List<String> manual) {
        List<String> free = new ArrayList<>();
        for (var a : mesh.axes()) if (!manual.contains(a.name()) && !outer.contains(a.name())) free.add(a.name());
        return free;
    }

    private static String what(Operation op, DeviceGrid grid, String meshName, Set<String> outer, List<String> manual, List<String> free) {
        return "sdy.manual_computation manual on " + manual + (outer.isEmpty() ? "" : " inside one manual on " + outer)
                + " of mesh @" + meshName + " axes " + grid.mesh().axisNames() + " (free axes " + free + ")";
    }

    /**
     * Whether some sharding of {@code op} (in/out or inside its body) names a free axis, or its body holds a nested
     * manual computation: then the body must be partitioned rather than copied as written.
     */
    static boolean mentions(Operation op, List<String> free) {
        TensorShardingPerValue in = SdyManualComputation.inShardings(op), out = SdyManualComputation.outShardings(op);
        for (int i = 0; i < in.size(); i++) if (!named(in.get(i), free).isEmpty()) return true;
        for (int i = 0; i < out.size(); i++) if (!named(out.get(i), free).isEmpty()) return true;
        for (Block blk : op.region(0).blocks()) for (Operation inner : blk.operations()) if (mentionsInside(inner, free)) return true;
        return false;
    }

    private static boolean mentionsInside(Operation inner, List<String> free) {
        // a nested computation is partitioned, never copied as it is
        if (inner.name().equals("sdy.manual_computation")) return true;
        for (Attribute a : allAttrs(inner).values()) {
            if (a instanceof TensorSharding s && !named(s, free).isEmpty()) return true;
            if (a instanceof TensorShardingPerValue pv) for (int i = 0; i < pv.size(); i++) if (!named(pv.get(i), free).isEmpty()) return true;
        }
        for (Region r : inner.regions()) for (Block blk : r.blocks()) for (Operation o : blk.operations()) if (mentionsInside(o, free)) return true;
        return false;
    }

    private static void signature(TensorSharding s, Set<String> outer, List<String> manual, String what, String where, Operation op) {
        Set<String> bad = named(s, new ArrayList<>(outer));
        if (!bad.isEmpty()) {
            throw new Hlo4jException(what + ": " + where + " " + s + " names axes " + bad + " that an enclosing sdy.manual_computation "
                    + "already made manual; an inner computation may only name axes left free", op.location());
        }
        for (int d = 0; d < s.rank(); d++) {
            boolean seenFree = false;
            for (AxisRef a : s.axesOfDim(d)) {
                if (!manual.contains(a.name())) seenFree = true;
                else if (seenFree) {
                    throw new Hlo4jException(what + ": " + where + " " + s + " dimension " + d + " puts manual axis \"" + a.name()
                            + "\" after a free axis; manual axes come first in each dimension", op.location());
                }
            }
        }
        Set<String> unreduced = new LinkedHashSet<>();
        for (AxisRef a : s.unreducedAxes()) unreduced.add(a.name());
        if (!unreduced.isEmpty()) {
            throw new Hlo4jException(what + ": " + where + " " + s + " holds axes " + unreduced + " unreduced; the partitioner takes "
                    + "a manual computation's operands and results reduced", op.location());
        }
    }

    /** The axes of {@code s} (dimensions, replicated, unreduced) among {@code names}. */
    private static Set<String> named(TensorSharding s, List<String> names) {
        Set<String> named = new LinkedHashSet<>();
        for (DimensionSharding d : s.dimShardings()) for (AxisRef r : d.axes()) named.add(r.name());
        for (AxisRef r : s.replicatedAxes()) named.add(r.name());
        for (AxisRef r : s.unreducedAxes()) named.add(r.name());
        named.retainAll(names);
        return named;
    }

    private static void body(Operation inner, DeviceGrid grid, List<String> free, Set<String> notFree, String what) {
        // a nested computation checks its own signature and body when the partitioner reaches it
        if (inner.name().equals("sdy.manual_computation")) return;
        for (Map.Entry<String, Attribute> e : allAttrs(inner).entrySet()) {
            if (e.getValue() instanceof TensorSharding s) freeOnly(s, notFree, what, "'" + inner.name() + "' " + e.getKey(), inner);
            if (e.getValue() instanceof TensorShardingPerValue pv) {
                for (int i = 0; i < pv.size(); i++) freeOnly(pv.get(i), notFree, what, "'" + inner.name() + "' " + e.getKey() + " #" + i, inner);
            }
        }
        if (inner.attr("replica_groups") != null) groups(inner, "replica_groups", grid, free, what);
        if (inner.attr("source_target_pairs") != null) groups(inner, "source_target_pairs", grid, free, what);
        for (Region r : inner.regions()) for (Block blk : r.blocks()) for (Operation o : blk.operations()) body(o, grid, free, notFree, what);
    }

    private static Map<String, Attribute> allAttrs(Operation op) {
        Map<String, Attribute> all = new java.util.LinkedHashMap<>(op.properties().asMap());
        all.putAll(op.attributes().asMap());
        return all;
    }

    private static void freeOnly(TensorSharding s, Set<String> notFree, String what, String where, Operation at) {
        Set<String> named = named(s, new ArrayList<>(notFree));
        if (!named.isEmpty()) {
            throw new Hlo4jException(what + ": " + where + " " + s + " names manual axes " + named
                    + "; inside the body a sharding may name free axes only", at.location());
        }
    }

    /**
     * Each group (each pair) must join devices with equal free-axis coordinates: they hold the same free-axis block
     * of their body values, and a group across free coordinates would combine different blocks (or, on a value
     * replicated over a free axis, count copies: a psum over y would add each twice).
     */
    private static void groups(Operation inner, String key, DeviceGrid grid, List<String> free, String what) {
        if (!(inner.attr(key) instanceof DenseElementsAttr d)) {
            throw new Hlo4jException(what + ": '" + inner.name() + "' " + key + " " + inner.attr(key)
                    + " are not dense device ids; inside a partially manual computation write the groups out", inner.location());
        }
        long[] v = TensorBytes.intValues(d);
        int cols = d.type().rank() == 2 ? (int) d.type().dim(1) : v.length;
        if (v.length == 0) {
            throw new Hlo4jException(what + ": '" + inner.name() + "' has empty " + key + " (every device in one group), which joins devices "
                    + "on different free-axis coordinates", inner.location());
        }
        List<Integer> freeIdx = new ArrayList<>();
        for (int a = 0; a < grid.mesh().axes().size(); a++) if (free.contains(grid.mesh().axes().get(a).name())) freeIdx.add(a);
        for (int row = 0; row * cols < v.length; row++) {
            long[] group = Arrays.copyOfRange(v, row * cols, row * cols + cols);
            long[] first = null;
            for (long id : group) {
                if (id < 0) continue;
                if (id >= grid.devices()) {
                    throw new Hlo4jException(what + ": '" + inner.name() + "' " + key + " names device " + id + " but the mesh has "
                            + grid.devices(), inner.location());
                }
                long[] c = freeCoords(grid, (int) id, freeIdx);
                if (first == null) first = c;
                else if (!Arrays.equals(first, c)) {
                    throw new Hlo4jException(what + ": '" + inner.name() + "' " + key + (key.equals("source_target_pairs") ? " pair " : " group ") + Arrays.toString(group)
                            + " joins devices on different coordinates of free axes " + free
                            + "; a collective in the body may only span manual axes", inner.location());
                }
            }
        }
    }

    private static long[] freeCoords(DeviceGrid grid, int p, List<Integer> freeIdx) {
        long[] all = grid.coords(p), out = new long[freeIdx.size()];
        for (int i = 0; i < out.length; i++) out[i] = all[freeIdx.get(i)];
        return out;
    }

    /**
     * {@code s} without the manual axes (a prefix of each dimension): how the body's local value is split on free axes.
     * Open dimensions stay open.
     */
    static TensorSharding freePart(TensorSharding s, List<String> manual) {
        List<DimensionSharding> dims = new ArrayList<>();
        for (int d = 0; d < s.rank(); d++) {
            List<AxisRef> rest = new ArrayList<>();
            for (AxisRef a : s.axesOfDim(d)) if (!manual.contains(a.name())) rest.add(a);
            dims.add(new DimensionSharding(rest, s.dimShardings().get(d).closed(), null));
        }
        List<AxisRef> replicated = new ArrayList<>();
        for (AxisRef a : s.replicatedAxes()) if (!manual.contains(a.name())) replicated.add(a);
        return new TensorSharding(s.meshName(), null, dims, replicated, List.of(), "sum");
    }

    /**
     * {@code written} with each open dimension extended by the free axes {@code held} has there after the same axes
     * (as Shardy's propagation extends an open in/out sharding of a partially manual computation from its operand or
     * the body's result), every dimension closed. An axis {@code written} names anywhere, or not in {@code free}, is not
     * taken. Unchanged when {@code held} is on another mesh, of another rank, or unreduced.
     */
    static TensorSharding widen(TensorSharding written, TensorSharding held, List<String> free) {
        Set<String> taken = new LinkedHashSet<>();
        for (int d = 0; d < written.rank(); d++) for (AxisRef a : written.axesOfDim(d)) taken.add(a.name());
        for (AxisRef a : written.replicatedAxes()) taken.add(a.name());
        boolean comparable = held != null && held.meshName().equals(written.meshName()) && held.rank() == written.rank() && held.unreducedAxes().isEmpty();
        List<DimensionSharding> dims = new ArrayList<>();
        for (int d = 0; d < written.rank(); d++) {
            DimensionSharding w = written.dimShardings().get(d);
            List<AxisRef> axes = w.axes();
            if (comparable && !w.closed()) {
                List<AxisRef> h = held.axesOfDim(d);
                if (h.size() > axes.size() && h.subList(0, axes.size()).equals(axes)) {
                    List<AxisRef> extra = h.subList(axes.size(), h.size());
                    boolean ok = true;
                    for (AxisRef a : extra) ok &= free.contains(a.name()) && !taken.contains(a.name());
                    if (ok) {
                        for (AxisRef a : extra) taken.add(a.name());
                        axes = h;
                    }
                }
            }
            dims.add(new DimensionSharding(axes, true, null));
        }
        return new TensorSharding(written.meshName(), null, dims, written.replicatedAxes(), written.unreducedAxes(), written.reduction());
    }

    /** {@code full}'s manual prefix of each dimension followed by {@code free}'s axes there. */
    static TensorSharding withPrefix(TensorSharding full, TensorSharding free, List<String> manual) {
        List<DimensionSharding> dims = new ArrayList<>();
        for (int d = 0; d < full.rank(); d++) {
            List<AxisRef> axes = new ArrayList<>();
            for (AxisRef a : full.axesOfDim(d)) if (manual.contains(a.name())) axes.add(a);
            axes.addAll(free.axesOfDim(d));
            dims.add(new DimensionSharding(axes, true, null));
        }
        return new TensorSharding(full.meshName(), null, dims, full.replicatedAxes(), full.unreducedAxes(), full.reduction());
    }

    /**
     * The body as a function {@code @main} of its own (arguments and results annotated with their free-axis shardings,
     * the body's own annotations kept), propagated on the mesh: every body value gets a sharding over the free axes.
     * Values of the body defined outside it are refused (the body is isolated from above).
     */
    static Operation propagatedBody(Operation op, String meshName, MeshAttr mesh, List<TensorSharding> args, List<TensorSharding> results) {
        Block body = op.region(0).entry();
        List<Type> argTypes = new ArrayList<>();
        for (BlockArgument a : body.arguments()) argTypes.add(a.type());
        FunctionBuilder fb = IrBuilder.function("main", argTypes, op.location());
        List<DictionaryAttr> argAttrs = new ArrayList<>(), resAttrs = new ArrayList<>();
        for (TensorSharding s : args) argAttrs.add(DictionaryAttr.of(Map.of(Partitioner.SHARDING, s)));
        for (TensorSharding s : results) resAttrs.add(DictionaryAttr.of(Map.of(Partitioner.SHARDING, s)));
        fb.argAttrs(argAttrs).resultAttrs(resAttrs);
        List<Value> fnArgs = new ArrayList<>();
        for (int i = 0; i < argTypes.size(); i++) fnArgs.add(fb.argument(i));
        // attributes kept (sdy.sharding included: they seed the body's propagation); a value from outside is refused
        List<Value> outs = Regions.inline(fb, body, fnArgs, Cloner.Options.KEEP.outside((v, user) -> { throw outside(v, user, op); }));
        Operation f = fb.finish(outs, body.terminator().location());
        Operation meshOp = Operation.builder("sdy.mesh").location(op.location())
                .property("sym_name", new StringAttr(meshName)).property("mesh", mesh).build();
        Module m = Module.of("manual_body", DictionaryAttr.of(Map.of("mhlo.num_partitions", IntegerAttr.i32(Math.toIntExact(mesh.totalSize())))),
                List.of(meshOp, f), op.location());
        return Propagation.propagate(m).module().symbols().lookup("main");
    }

    private static Hlo4jException outside(Value v, Operation user, Operation owner) {
        return new Hlo4jException("sdy.manual_computation: '" + user.name() + "' in its body uses a value (" + v.type()
                + ") defined outside the body; the body may use only its arguments", owner.location());
    }

    /** Dimensions a body collective gathers, scatters or splits: whole over the free axes on the way in and out. */
    static Set<Integer> wholeDims(Operation op) {
        Set<Integer> out = new java.util.HashSet<>();
        for (String key : List.of("all_gather_dim", "scatter_dimension", "split_dimension", "concat_dimension")) {
            if (op.attr(key) instanceof IntegerAttr i) out.add(Math.toIntExact(i.value()));
        }
        return out;
    }

    /** {@code s} with the {@code whole} dimensions unsplit, nothing unreduced. */
    static TensorSharding without(TensorSharding s, Set<Integer> whole) {
        List<DimensionSharding> dims = new ArrayList<>();
        for (int d = 0; d < s.rank(); d++) dims.add(new DimensionSharding(whole.contains(d) ? List.of() : s.axesOfDim(d), true, null));
        return new TensorSharding(s.meshName(), null, dims, List.of(), List.of(), "sum");
    }

    /** A body value's sharding seen from the whole mesh: a leading dimension of size M split on the manual axes. */
    static TensorSharding lifted(TensorSharding s, List<AxisRef> manual) {
        List<DimensionSharding> dims = new ArrayList<>();
        dims.add(new DimensionSharding(manual, true, null));
        dims.addAll(s.dimShardings());
        return new TensorSharding(s.meshName(), null, dims, s.replicatedAxes(), s.unreducedAxes(), s.reduction());
    }

    static TensorType lifted(TensorType t, long m) {
        long[] shape = new long[t.rank() + 1];
        shape[0] = m;
        System.arraycopy(t.shape(), 0, shape, 1, t.rank());
        return t.withShape(shape);
    }
}
