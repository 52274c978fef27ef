package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.partition.Partitioner.Local;
import io.hlo4j.compiler.spmd.partition.Partitioner.MeshCtx;
import io.hlo4j.compiler.spmd.rule.ShardingRules;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * select_and_scatter (the max-pool gradient) whose result is split along a windowed dimension, as XLA's SPMD
 * partitioner does it: each device owns its block of the result and runs every window that overlaps the block, so
 * it takes halos of the source (the windows' values) and of the operand (the windows' data), runs the op locally and
 * keeps its block. A window that overlaps two blocks is run on both devices, each keeping what lands in its own block,
 * so nothing is summed back, and each element receives the same contributions in the same order as in the global op:
 * the result is bit for bit the global one.
 *
 * <p>Padding is never selected. XLA fills the operand's padding with -inf/+inf and restricts the select to a compare;
 * here a device whose windows reach into the global padding runs the op with that padding as its own (a static
 * variant per distinct amount, picked by partition id in a {@code case}), so any select region stays exact.
 * A dimension whose halos over several hops would bring the whole dimension, or whose operand or source does not
 * divide into the devices' blocks, is gathered and the report says why (COMPUTED_LESS_SHARDED). Inside a partially
 * manual body the halos move along free axes only, among the devices of one manual coordinate (as in {@link HaloOps}).
 */
final class SelectScatterOps {
    private final Partitioner p;
    private final HaloOps halo;

    SelectScatterOps(Partitioner p, HaloOps halo) {
        this.p = p;
        this.halo = halo;
    }

    /** Whether the op is a select_and_scatter whose result is split along a dimension its windows read across. */
    boolean handles(Operation op) {
        if (!op.name().equals("stablehlo.select_and_scatter")) return false;
        TensorSharding t = p.resultShardings(op).get(0);
        if (!t.unreducedAxes().isEmpty()) return false;
        for (int d = 0; d < t.rank(); d++) {
            if (p.ctx(t).grid().size(t.axesOfDim(d)) > 1 && !ShardingRules.windowDimIsOneToOne(op, d)) return true;
        }
        return false;
    }

    /** One windowed dimension split with halos: the operand's and the source's plans and where each device's windows start. */
    private record Dim(int d, List<AxisRef> axes, long block, HaloWindow.Plan data, HaloWindow.Plan source, long[] dataStart, long length) {}

