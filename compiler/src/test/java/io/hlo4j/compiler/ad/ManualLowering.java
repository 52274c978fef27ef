package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.ManualAxes;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.SdyManualComputation;
import io.hlo4j.mlir.dialect.sdy.SdyVerifier;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Test-only: turns a module that uses {@code sdy.manual_computation} (every mesh axis manual, iota device order)
 * into the per-device program the interpreter runs on all N devices of the mesh, in the global view everywhere
 * outside the manual computations: each device holds every global value whole. Entering a manual computation,
 * a device takes its block of each operand (dynamic_slice at its shard offsets computed from partition_id);
 * leaving it, each result is all_gather'ed along its sharded dimensions (a result replicated over an axis is the
 * device's own copy). {@code sdy.named_computation} is inlined, sharding_constraint/reshard are identities.
 * Written from Shardy's definition of manual_computation; top-level ops of single-block functions only.
 */
final class ManualLowering {
    private ManualLowering() {}

    static Module lower(Module m) {
        Map<String, MeshAttr> meshes = SdyVerifier.meshesOf(m.op());
        List<Operation> fs = new ArrayList<>();
        for (Operation f : m.functions()) fs.add(lowerFunc(f, meshes));
        return FunctionBuilder.module(m.name(), fs);
    }

    private static Operation lowerFunc(Operation f, Map<String, MeshAttr> meshes) {
        FunctionType ft = (FunctionType) ((TypeAttr) f.attr("function_type")).value();
        FunctionBuilder fb = IrBuilder.function(((StringAttr) f.attr("sym_name")).value(), ft.inputs(), f.location());
        Block body = f.region(0).entry();
        List<Value> out = lowerBlock(fb, body, fb.arguments(), meshes);
        return fb.finish(out, body.terminator().location());
    }

    private static List<Value> lowerBlock(IrBuilder b, Block blk, List<? extends Value> args, Map<String, MeshAttr> meshes) {
        Map<Value, Value> map = new IdentityHashMap<>();
        for (int i = 0; i < args.size(); i++) map.put(blk.argument(i), args.get(i));
        Operation term = blk.terminator();
        for (Operation op : blk.operations()) {
            if (op == term) break;
            List<Value> in = new ArrayList<>();
            for (Value v : op.operands()) in.add(map.get(v));
            List<Value> res;
            switch (op.name()) {
                case "sdy.manual_computation" -> res = manual(b, op, in, meshes);
                case "sdy.named_computation" -> res = lowerBlock(b, op.region(0).entry(), in, meshes);
                case "sdy.sharding_constraint", "sdy.reshard" -> res = in;
                default -> {
                    Operation c = b.append(Cloner.copy(op, map), op.location());
                    res = new ArrayList<>(c.results());
                }
            }
            for (int i = 0; i < op.numResults(); i++) map.put(op.result(i), res.get(i));
        }
        List<Value> out = new ArrayList<>();
        for (Value v : term.operands()) out.add(map.get(v));
        return out;
    }

