package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.partition.Partitioner.Local;
import io.hlo4j.compiler.spmd.partition.Partitioner.MeshCtx;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
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

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * slice, pad and reduce_window whose result is split along a dimension they read across (an offset or strided
 * slice, edge or interior padding, a window wider than one): each device gets the few elements its output block
 * needs from its neighbours' blocks with collective_permutes (the halos: one per side, or one per hop when a halo is
 * wider than a block), masks what lies outside the global input with the pad value, and computes its block locally
 * ({@link HaloWindow} has the arithmetic). An input held whole along the dimension is cut locally instead. A dimension
 * whose halos over several hops would bring the whole dimension (a gather moves no more), whose input or result does
 * not divide into the devices' blocks, or which is empty, is computed whole and the report says why
 * (COMPUTED_LESS_SHARDED); a result sharding that cannot hold the result is then refused by name.
 *
 * <p>Inside a partially manual body (and a nested one) the same code applies unchanged: a body value is split on free
 * axes only, and {@link DeviceGrid#groups} over those axes holds every other mesh coordinate fixed, the manual ones
 * included, so each manual coordinate's devices form their own line of neighbours (no pair joins two manual blocks,
 * which hold different values) and a device's position for edge masking is its index along the free axes.
 */
final class HaloOps {
    private final Partitioner p;

    HaloOps(Partitioner p) { this.p = p; }

    /**
     * How one dimension is computed: whole (gathered), split one to one, split with halos, or cut (the input is held
     * whole along it already: each device cuts its window out locally, no collective).
     */
    private enum Mode { WHOLE, BLOCK, HALO, CUT }

    /** Whether the op is one this class partitions: its result is split along a dimension it reads across. */
    boolean handles(Operation op) {
        if (op.numResults() == 0) return false;
        if (!op.name().equals("stablehlo.slice") && !op.name().equals("stablehlo.pad") && !op.name().equals("stablehlo.reduce_window")) return false;
        List<TensorSharding> targets = p.resultShardings(op);
        for (TensorSharding t : targets) {
            if (!t.unreducedAxes().isEmpty() || !Partitioner.sameLayout(t, targets.get(0)) || !t.meshName().equals(targets.get(0).meshName())) return false;
        }
        TensorSharding t = targets.get(0);
        TensorType in = (TensorType) op.operand(0).type(), out = (TensorType) op.result(0).type();
        for (int d = 0; d < out.rank(); d++) {
            if (p.ctx(t).grid().size(t.axesOfDim(d)) > 1 && !window(op, d).oneToOne(in.dim(d), out.dim(d))) return true;
        }
        return false;
    }