    void partition(IrBuilder b, Operation op, Map<Value, Local> env) {
        TensorSharding target = p.resultShardings(op).get(0);
        MeshCtx c = p.ctx(target);
        Location loc = op.location();
        StablehloBuilder h = new StablehloBuilder(b);
        TensorType in = (TensorType) op.operand(0).type(), src = (TensorType) op.operand(1).type();
        int rank = in.rank();
        long[] win = HaloOps.longs(op, "window_dimensions", rank, 1), strides = HaloOps.longs(op, "window_strides", rank, 1);
        long[] pad = HaloOps.longs(op, "padding", 2 * rank, 0);
        List<Dim> halos = new ArrayList<>();
        List<DimensionSharding> held = new ArrayList<>(), dataNeed = new ArrayList<>(), srcNeed = new ArrayList<>();
        List<String> gathered = new ArrayList<>();
        TensorSharding dataNow = p.local(env, op.operand(0), op).sharding(), srcNow = p.local(env, op.operand(1), op).sharding();
        for (int d = 0; d < rank; d++) {
            List<AxisRef> axes = target.axesOfDim(d);
            int n = Math.toIntExact(c.grid().size(axes));
            List<AxisRef> keep = List.of();
            boolean cutData = false, cutSrc = false;
            if (n > 1 && ShardingRules.windowDimIsOneToOne(op, d)) {
                keep = axes; // one to one: operand, source and result split alike, nothing exchanged
            } else if (n > 1) {
                cutData = wholeOn(dataNow, d, c);
                cutSrc = wholeOn(srcNow, d, c);
                Object plan = plan(d, axes, n, in.dim(d), src.dim(d), win[d], strides[d], pad[2 * d], cutData, cutSrc);
                if (plan instanceof Dim dim) {
                    halos.add(dim);
                    keep = axes;
                } else {
                    gathered.add("dimension " + d + " gathered: " + plan);
                }
            }
            held.add(new DimensionSharding(keep, true, null));
            dataNeed.add(new DimensionSharding(cutData ? List.of() : keep, true, null));
            srcNeed.add(new DimensionSharding(cutSrc ? List.of() : keep, true, null));
        }
        TensorSharding heldS = new TensorSharding(c.name(), null, held, List.of(), List.of(), "sum");
        Value x = p.reshard(b, env, op.operand(0), new TensorSharding(c.name(), null, dataNeed, List.of(), List.of(), "sum"), "'" + op.name() + "' operand #0", loc);
        Value s = p.reshard(b, env, op.operand(1), new TensorSharding(c.name(), null, srcNeed, List.of(), List.of(), "sum"), "'" + op.name() + "' operand #1", loc);
        Value init = p.reshard(b, env, op.operand(2), p.replicated(0, c.name()), "'" + op.name() + "' operand #2", loc);
        HaloWindow none = HaloWindow.pad(0, 0);
        for (Dim dim : halos) {
            x = halo.haloWindow(b, x, dim.d(), dim.axes(), in.dim(dim.d()), none, dim.data(), null, c, loc);
            s = halo.haloWindow(b, s, dim.d(), dim.axes(), src.dim(dim.d()), none, dim.source(), null, c, loc);
        }
        Value r = variants(b, op, x, s, init, halos, in, pad, c, loc);
        // each device keeps its block: positions of it no window of the device reaches hold the init value
        DeviceGrid grid = c.grid();
        for (Dim dim : halos) {
            int d = dim.d();
            long[] off = new long[grid.devices()];
            long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
            for (int q = 0; q < off.length; q++) {
                int k = Math.toIntExact(grid.index(q, dim.axes()));
                off[q] = k * dim.block() - dim.dataStart()[k];
                min = Math.min(min, off[q]);
                max = Math.max(max, off[q] + dim.block());
            }
            long low = Math.max(0, -min), high = Math.max(0, max - dim.length());
            if (low > 0 || high > 0) {
                r = h.pad(r, init, HaloOps.along(rank, d, low), HaloOps.along(rank, d, high), new long[rank], loc);
                for (int q = 0; q < off.length; q++) off[q] += low;
            }
            r = HaloOps.sliceAlong(b, h, r, d, off, dim.block(), c.emit(), loc);
        }
        if (!gathered.isEmpty()) {
            p.report.add(new PartitionReport.Entry(PartitionReport.Kind.COMPUTED_LESS_SHARDED, op.name(), loc.describe(),
                    "result computed as " + heldS + ", then sliced to " + target + "; " + String.join("; ", gathered)));
        }
        env.put(op.result(0), new Local(p.reshard(b, new Local(r, heldS), (TensorType) op.result(0).type(), target, "'" + op.name() + "' result #0", loc), target));
    }

    /** Whether a value is held whole along d on this mesh (its windows can be cut out locally, no collective). */
    private static boolean wholeOn(TensorSharding s, int d, MeshCtx c) {
        return s.meshName().equals(c.name()) && s.axesOfDim(d).isEmpty() && s.unreducedAxes().isEmpty();
    }

    /**
     * The windows device k runs along d: every window overlapping its block [kB, (k+1)B), as a run of M consecutive
     * windows (the same count on every device) starting at J[k], moved to stay inside the source; the extra windows
     * of a shorter run overlap no position of the block, so what they scatter is cut away. Returns a {@link Dim}, or
     * why the dimension is gathered.
     */
    private static Object plan(int d, List<AxisRef> axes, int n, long in, long out, long w, long s, long lo, boolean cutData, boolean cutSrc) {
        if (in == 0) return "the operand dimension is empty";
        if (out == 0) return "the source dimension is empty";
        if (in % n != 0) return "the operand dimension of " + in + " is not divisible by the " + n + " devices";
        if (out % n != 0) return "the source dimension of " + out + " is not divisible by the " + n + " devices";
        long block = in / n;
        long[] first = new long[n], limit = new long[n];
        long m = 1;
        for (int k = 0; k < n; k++) {
            // window j covers operand positions [j*s - lo, j*s - lo + w): it overlaps the block when j*s - lo < (k+1)B
            // and j*s - lo + w > kB
            first[k] = Math.clamp(Math.floorDiv(k * block + lo - w, s) + 1, 0, out);
            limit[k] = Math.clamp(Math.ceilDiv((k + 1) * block + lo, s), 0, out);
            m = Math.max(m, limit[k] - first[k]);
        }
        long[] j = new long[n], start = new long[n];
        for (int k = 0; k < n; k++) {
            j[k] = Math.min(first[k], out - m);
            start[k] = j[k] * s - lo;
        }
        long length = (m - 1) * s + w;
        // every device reads its whole run of windows: the runs' ends are exact
        long[] end = new long[n], jEnd = new long[n];
        for (int k = 0; k < n; k++) {
            end[k] = start[k] + length;
            jEnd[k] = j[k] + m;
        }
        HaloWindow.Plan data = cutData ? HaloWindow.Plan.held(in, length, start, length, new long[n])
                : HaloWindow.ranges(in, n, start, end, length, new long[n], length, false);
        if (data.refused() != null) return "operand: " + data.refused();
        HaloWindow.Plan source = cutSrc ? HaloWindow.Plan.held(out, m, j, m, new long[n])
                : HaloWindow.ranges(out, n, j, jEnd, m, new long[n], m, false);
        if (source.refused() != null) return "source: " + source.refused();
        return new Dim(d, axes, block, data, source, start, length);
    }

