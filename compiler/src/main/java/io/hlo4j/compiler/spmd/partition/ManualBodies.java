package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.compiler.ad.Regions;
import io.hlo4j.compiler.spmd.partition.Partitioner.Local;
import io.hlo4j.compiler.spmd.partition.Partitioner.MeshCtx;
import io.hlo4j.compiler.spmd.partition.Partitioner.Scope;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.SdyManualComputation;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link Partitioner}'s {@code sdy.manual_computation}s: a fully manual (or free-axis-blind) body inlined on the
 * local blocks, a partially manual one partitioned over its free axes ({@link PartialManual}), with its collectives
 * run on blocks and its reshards kept among the devices of one manual coordinate.
 */
final class ManualBodies {
    private final Partitioner p;

    ManualBodies(Partitioner p) { this.p = p; }

    /**
     * {@code sdy.manual_computation}: operands resharded to in_shardings. When no axis is left free (every mesh axis
     * manual here or in an enclosing computation), or no free axis is named anywhere in it (every body value is then
     * replicated over them and the body computes the same on every free coordinate), the body is inlined on the
     * local blocks (its collectives already name partition ids; each gets a fresh channel handle). Otherwise the body
     * is partitioned over the free axes like @main ({@link PartialManual}): its values propagated, each op computed
     * on blocks, its collectives (over manual axes) run on blocks whole along the dimensions they resize.
     * The results are held in out_shardings.
     */
    void manual(IrBuilder b, Operation op, Map<Value, Local> env) {
        TensorShardingPerValue in = SdyManualComputation.inShardings(op), out = SdyManualComputation.outShardings(op);
        List<String> manualAxes = SdyManualComputation.manualAxes(op).axes();
        MeshCtx c = in.size() > 0 ? p.ctx(p.checkMesh(in.get(0), "manual_computation in_shardings #0", op.location()))
                : p.ctx(p.checkMesh(out.get(0), "manual_computation out_shardings #0", op.location()));
        Set<String> outer = p.scope == null ? Set.of() : p.scope.names();
        if (p.scope != null && !p.scope.c().name().equals(c.name())) {
            throw new Hlo4jException("sdy.manual_computation on mesh @" + c.name() + " inside one on mesh @" + p.scope.c().name()
                    + "; a nested manual computation must use its enclosing computation's mesh", op.location());
        }
        List<String> free = PartialManual.free(c.mesh(), outer, manualAxes);
        if (!free.isEmpty() || !outer.isEmpty()) PartialManual.check(op, c.grid(), c.name(), outer, manualAxes, free);
        Block body = op.region(0).entry();
        List<TensorSharding> inSh = new ArrayList<>(), outSh = new ArrayList<>();
        List<Value> operands = new ArrayList<>();
        boolean widened = false;
        for (int i = 0; i < op.numOperands(); i++) {
            TensorSharding written = p.checkMesh(in.get(i), "manual_computation in_shardings #" + i, op.location());
            // an open dimension takes the free axes the operand is already split on there (no gather on the way in)
            TensorSharding s = free.isEmpty() ? written : PartialManual.widen(written, p.local(env, op.operand(i), op).sharding(), free);
            widened |= !Partitioner.sameLayout(s, written);
            Value v = p.reshard(b, env, op.operand(i), s, "sdy.manual_computation operand #" + i, op.location());
            // the body's argument is the manual-local value; each device holds its block over the free axes
            TensorType arg = (TensorType) body.argument(i).type();
            TensorType block = p.localType(arg, PartialManual.freePart(s, manualAxes), "sdy.manual_computation body argument #" + i, op.location());
            if (!v.type().equals(block)) {
                throw new Hlo4jException("sdy.manual_computation operand #" + i + ": local block " + v.type() + " under " + s
                        + " does not match the body's argument " + arg + " split on the free axes (" + block + ")", op.location());
            }
            inSh.add(s);
            operands.add(v);
        }
        for (int i = 0; i < op.numResults(); i++) outSh.add(p.checkMesh(out.get(i), "manual_computation out_shardings #" + i, op.location()));
        List<Value> results = !widened && !PartialManual.mentions(op, free)
                ? inlineBody(b, op, operands, c)
                : partitionBody(b, op, operands, inSh, outSh, manualAxes, free, outer, c);
        for (int i = 0; i < op.numResults(); i++) {
            Value v = results.get(i);
            TensorType expect = p.localType((TensorType) op.result(i).type(), outSh.get(i), "sdy.manual_computation result #" + i, op.location());
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
        Scope saved = p.scope;
        p.scope = new Scope(c, manual, c.grid().size(manual));
        try {
            Operation ret = blk.terminator();
            for (Operation o : blk.operations()) {
                if (o == ret) break;
                p.partitionOp(b, o, inner);
            }
            List<Value> out = new ArrayList<>();
            for (int i = 0; i < ret.numOperands(); i++) {
                TensorSharding to = PartialManual.widen(resFree.get(i), p.local(inner, ret.operand(i), ret).sharding(), free);
                out.add(p.reshard(b, inner, ret.operand(i), to, "sdy.manual_computation body result #" + i, op.location()));
                outSh.set(i, PartialManual.withPrefix(outSh.get(i), to, manualAxes));
            }
            return out;
        } finally {
            p.scope = saved;
        }
    }

    /**
     * A reshard of a body value. Devices on different manual coordinates hold different values, which the planner
     * must not take for copies of one block: the value is planned as a tensor with a leading dimension of size M
     * (the manual axes' product) split on the manual axes, so every move stays among devices of one manual coordinate.
     */
    Value scopedReshard(IrBuilder b, Value v, TensorType global, TensorSharding from, TensorSharding to, String what, Location loc) {
        if (!to.meshName().equals(p.scope.c().name()) || !from.meshName().equals(p.scope.c().name())) return null;
        TensorType outLocal = p.localType(global, to, what, loc);
        Value x = reshape(b, v, PartialManual.lifted((TensorType) v.type(), 1), loc);
        Value y = p.scope.c().resharder().reshard(b, x, PartialManual.lifted(global, p.scope.size()), PartialManual.lifted(from, p.scope.manual()),
                PartialManual.lifted(to, p.scope.manual()), what, loc);
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
    void bodyCollective(IrBuilder b, Operation op, Map<Value, Local> env) {
        if (op.numResults() != op.numOperands()) {
            throw new Hlo4jException("'" + op.name() + "' in a partially manual body has " + op.numOperands() + " operands and "
                    + op.numResults() + " results; the partitioner pairs each result with an operand", op.location());
        }
        Set<Integer> whole = PartialManual.wholeDims(op);
        MeshCtx c = p.scope.c();
        List<Value> operands = new ArrayList<>();
        List<TensorSharding> held = new ArrayList<>();
        List<Type> types = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) {
            if (!(op.operand(i).type() instanceof TensorType t)) {
                throw new Hlo4jException("'" + op.name() + "' operand #" + i + " has type " + op.operand(i).type() + "; the partitioner handles tensors only", op.location());
            }
            TensorSharding cur = p.local(env, op.operand(i), op).sharding();
            TensorSharding need = PartialManual.without(cur.meshName().equals(c.name()) ? cur : p.replicated(t.rank(), c.name()), whole);
            operands.add(p.reshard(b, env, op.operand(i), need, "'" + op.name() + "' operand #" + i, op.location()));
            held.add(need);
            types.add(p.localType((TensorType) op.result(i).type(), need, "'" + op.name() + "' result #" + i, op.location()));
        }
        Map<Value, Value> map = new java.util.IdentityHashMap<>();
        for (int i = 0; i < op.numOperands(); i++) map.put(op.operand(i), operands.get(i));
        Operation.Builder ob = Cloner.shell(op, map, RegionCopy.LOCAL.renumbering(() -> c.emit().channel()), types);
        for (Region r : op.regions()) ob.region(RegionCopy.copy(r));
        Operation copy = b.append(ob, op.location());
        for (int i = 0; i < op.numResults(); i++) env.put(op.result(i), new Local(copy.result(i), held.get(i)));
    }
}
