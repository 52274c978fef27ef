package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Builds meshes and shardings, and runs an emitted reshard on simulated devices against the runtime's own split. */
final class ReshardHarness {
    private ReshardHarness() {}

    static final Location LOC = new Location.FileLineCol("ReshardHarness.java", 1, 1);

    static MeshAttr mesh(Object... nameSize) {
        List<MeshAttr.Axis> axes = new ArrayList<>();
        for (int i = 0; i < nameSize.length; i += 2) axes.add(new MeshAttr.Axis((String) nameSize[i], ((Number) nameSize[i + 1]).longValue()));
        return new MeshAttr(axes, List.of());
    }

    static MeshAttr model(int dp, int fsdp, int ep, int tp, int sp) { return mesh("dp", dp, "fsdp", fsdp, "ep", ep, "tp", tp, "sp", sp); }

    /** {@code spec("fsdp,dp", "sp", "")}: one string per dimension, axes comma-separated, major first. */
    static TensorSharding spec(String... dims) {
        List<DimensionSharding> ds = new ArrayList<>();
        for (String d : dims) {
            List<AxisRef> axes = new ArrayList<>();
            for (String a : d.split(",")) if (!a.isBlank()) axes.add(AxisRef.of(a.trim()));
            ds.add(new DimensionSharding(axes, true, null));
        }
        return new TensorSharding("mesh", null, ds, List.of(), List.of(), "sum");
    }

    static TensorSharding of(List<List<AxisRef>> dims, List<AxisRef> unreduced) {
        List<DimensionSharding> ds = new ArrayList<>();
        for (List<AxisRef> d : dims) ds.add(new DimensionSharding(d, true, null));
        return new TensorSharding("mesh", null, ds, List.of(), unreduced, "sum");
    }

    static HostArray data(TensorType t) {
        double[] v = new double[(int) t.numElements()];
        for (int i = 0; i < v.length; i++) v[i] = i * 0.5 - 7; // exact in f32, distinct
        return HostArray.fromDoubles(t, v);
    }

    static TensorType f32(long... shape) { return TensorType.of(FloatType.F32, shape); }

    /** The module {@code main(local) -> reshard(local)}. */
    static Module module(ReshardPlan plan) {
        FunctionBuilder f = IrBuilder.function("main", List.of(plan.localInput()), LOC);
        AtomicLong channel = new AtomicLong(1);
        Value out = ReshardEmitter.emit(plan, f, f.argument(0), channel::getAndIncrement, LOC);
        Operation fn = f.finish(List.of(out));
        return FunctionBuilder.module("reshard", List.of(fn));
    }

    /**
     * Plans, emits and runs the reshard of {@code global} on the mesh's simulated devices; asserts every device ends
     * with exactly the runtime's split of the global value under {@code to} (or, for partial targets, that the
     * partials add up to it), and that the bytes the collectives log measured are the plan's. Returns the plan.
     */
    static ReshardPlan check(MeshAttr mesh, TensorType type, TensorSharding from, TensorSharding to) {
        return check(mesh, type, from, to, ReshardCost.DEFAULT);
    }

    /** {@link #check(MeshAttr, TensorType, TensorSharding, TensorSharding)} with the plan chosen under {@code cost}. */
    static ReshardPlan check(MeshAttr mesh, TensorType type, TensorSharding from, TensorSharding to, ReshardCost cost) {
        return run(mesh, ReshardPlanner.plan(mesh, type, from, to, Location.UNKNOWN, cost));
    }

    /** Emits and runs {@code plan} on the mesh's simulated devices, with the assertions of {@link #check}. */
    static ReshardPlan run(MeshAttr mesh, ReshardPlan plan) {
        TensorType type = plan.global();
        TensorSharding from = plan.from(), to = plan.to();
        HostArray global = data(type);
        Module module = module(plan);
        SpmdRun run = SpmdRunner.run(module, mesh, List.of(global), List.of(from), List.of(to), List.of(type));
        String what = plan.toString();
        assertThat(largestValueBytes(module, type)).as("largest value of the emitted " + what).isLessThanOrEqualTo(plan.peakBlockBytes());
        int n = (int) mesh.totalSize();
        if (to.unreducedAxes().isEmpty()) {
            List<HostArray> want = SpmdRunner.split(global, mesh, to);
            for (int d = 0; d < n; d++) assertThat(run.deviceResults().get(d).get(0)).as("device " + d + " of " + what).isEqualTo(want.get(d));
        }
        assertThat(run.results().get(0)).as(what).isEqualTo(global);
        assertThat(run.bytesReceivedPerDevice(n)).as("measured bytes of " + what).containsExactly(plan.bytesPerDevice());
        int collectives = 0;
        for (ReshardStep s : plan.steps()) {
            // an exchange: one collective_permute per round that moves a cell between devices (self-pair rounds are local)
            collectives += s instanceof ReshardStep.LocalSlice ? 0 : s instanceof ReshardStep.Exchange e
                    ? (int) e.rounds().stream().filter(r -> Arrays.stream(r.pairs()).anyMatch(p -> p[0] != p[1])).count() : 1;
        }
        assertThat(run.log()).as(what).hasSize(collectives);
        assertThat(plan.collectives()).as("collectives of " + what).isEqualTo(collectives);
        return plan;
    }