    /**
     * The op on each device's windows. Along a halo dimension a device's operand window may reach into the global
     * padding (a positions before 0, c after the end): that part is cut off and given back to the op as its padding,
     * so padding is never selected, as in the global op. One variant per distinct (a, c) over the halo dimensions,
     * picked by partition id; each returns the full window, padded back with the init value.
     */
    private Value variants(IrBuilder b, Operation op, Value x, Value s, Value init, List<Dim> halos, TensorType in, long[] pad,
                           MeshCtx c, Location loc) {
        DeviceGrid grid = c.grid();
        int rank = in.rank();
        Map<List<Long>, Integer> index = new LinkedHashMap<>();
        long[] table = new long[grid.devices()];
        for (int q = 0; q < table.length; q++) {
            List<Long> key = new ArrayList<>();
            for (Dim dim : halos) {
                long start = dim.dataStart()[Math.toIntExact(grid.index(q, dim.axes()))];
                key.add(Math.max(0, -start));
                key.add(Math.max(0, start + dim.length() - in.dim(dim.d())));
            }
            table[q] = index.computeIfAbsent(key, k -> index.size());
        }
        List<Function<StablehloBuilder, List<? extends Value>>> branches = new ArrayList<>();
        for (List<Long> key : index.keySet()) branches.add(sb -> List.of(variant(sb, op, x, s, init, halos, key, pad, rank, loc)));
        StablehloBuilder h = new StablehloBuilder(b);
        if (branches.size() == 1) return branches.get(0).apply(h).get(0);
        return h.caseOp(c.emit().perDevice(b, table, loc), branches, loc).get(0);
    }

    private static Value variant(StablehloBuilder h, Operation op, Value x, Value s, Value init, List<Dim> halos, List<Long> key,
                                 long[] pad, int rank, Location loc) {
        TensorType xt = (TensorType) x.type();
        long[] lo = new long[rank], hi = new long[rank], from = new long[rank], to = xt.shape(), ones = new long[rank];
        Arrays.fill(ones, 1);
        long[] localPad = pad.clone();
        boolean empty = false;
        for (int i = 0; i < halos.size(); i++) {
            int d = halos.get(i).d();
            lo[d] = key.get(2 * i);
            hi[d] = key.get(2 * i + 1);
            from[d] = lo[d];
            to[d] = xt.dim(d) - hi[d];
            empty |= to[d] <= from[d];
            localPad[2 * d] = lo[d];
            localPad[2 * d + 1] = hi[d];
        }
        // a window run entirely in the padding selects nothing: the init value everywhere
        if (empty) return h.broadcastInDim(init, xt.shape(), new long[0], loc);
        Value data = Arrays.equals(from, new long[rank]) && Arrays.equals(to, xt.shape()) ? x : h.slice(x, from, to, ones, loc);
        Map<String, Attribute> props = new HashMap<>(op.properties().asMap());
        props.put("padding", Constants.ofLongs(TensorType.of(IntegerType.I64, rank, 2), localPad));
        Value out = h.ir().append(LocalOpCopy.of(op, List.of(data, s, init), List.of(data.type()), props, loc), loc).result(0);
        return Arrays.equals(lo, new long[rank]) && Arrays.equals(hi, new long[rank]) ? out : h.pad(out, init, lo, hi, new long[rank], loc);
    }
}