    private static List<Value> manual(IrBuilder b, Operation op, List<Value> in, Map<String, MeshAttr> meshes) {
        StablehloBuilder sb = new StablehloBuilder(b);
        Location loc = op.location();
        var inS = SdyManualComputation.inShardings(op);
        var outS = SdyManualComputation.outShardings(op);
        ManualAxes manual = SdyManualComputation.manualAxes(op);
        MeshAttr mesh = inS.size() > 0 ? inS.get(0).resolveMesh(meshes) : outS.get(0).resolveMesh(meshes);
        if (!manual.axes().equals(mesh.axisNames()) || !mesh.deviceIds().isEmpty()) {
            throw new IllegalArgumentException("test lowering: only fully manual computations on iota meshes, got " + manual + " on " + mesh);
        }
        Value pid = sb.convert(b.emit1("stablehlo.partition_id", List.of(), Map.of(), loc), IntegerType.I64, loc);
        Block body = op.region(0).entry();
        List<Value> locals = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            TensorType lt = (TensorType) body.argument(i).type();
            TensorSharding s = inS.get(i);
            List<Value> starts = new ArrayList<>();
            for (int d = 0; d < lt.rank(); d++) {
                Value idx = shardIndex(sb, pid, mesh, s.axesOfDim(d), loc);
                starts.add(sb.multiply(idx, sb.constant(TensorType.scalar(IntegerType.I64), lt.shape()[d], loc), loc));
            }
            locals.add(sb.dynamicSlice(in.get(i), starts, lt.shape(), loc));
        }
        List<Value> res = lowerBlock(b, body, locals, meshes);
        List<Value> out = new ArrayList<>();
        for (int j = 0; j < res.size(); j++) {
            Value v = res.get(j);
            TensorSharding s = outS.get(j);
            for (int d = 0; d < s.rank(); d++) {
                List<AxisRef> axes = s.axesOfDim(d);
                if (axes.isEmpty()) continue;
                TensorType t = (TensorType) v.type();
                long[] shape = t.shape();
                shape[d] *= s.dimShardings().get(d).shardCount(mesh);
                Map<String, io.hlo4j.mlir.attr.Attribute> p = new TreeMap<>();
                p.put("all_gather_dim", io.hlo4j.mlir.attr.IntegerAttr.i64(d));
                p.put("replica_groups", groups(mesh, axes));
                p.put("channel_handle", new ChannelHandle(1, 1));
                p.put("use_global_device_ids", UnitAttr.INSTANCE);
                v = b.emit("stablehlo.all_gather", List.of(v), p, List.of(), List.of(t.withShape(shape)), loc).get(0);
            }
            out.add(v);
        }
        return out;
    }

    /** The block index along a dimension split over {@code axes} (major first): mixed radix over the axis indices. */
    private static Value shardIndex(StablehloBuilder sb, Value pid, MeshAttr mesh, List<AxisRef> axes, Location loc) {
        TensorType i64 = TensorType.scalar(IntegerType.I64);
        Value idx = sb.constant(i64, 0, loc);
        for (AxisRef a : axes) {
            long size = mesh.axisSize(a.name()), stride = stride(mesh, a.name());
            Value ai = sb.binary("remainder", sb.divide(pid, sb.constant(i64, stride, loc), loc), sb.constant(i64, size, loc), loc);
            idx = sb.add(sb.multiply(idx, sb.constant(i64, size, loc), loc), ai, loc);
        }
        return idx;
    }

    private static long stride(MeshAttr mesh, String axis) {
        long s = 1;
        List<MeshAttr.Axis> all = mesh.axes();
        for (int k = all.size() - 1; k >= 0 && !all.get(k).name().equals(axis); k--) s *= all.get(k).size();
        return s;
    }

    /** Devices that differ only on {@code axes}, each group ordered by the block index over {@code axes}. */
    private static io.hlo4j.mlir.attr.DenseElementsAttr groups(MeshAttr mesh, List<AxisRef> axes) {
        long total = mesh.totalSize(), size = 1;
        for (AxisRef a : axes) size *= mesh.axisSize(a.name());
        Map<List<Long>, long[]> gs = new LinkedHashMap<>();
        for (long dev = 0; dev < total; dev++) {
            List<Long> key = new ArrayList<>();
            for (MeshAttr.Axis ax : mesh.axes()) {
                boolean listed = axes.stream().anyMatch(r -> r.name().equals(ax.name()));
                key.add(listed ? -1 : (dev / stride(mesh, ax.name())) % ax.size());
            }
            long idx = 0;
            for (AxisRef a : axes) idx = idx * mesh.axisSize(a.name()) + (dev / stride(mesh, a.name())) % mesh.axisSize(a.name());
            final long sz = size;
            gs.computeIfAbsent(key, k -> new long[(int) sz])[(int) idx] = dev;
        }
        long[] flat = new long[(int) total];
        int i = 0;
        for (long[] g : gs.values()) for (long d : g) flat[i++] = d;
        return Constants.ofLongs(TensorType.of(IntegerType.I64, gs.size(), size), flat);
    }
}
