package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.partition.Partitioner.Local;
import io.hlo4j.compiler.spmd.partition.Partitioner.MeshCtx;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * concatenate along a dimension its result is split on: each operand stays split on the same axes, and each device
 * fetches the pieces of the operands that land in its result block from the devices that hold them (one
 * collective_permute per distance, see {@link HaloOps#haloWindow}), as XLA moves them, instead of gathering the
 * operands. An operand is placed like a pad of it by its offset in the result ({@link HaloWindow#pad}); the device's
 * block then takes, position by position, the operand whose range holds that position (an iota mask and a select).
 * An operand already held whole along the dimension is cut locally (no collective), as the gathering path did; an
 * operand whose size does not divide into the devices' blocks cannot be held split that way, so it is brought whole
 * along the dimension (no move when it is replicated there, else an all_gather of that operand alone) and cut; an
 * empty operand is skipped. Inside a partially manual body the pieces move along free axes only, among the devices of
 * one manual coordinate (as in {@link HaloOps}).
 */
final class ConcatOps {
    private final Partitioner p;
    private final HaloOps halo;

    ConcatOps(Partitioner p, HaloOps halo) {
        this.p = p;
        this.halo = halo;
    }

    /** Whether the concatenation dimension is split in the result. */
    boolean handles(Operation op) {
        if (!op.name().equals("stablehlo.concatenate")) return false;
        TensorSharding t = p.resultShardings(op).get(0);
        if (!t.unreducedAxes().isEmpty()) return false;
        int d = (int) ((IntegerAttr) op.attr("dimension")).value();
        long n = p.ctx(t).grid().size(t.axesOfDim(d));
        if (n == 1) return false;
        return ((TensorType) op.result(0).type()).dim(d) > 0; // all operands empty: nothing to move
    }

    void partition(IrBuilder b, Operation op, Map<Value, Local> env) {
        TensorSharding target = p.resultShardings(op).get(0);
        MeshCtx c = p.ctx(target);
        Location loc = op.location();
        StablehloBuilder h = new StablehloBuilder(b);
        int d = (int) ((IntegerAttr) op.attr("dimension")).value();
        List<AxisRef> axes = target.axesOfDim(d);
        int n = Math.toIntExact(c.grid().size(axes));
        TensorType out = (TensorType) op.result(0).type();
        TensorType local = p.localType(out, target, "'" + op.name() + "' result", loc);
        // each device's global positions along d, to pick the operand that owns each of them
        TensorType i32 = local.withElementType(IntegerType.I32);
        Value pos = h.add(h.iota(i32, d, loc), h.broadcastInDim(c.emit().perDevice(b, c.emit().offsets(axes, local.dim(d)), loc),
                i32.shape(), new long[0], loc), loc);
        Value acc = null;
        long offset = 0;
        for (int j = 0; j < op.numOperands(); j++) {
            long size = ((TensorType) op.operand(j).type()).dim(d);
            if (size == 0) continue; // an empty operand owns no position of the result
            TensorSharding now = p.local(env, op.operand(j), op).sharding();
            // held whole along d: each device cuts its window out locally; else its pieces move from the devices that hold
            // them. An operand that does not divide into n blocks cannot be held split in them: it is made whole along d.
            boolean whole = now.meshName().equals(target.meshName()) && now.axesOfDim(d).isEmpty() || size % n != 0;
            TensorSharding need = target;
            if (whole) {
                List<DimensionSharding> dims = new ArrayList<>(target.dimShardings());
                dims.set(d, new DimensionSharding(List.of(), true, null));
                need = new TensorSharding(target.meshName(), null, dims, List.of(), List.of(), "sum");
            }
            Value x = p.reshard(b, env, op.operand(j), need, "'" + op.name() + "' operand #" + j, loc);
            HaloWindow w = HaloWindow.pad(offset, 0);
            HaloWindow.Plan plan = whole ? w.cut(size, out.dim(d), n) : w.halo(size, out.dim(d), n, true);
            // Never refused: the size is above 0 (empty operands were skipped), the result's dimension divides by n (localType
            // above refuses it by name otherwise), and the input is either size * n (cut) or divisible by n (halo). Should
            // that reasoning break, the op is refused by name rather than computed wrong.
            if (plan.refused() != null) {
                throw new Hlo4jException("'" + op.name() + "': operand #" + j + " of " + size + " along dimension " + d
                        + " cannot be placed in the result's blocks on " + axes + ": " + plan.refused(), loc);
            }
            // positions outside the operand are never taken from it: no pad value, no mask
            Value piece = halo.haloWindow(b, x, d, axes, size, w, plan, null, c, loc);
            if (acc == null) acc = piece;
            else acc = h.select(h.compare("GE", pos, HaloOps.splatI32(h, i32, offset, loc), null, loc), piece, acc, loc);
            offset += size;
        }
        env.put(op.result(0), new Local(acc, target));
    }
}