    void partition(IrBuilder b, Operation op, Map<Value, Local> env) {
        List<TensorSharding> targets = p.resultShardings(op);
        TensorSharding target = targets.get(0);
        MeshCtx c = p.ctx(target);
        Location loc = op.location();
        TensorType in = (TensorType) op.operand(0).type(), out = (TensorType) op.result(0).type();
        int rank = in.rank();
        Mode[] modes = new Mode[rank];
        HaloWindow.Plan[] plans = new HaloWindow.Plan[rank];
        List<DimensionSharding> dims = new ArrayList<>(), inDims = new ArrayList<>();
        List<String> gathered = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            List<AxisRef> axes = target.axesOfDim(d);
            int n = Math.toIntExact(c.grid().size(axes));
            HaloWindow w = window(op, d);
            if (n == 1) modes[d] = Mode.WHOLE;
            else if (w.oneToOne(in.dim(d), out.dim(d))) modes[d] = Mode.BLOCK;
            else {
                boolean cut = heldWhole(env, op, d, c);
                plans[d] = cut ? w.cut(in.dim(d), out.dim(d), n) : w.halo(in.dim(d), out.dim(d), n);
                modes[d] = plans[d].refused() != null ? Mode.WHOLE : cut ? Mode.CUT : Mode.HALO;
                if (plans[d].refused() != null) gathered.add("dimension " + d + (cut ? " computed whole: " : " gathered: ") + plans[d].refused());
            }
            dims.add(new DimensionSharding(modes[d] == Mode.WHOLE ? List.of() : axes, true, null));
            inDims.add(new DimensionSharding(modes[d] == Mode.WHOLE || modes[d] == Mode.CUT ? List.of() : axes, true, null));
        }
        TensorSharding held = new TensorSharding(c.name(), null, dims, List.of(), List.of(), "sum");
        TensorSharding heldIn = new TensorSharding(c.name(), null, inDims, List.of(), List.of(), "sum");
        int inputs = op.name().equals("stablehlo.reduce_window") ? op.numOperands() / 2 : 1;
        List<Value> operands = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) {
            TensorType t = (TensorType) op.operand(i).type();
            TensorSharding need = i < inputs ? heldIn : p.replicated(t.rank(), c.name());
            operands.add(p.reshard(b, env, op.operand(i), need, "'" + op.name() + "' operand #" + i, loc));
        }
        for (int i = 0; i < inputs; i++) {
            // slice reads inputs only: its windows never leave [0, in), so no pad value is needed
            Value padValue = op.name().equals("stablehlo.slice") ? null : operands.get(op.name().equals("stablehlo.pad") ? 1 : inputs + i);
            Value x = operands.get(i);
            for (int d = 0; d < rank; d++) {
                if (modes[d] == Mode.HALO || modes[d] == Mode.CUT) {
                    x = haloWindow(b, x, d, target.axesOfDim(d), in.dim(d), window(op, d), plans[d], padValue, c, loc);
                }
            }
            operands.set(i, x);
        }
        List<TensorType> localTypes = new ArrayList<>();
        for (int r = 0; r < op.numResults(); r++) {
            localTypes.add(p.localType((TensorType) op.result(r).type(), held, "'" + op.name() + "' result #" + r, loc));
        }
        Map<String, Attribute> props = localProperties(op, modes, out, localTypes.get(0));
        List<? extends Value> locals;
        if (op.name().equals("stablehlo.pad") && isZero(props, "edge_padding_low") && isZero(props, "edge_padding_high")
                && isZero(props, "interior_padding")) {
            locals = List.of(operands.get(0)); // every padded dimension was done by the halo windows
        } else {
            locals = b.append(LocalOpCopy.of(op, operands, localTypes, props, loc), loc).results();
        }
        if (!gathered.isEmpty()) {
            p.report.add(new PartitionReport.Entry(PartitionReport.Kind.COMPUTED_LESS_SHARDED, op.name(), loc.describe(),
                    "result computed as " + held + ", then sliced to " + target + "; " + String.join("; ", gathered)));
        }
        for (int r = 0; r < op.numResults(); r++) {
            TensorType t = (TensorType) op.result(r).type();
            env.put(op.result(r), new Local(p.reshard(b, new Local(locals.get(r), held), t, targets.get(r), "'" + op.name() + "' result #" + r, loc),
                    targets.get(r)));
        }
    }

    /**
     * Device k's window along {@code d}: its block extended by the halos, the inputs outside [0, in) set to the pad
     * value, interior padding applied, then the line positions its output block reads ({@code lineSpan} of them).
     */
    Value haloWindow(IrBuilder b, Value x, int d, List<AxisRef> axes, long in, HaloWindow w, HaloWindow.Plan plan,
                             Value padValue, MeshCtx c, Location loc) {
        StablehloBuilder h = new StablehloBuilder(b);
        CollectiveEmitter emit = c.emit();
        DeviceGrid grid = c.grid();
        long block = plan.block();
        // a cut plan: the device holds the whole input, whose start is input 0 on every device
        boolean whole = ((TensorType) x.type()).dim(d) == in && block == in;
        long[][] groups = grid.groups(axes);
        List<Value> parts = new ArrayList<>();
        // a halo wider than a block takes whole blocks from the nearer devices (one hop each), a part of the farthest
        for (long hop = Math.ceilDiv(plan.left(), block); hop >= 1; hop--) {
            long take = Math.min(block, plan.left() - (hop - 1) * block);
            parts.add(emit.collectivePermute(b, sliceDim(h, x, d, block - take, block, loc), shift(groups, (int) hop), loc));
        }
        parts.add(x);
        for (long hop = 1; hop <= Math.ceilDiv(plan.right(), block); hop++) {
            long take = Math.min(block, plan.right() - (hop - 1) * block);
            parts.add(emit.collectivePermute(b, sliceDim(h, x, d, 0, take, loc), shift(groups, (int) -hop), loc));
        }
        Value ext = parts.size() == 1 ? x : h.concatenate(parts, d, loc);
        long extLen = plan.left() + block + plan.right();
        // per partition: where its window starts in the extended block (input start[k] sits at k * block - left)
        int devices = grid.devices();
        long[] startIn = new long[devices], inputStart = new long[devices], lineSkip = new long[devices];
        long minStart = Long.MAX_VALUE, maxEnd = Long.MIN_VALUE;
        boolean outside = false;
        long step = w.interior() + 1;
        for (int q = 0; q < devices; q++) {
            int k = Math.toIntExact(grid.index(q, axes));
            inputStart[q] = plan.start()[k];
            startIn[q] = plan.start()[k] - (whole ? 0 : k * block - plan.left());
            minStart = Math.min(minStart, startIn[q]);
            maxEnd = Math.max(maxEnd, startIn[q] + plan.inputWindow());
            outside |= plan.start()[k] < 0 || plan.start()[k] + plan.inputWindow() > in;
            // the line position of input start[k] is lo + start[k] * step; the output's first read is lineStart[k], up to
            // `interior` positions before it (in the gap before that input)
            lineSkip[q] = w.interior() + plan.lineStart()[k] - (w.lo() + plan.start()[k] * step);
        }
        // dynamic_slice clamps its start: pad so every device's window lies inside (those elements are masked or unread)
        long extraLow = Math.max(0, -minStart), extraHigh = Math.max(0, maxEnd - extLen);
        if (extraLow > 0 || extraHigh > 0) {
            Value fill = padValue != null ? padValue : h.constant(Constants.splat(TensorType.scalar(((TensorType) x.type()).elementType()), 0), loc);
            ext = h.pad(ext, fill, along(x, d, extraLow), along(x, d, extraHigh), along(x, d, 0), loc);
            for (int q = 0; q < devices; q++) startIn[q] += extraLow;
        }
        Value win = sliceAlong(b, h, ext, d, startIn, plan.inputWindow(), emit, loc);
        TensorType wt = (TensorType) win.type();
        if (outside && padValue != null) {
            // inputs outside [0, in) (the zeros a missing neighbour sent, or the padding above) read as the pad value
            TensorType i32 = wt.withElementType(IntegerType.I32);
            Value idx = h.add(h.iota(i32, d, loc), h.broadcastInDim(emit.perDevice(b, inputStart, loc), i32.shape(), new long[0], loc), loc);
            Value ok = h.binary("and", h.compare("GE", idx, splatI32(h, i32, 0, loc), null, loc),
                    h.compare("LT", idx, splatI32(h, i32, in, loc), null, loc), loc);
            win = h.select(ok, win, h.broadcastInDim(padValue, wt.shape(), new long[0], loc), loc);
        }
        long span = plan.span();
        if (w.interior() == 0) return win; // the window is already the line positions read (lineSkip is 0, span = inputWindow)
        long lineLen = w.interior() + (plan.inputWindow() - 1) * step + 1;
        long maxSkip = 0;
        for (long s : lineSkip) maxSkip = Math.max(maxSkip, s);
        long high = Math.max(0, maxSkip + span - lineLen);
        Value line = h.pad(win, padValue, along(win, d, w.interior()), along(win, d, high), along(win, d, w.interior()), loc);
        return sliceAlong(b, h, line, d, lineSkip, span, emit, loc);
    }

    /** A convolution's spatial dimension the result is split along, served by halos of the input. */
    record Spatial(int lhsDim, int outDim, List<AxisRef> axes, HaloWindow window, HaloWindow.Plan plan, boolean cut) {}

    /**
     * The output spatial dimensions of a convolution that the result sharding splits and a halo can serve: on axes no
     * factor of the op's plan uses, with halos a gather would not beat ({@link HaloWindow#halo}). Those refused are said in {@code why}.
     */
    List<Spatial> convolutionHalos(Operation op, TensorSharding target, FactorPlan plan, TensorSharding lhsNow, MeshCtx c, List<String> why) {
        List<Spatial> out = new ArrayList<>();
        if (!op.name().equals("stablehlo.convolution") || !target.unreducedAxes().isEmpty()) return out;
        var dn = (io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers) op.attr("dimension_numbers");
        long[] inSp = dn.inputSpatialDimensions().toArray(), kSp = dn.kernelSpatialDimensions().toArray(), outSp = dn.outputSpatialDimensions().toArray();
        int ns = inSp.length;
        long[] pad = longs(op, "padding", 2 * ns, 0), lhsDil = longs(op, "lhs_dilation", ns, 1), rhsDil = longs(op, "rhs_dilation", ns, 1);
        long[] strides = longs(op, "window_strides", ns, 1);
        TensorType lhs = (TensorType) op.operand(0).type(), kernel = (TensorType) op.operand(1).type(), res = (TensorType) op.result(0).type();
        for (int s = 0; s < ns; s++) {
            int o = (int) outSp[s], l = (int) inSp[s];
            List<AxisRef> axes = target.axesOfDim(o);
            int n = Math.toIntExact(c.grid().size(axes));
            if (n == 1) continue;
            boolean taken = false;
            for (List<AxisRef> fa : plan.axes) for (AxisRef a : fa) for (AxisRef b : axes) taken |= a.overlaps(b);
            if (taken) {
                why.add("spatial dimension " + o + " gathered: its axes " + axes + " split another dimension of the convolution");
                continue;
            }
            HaloWindow w = new HaloWindow(pad[2 * s], lhsDil[s] - 1, 0, strides[s], kernel.dim((int) kSp[s]), rhsDil[s]);
            // an input held whole there already: each device cuts its window out, no collective
            boolean cut = lhsNow.axesOfDim(l).isEmpty() && lhsNow.unreducedAxes().isEmpty();
            HaloWindow.Plan h = cut ? w.cut(lhs.dim(l), res.dim(o), n) : w.halo(lhs.dim(l), res.dim(o), n);
            if (h.refused() != null) why.add("spatial dimension " + o + " gathered: " + h.refused());
            else out.add(new Spatial(l, o, axes, w, h, cut));
        }
        return out;
    }

    /** {@code s} with dimension d of each spatial pair split on its axes (the input's or the result's side). */
    static TensorSharding withSpatial(TensorSharding s, List<Spatial> spatial, boolean input) {
        if (spatial.isEmpty()) return s;
        List<DimensionSharding> dims = new ArrayList<>(s.dimShardings());
        for (Spatial sp : spatial) {
            if (!(input && sp.cut())) dims.set(input ? sp.lhsDim() : sp.outDim(), new DimensionSharding(sp.axes(), true, null));
        }
        return new TensorSharding(s.meshName(), null, dims, s.replicatedAxes(), s.unreducedAxes(), s.reduction());
    }

    /** The convolution input's window for each device along every halo'd spatial dimension, zeros outside the input. */
    Value convolutionWindows(IrBuilder b, Operation op, Value lhs, List<Spatial> spatial, MeshCtx c) {
        Location loc = op.location();
        TensorType global = (TensorType) op.operand(0).type();
        Value zero = new StablehloBuilder(b).constant(Constants.splat(TensorType.scalar(global.elementType()), 0), loc);
        for (Spatial sp : spatial) lhs = haloWindow(b, lhs, sp.lhsDim(), sp.axes(), global.dim(sp.lhsDim()), sp.window(), sp.plan(), zero, c, loc);
        return lhs;
    }

    /** Whether the op's inputs are held whole along d on the op's mesh: its windows can be cut out locally. */
    private boolean heldWhole(Map<Value, Local> env, Operation op, int d, MeshCtx c) {
        int inputs = op.name().equals("stablehlo.reduce_window") ? op.numOperands() / 2 : 1;
        for (int i = 0; i < inputs; i++) {
            TensorSharding now = p.local(env, op.operand(i), op).sharding();
            if (!now.meshName().equals(c.name()) || !now.axesOfDim(d).isEmpty() || !now.unreducedAxes().isEmpty()) return false;
        }
        return true;
    }

    /** Elements [from, to) of dimension d. */
    static Value sliceDim(StablehloBuilder h, Value x, int d, long from, long to, Location loc) {
        TensorType t = (TensorType) x.type();
        if (from == 0 && to == t.dim(d)) return x;
        long[] start = new long[t.rank()], limit = t.shape(), strides = new long[t.rank()];
        java.util.Arrays.fill(strides, 1);
        start[d] = from;
        limit[d] = to;
        return h.slice(x, start, limit, strides, loc);
    }

    /** {@code size} elements of dimension d from a per-partition start; a static slice when every device starts alike. */
    static Value sliceAlong(IrBuilder b, StablehloBuilder h, Value x, int d, long[] starts, long size, CollectiveEmitter emit, Location loc) {
        TensorType t = (TensorType) x.type();
        boolean same = true;
        for (long s : starts) same &= s == starts[0];
        if (same) return starts[0] == 0 && size == t.dim(d) ? x : sliceDim(h, x, d, starts[0], starts[0] + size, loc);
        List<Value> idx = new ArrayList<>();
        Value zero = h.constant(Constants.ofLongs(TensorType.scalar(IntegerType.I32), 0), loc);
        for (int i = 0; i < t.rank(); i++) idx.add(i == d ? emit.perDevice(b, starts, loc) : zero);
        long[] sizes = t.shape();
        sizes[d] = size;
        return h.dynamicSlice(x, idx, sizes, loc);
    }

    /** An i32 tensor of type {@code t} holding {@code v} everywhere (positions compared against a bound). */
    static Value splatI32(StablehloBuilder h, TensorType t, long v, Location loc) {
        return h.broadcastInDim(h.constant(Constants.ofLongs(TensorType.scalar(IntegerType.I32), v), loc), t.shape(), new long[0], loc);
    }

    /** A per-dimension array with {@code v} at d and 0 elsewhere. */
    private static long[] along(Value x, int d, long v) { return along(((TensorType) x.type()).rank(), d, v); }

    /** A per-dimension array of {@code rank} with {@code v} at d and 0 elsewhere. */
    static long[] along(int rank, int d, long v) {
        long[] a = new long[rank];
        a[d] = v;
        return a;
    }

    /** Pairs sending each group member's data to the member {@code by} places on (1: to the right neighbour). */
    private static long[][] shift(long[][] groups, int by) {
        List<long[]> pairs = new ArrayList<>();
        for (long[] g : groups) {
            for (int i = 0; i < g.length; i++) if (i + by >= 0 && i + by < g.length) pairs.add(new long[] {g[i], g[i + by]});
        }
        return pairs.toArray(long[][]::new);
    }

    /** The op's properties for the local op: halo and block dimensions read their window from the start, whole ones as before. */
    private static Map<String, Attribute> localProperties(Operation op, Mode[] modes, TensorType out, TensorType localOut) {
        Map<String, Attribute> props = new HashMap<>(op.properties().asMap());
        int rank = modes.length;
        switch (op.name()) {
            case "stablehlo.slice" -> {
                long[] start = longs(op, "start_indices", rank, 0), limit = longs(op, "limit_indices", rank, 0), strides = longs(op, "strides", rank, 1);
                for (int d = 0; d < rank; d++) {
                    if (modes[d] == Mode.WHOLE) continue;
                    start[d] = 0;
                    limit[d] = (localOut.dim(d) - 1) * strides[d] + 1;
                }
                props.put("start_indices", DenseArrayAttr.ofI64(start));
                props.put("limit_indices", DenseArrayAttr.ofI64(limit));
            }
            case "stablehlo.pad" -> {
                long[] lo = longs(op, "edge_padding_low", rank, 0), hi = longs(op, "edge_padding_high", rank, 0), inner = longs(op, "interior_padding", rank, 0);
                for (int d = 0; d < rank; d++) {
                    if (modes[d] == Mode.WHOLE) continue;
                    lo[d] = 0;
                    hi[d] = 0;
                    inner[d] = 0;
                }
                props.put("edge_padding_low", DenseArrayAttr.ofI64(lo));
                props.put("edge_padding_high", DenseArrayAttr.ofI64(hi));
                props.put("interior_padding", DenseArrayAttr.ofI64(inner));
            }
            default -> { // reduce_window: the window already starts at the output block, padding and base dilation applied
                long[] pad = longs(op, "padding", 2 * rank, 0), base = longs(op, "base_dilations", rank, 1);
                for (int d = 0; d < rank; d++) {
                    if (modes[d] == Mode.WHOLE) continue;
                    pad[2 * d] = 0;
                    pad[2 * d + 1] = 0;
                    base[d] = 1;
                }
                props.put("padding", Constants.ofLongs(TensorType.of(IntegerType.I64, rank, 2), pad));
                props.put("base_dilations", DenseArrayAttr.ofI64(base));
            }
        }
        return props;
    }

    private static boolean isZero(Map<String, Attribute> props, String name) {
        for (long v : ((DenseArrayAttr) props.get(name)).longs()) if (v != 0) return false;
        return true;
    }

    /** Dimension d of the op as a window over a padded line. */
    static HaloWindow window(Operation op, int d) {
        int rank = ((TensorType) op.operand(0).type()).rank();
        return switch (op.name()) {
            case "stablehlo.slice" -> HaloWindow.slice(longs(op, "start_indices", rank, 0)[d], longs(op, "strides", rank, 1)[d]);
            case "stablehlo.pad" -> HaloWindow.pad(longs(op, "edge_padding_low", rank, 0)[d], longs(op, "interior_padding", rank, 0)[d]);
            default -> new HaloWindow(longs(op, "padding", 2 * rank, 0)[2 * d], longs(op, "base_dilations", rank, 1)[d] - 1, 0,
                    longs(op, "window_strides", rank, 1)[d], longs(op, "window_dimensions", rank, 1)[d], longs(op, "window_dilations", rank, 1)[d]);
        };
    }

    /** An i64 array attribute (dense array or dense elements), or {@code n} copies of {@code dflt} when absent. */
    static long[] longs(Operation op, String name, int n, long dflt) {
        Attribute a = op.attr(name);
        if (a instanceof DenseArrayAttr d) return d.longs();
        if (a instanceof DenseElementsAttr e) {
            ByteBuffer buf = ByteBuffer.wrap(e.expandedData()).order(ByteOrder.LITTLE_ENDIAN);
            long[] v = new long[(int) e.type().numElements()];
            int width = e.type().elementType().storageBytes();
            for (int i = 0; i < v.length; i++) v[i] = width == 8 ? buf.getLong(i * 8) : buf.getInt(i * 4);
            return v;
        }
        long[] v = new long[n];
        java.util.Arrays.fill(v, dflt);
        return v;
    }
}