    /**
     * The largest value of {@code global}'s element type and rank that the printed module holds, in bytes (what the
     * memory cap is about: the steps' blocks and any buffer the emitter makes; offset tables are i64 of rank 1).
     */
    static long largestValueBytes(Module module, TensorType global) {
        String elem = global.elementType().toString();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("tensor<((?:\\d+x)*)" + java.util.regex.Pattern.quote(elem) + ">")
                .matcher(io.hlo4j.mlir.print.MlirPrinter.print(module));
        long largest = 0;
        while (m.find()) {
            String dims = m.group(1);
            if (dims.split("x", -1).length - 1 != global.rank()) continue;
            long n = global.elementType().storageBytes();
            for (String d : dims.split("x")) if (!d.isEmpty()) n *= Long.parseLong(d);
            largest = Math.max(largest, n);
        }
        return largest;
    }

    /** Per device: bytes of its block under {@code to} on {@code mb} not in its block under {@code from} on {@code ma} (from the runtime's split of an index array). */
    static long[] lacking(MeshAttr ma, TensorSharding from, MeshAttr mb, TensorSharding to, TensorType t) {
        long[] ids = new long[(int) t.numElements()];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        HostArray index = HostArray.fromLongs(TensorType.of(io.hlo4j.mlir.types.IntegerType.I64, t.shape()), ids);
        List<HostArray> src = SpmdRunner.split(index, ma, from), dst = SpmdRunner.split(index, mb, to);
        long[] out = new long[src.size()];
        for (int d = 0; d < out.length; d++) {
            java.util.Set<Long> held = new java.util.HashSet<>();
            for (long v : src.get(d).toLongArray()) held.add(v);
            for (long v : dst.get(d).toLongArray()) if (!held.contains(v)) out[d] += t.elementType().storageBytes();
        }
        return out;
    }

    /** {@code s} on the mesh named {@code mesh}. */
    static TensorSharding on(String mesh, TensorSharding s) {
        return new TensorSharding(mesh, null, s.dimShardings(), s.replicatedAxes(), s.unreducedAxes(), s.reduction());
    }

    /**
     * Emits {@code plan} (from mesh {@code @a} to mesh {@code @b}) as {@code main(local) -> local} and runs it on the
     * simulated devices: every device ends with exactly the runtime's split of the global value under the target on
     * the target mesh, the collectives log measures the plan's bytes per device and its number of collectives, and no
     * value of the tensor's element type and rank in the emitted program is larger than the plan's peak block.
     */
    static CrossMeshPlan runCross(CrossMeshPlan plan) {
        TensorType type = plan.global();
        FunctionBuilder f = IrBuilder.function("main", List.of(plan.localInput()), LOC);
        AtomicLong channel = new AtomicLong(1);
        Value out = plan.emit(f, f.argument(0), channel::getAndIncrement, LOC);
        Module module = FunctionBuilder.module("cross", List.of(f.finish(List.of(out))));
        HostArray global = data(type);
        TensorSharding from = on("a", plan.from()), to = on("b", plan.to());
        java.util.Map<String, MeshAttr> meshes = new java.util.LinkedHashMap<>();
        meshes.put("a", plan.fromMesh());
        meshes.put("b", plan.toMesh());
        SpmdRun run = SpmdRunner.run(module, meshes, List.of(global), List.of(from), List.of(to), List.of(type));
        String what = plan.toString();
        int n = (int) plan.fromMesh().totalSize();
        List<HostArray> want = SpmdRunner.split(global, plan.toMesh(), to);
        for (int d = 0; d < n; d++) assertThat(run.deviceResults().get(d).get(0)).as("device " + d + " of " + what).isEqualTo(want.get(d));
        assertThat(run.bytesReceivedPerDevice(n)).as("measured bytes of " + what).containsExactly(plan.bytesPerDevice());
        assertThat(run.log()).as(what).hasSize(plan.collectives());
        assertThat(largestValueBytes(module, type)).as("largest value of the emitted " + what).isLessThanOrEqualTo(plan.peakBlockBytes());
        return plan;
    }

    /** Bytes of a (block) type. */
    static long bytes(TensorType t) { return t.numElements() * t.elementType().storageBytes(); }

    static String show(long[] xs) { return Arrays.toString(xs); }
}
